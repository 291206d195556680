/**
 * node:http as its CommonJS object. An ESM `import http from "node:http"` builds a namespace facade
 * that reads every export once, and the `WebSocket`/`EventSource` getters among them load the bundled
 * undici: 45 ms of every run's start-up for nothing the prober uses.
 */
export const http = process.getBuiltinModule("node:http");
