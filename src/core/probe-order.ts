import type { NetworkState } from "./state.js";

/**
 * The order the probes start in: the edges judged failing by the last run first, then the others as
 * listed. Starting a thousand probes takes a few hundred milliseconds and each has its full timeout
 * from its own start, so the run ends `timeout` after the last start that times out: the edges most
 * likely to time out again should not be the last ones started. The order changes no result.
 */
export function probeOrder(edges: readonly string[], previous: NetworkState): string[] {
  const failing = (e: string) => previous.edges[e]?.health === "fail";
  return [...edges.filter(failing), ...edges.filter((e) => !failing(e))];
}
