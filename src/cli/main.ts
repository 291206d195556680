#!/usr/bin/env -S node --max-semi-space-size=8 --initial-old-space-size=64
// The first flag caps V8's young generation at 8 MB a half: left to grow, it makes a 5000-edge run
// peak at 185 MB instead of 144 MB. The second lets the old generation reach 64 MB before its first
// full collection: with the default, one came about half a second into a 1000-edge run, an 8 ms pause
// while answers were arriving, and the answers it held up were timed late (the benchmark's misordered
// pairs). Any V8 flag costs start-up: node refuses the code cache of its own modules when V8's flags
// are not its build's, and compiles each from source (net 15 ms instead of 4), so add none lightly.
// The image's entry point and the chart's command carry the same flags (tests compare them with this
// line).
// Name lookups run on libuv's thread pool (4 threads by default): a silent resolver would hold every
// thread, and with them every other lookup. Set before anything uses the pool.
process.env.UV_THREADPOOL_SIZE ??= "64";
// The AWS SDK's multi-line notice about future Node.js versions is for developers, not operators.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// SIGTERM ends any run within 2 s: the run stops what it is doing on its own; should it not have
// ended by then (a hook or a network call still open), the process ends here.
for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => setTimeout(() => process.exit(143), 1800).unref());
// node's compile cache (NODE_COMPILE_CACHE, else a folder in the temporary directory): from the second
// run on a host the bundle's code is not parsed again, some 35 ms of each start. A pod starts cold.
process.getBuiltinModule("node:module").enableCompileCache?.();
const { main } = await import("./dispatch.js");
// Linked as a classic tool (edge_query, check_edgemanage_latency, …), it parses that tool's command line.
const name = (process.argv[1] ?? "").split("/").pop()!.replace(/\.js$/, "");
const code = await main(process.argv.slice(2), name === "main" ? "edgemanage" : name);
// A lookup a silent resolver still holds would keep the process alive after the run: end once the
// output is out.
const drained = (s: NodeJS.WriteStream) => new Promise<void>((r) => (s.writableNeedDrain ? s.once("drain", () => r()) : r()));
await Promise.all([drained(process.stdout), drained(process.stderr)]);
// The JSON log lines are written asynchronously: the last of them must not be lost with the process.
await (await import("../util/log-flush.js")).logsWritten(1000);
process.exit(code);
