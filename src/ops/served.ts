import type { NetworkState } from "../core/state.js";
import type { Served } from "../dns/soa.js";
import { serialAfter } from "../zone/render.js";
import type { CheckResult, Status, Thresholds } from "./checks.js";

/**
 * Is what was decided what is served? For each zone the state says was written, the SOA serial the
 * server answers is compared with the written serial: equal is OK; older is OK for the first `-w`
 * seconds after the write (a reload takes a moment), WARNING after that, CRITICAL from `-c` seconds;
 * a server that does not answer is UNKNOWN with the reason. Pure: the state, the answers and `now` in.
 */
export function checkServed(state: NetworkState, served: ReadonlyMap<string, Served>, now: number, t: Thresholds): CheckResult {
  const zones = Object.keys(state.zones).sort();
  if (zones.length === 0) return { status: 3, summary: "the state records no zone written", perfdata: [] };
  let status: Status = 0;
  const problems: string[] = [];
  const worse = (s: Status) => {
    // UNKNOWN (3) only when nothing is worse; CRITICAL outranks it.
    if (s === 2 || (s > status && status !== 2)) status = s;
  };
  const perfdata: string[] = [];
  for (const zone of zones) {
    const rec = state.zones[zone]!;
    const answer = served.get(zone) ?? { error: "not asked" };
    if ("error" in answer) {
      worse(3);
      problems.push(`${zone}: ${answer.error}`);
      continue;
    }
    const lag = answer.serial === rec.serial ? 0 : Math.max(0, Math.round(now - (rec.written ?? 0)));
    perfdata.push(`'${zone}_lag'=${lag}s;${t.warning};${t.critical};0;`);
    if (answer.serial === rec.serial) continue;
    if (serialAfter(answer.serial, rec.serial)) {
      worse(1);
      problems.push(`${zone}: serves serial ${answer.serial}, newer than the ${rec.serial} written (another writer?)`);
    } else if (lag >= t.critical) {
      worse(2);
      problems.push(`${zone}: serves serial ${answer.serial}, not the ${rec.serial} written ${lag}s ago`);
    } else if (lag >= t.warning) {
      worse(1);
      problems.push(`${zone}: serves serial ${answer.serial}, not the ${rec.serial} written ${lag}s ago`);
    } else problems.push(`${zone}: serial ${rec.serial} written ${lag}s ago, not served yet`);
  }
  const summary = problems.length ? problems.join("; ") : `all ${zones.length} zone(s) served at the serial written`;
  return { status, summary, perfdata };
}
