/**
 * Milliseconds on the monotonic clock, as `performance.now()` gives them but without it: node's
 * perf_hooks (which the global `performance` loads too) is ten of node's modules, and under the V8
 * flags of main.ts node compiles them from source: some 5 ms of every run's start, before its first
 * probe. Only differences between two readings mean anything.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
