import type { NetworkState } from "./state.js";
import type { Verdict } from "./judge.js";
import { type Observation, failed } from "./observation.js";

export interface CanaryChoice {
  address: string | null;
  reason: string;
}

/**
 * Canaries are judged on their own and never live. A zone uses its canary when it is judged
 * pass_threshold or pass_window; when canary_killer or more fail in a run, all are disabled for it.
 */
export function chooseCanaries(
  canaries: ReadonlyMap<string, string>,
  verdicts: ReadonlyMap<string, Verdict>,
  observations: ReadonlyMap<string, Observation>,
  failValue: number,
  canaryKiller: number,
): { canaryFor: Map<string, CanaryChoice>; disabled: boolean } {
  const addresses = [...new Set(canaries.values())];
  const failures = addresses.filter((a) => failed(observations.get(a), failValue)).length;
  const disabled = canaries.size > 0 && failures >= canaryKiller;
  const canaryFor = new Map<string, CanaryChoice>();
  for (const [zone, addr] of canaries) {
    const v = verdicts.get(addr)!;
    if (disabled) canaryFor.set(zone, { address: null, reason: `all canaries disabled: ${failures} failed (canary_killer ${canaryKiller})` });
    else if (!observations.has(addr)) canaryFor.set(zone, { address: null, reason: "canary not probed this run" });
    else if (v.judgement === "pass_threshold" || v.judgement === "pass_window") canaryFor.set(zone, { address: addr, reason: `canary ${addr} judged ${v.judgement}` });
    else canaryFor.set(zone, { address: null, reason: `canary ${addr} judged ${v.judgement}: ${v.reason}` });
  }
  return { canaryFor, disabled };
}

/** A frozen run publishes what was published: each zone keeps the canary it was last written with. */
export function keepCanaries(canaries: ReadonlyMap<string, string>, previous: NetworkState): Map<string, CanaryChoice> {
  return new Map([...canaries.keys()].map((zone) => [zone, { address: previous.zones[zone]?.canary ?? null, reason: "guard: kept as last published" }]));
}
