/**
 * Every command but a run, in one module that dispatch loads when one of them is asked for. One
 * module, not one each: the bundle makes a chunk for each set of lazily loaded modules that shares
 * code, and with a module per command a run loaded some thirty small chunks (about 1 ms each).
 */
export { CHECK_USAGE, check } from "./check.js";
export { classic } from "./classic.js";
export { DNSSEC_USAGE, dnssec } from "./dnssec.js";
export { EDGE_CONF_USAGE, edgeConf } from "./edge-conf.js";
export { IMPORT_USAGE, importClassic } from "./import.js";
export { METRICS_USAGE, metrics } from "./metrics.js";
export { QUERY_USAGE, query } from "./query.js";
export { ZONES_USAGE, zones } from "./zones.js";
