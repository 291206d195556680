import type { DnssecAnswer } from "../dns/dnssec-query.js";
import type { CheckResult, Status, Thresholds } from "./checks.js";
import { byKey } from "../util/order.js";

const DAY = 86_400;

/**
 * `check dnssec`: what the server serves of each signed zone. CRITICAL when a zone does not validate
 * (its DS/KSK as the trust anchor) or its signatures expire within `-c` days; WARNING within `-w`
 * days. Pure: the answers and `now` in.
 */
export function checkDnssec(answers: ReadonlyMap<string, DnssecAnswer>, now: number, t: Thresholds): CheckResult {
  if (answers.size === 0) return { status: 3, summary: "no signed zone: the state records none signed (dnssec.enabled?)", perfdata: [] };
  let status: Status = 0;
  const problems: string[] = [];
  const perfdata: string[] = [];
  for (const [zone, a] of [...answers].sort(byKey)) {
    if (!a.validated) {
      status = 2;
      problems.push(`${zone}: does not validate (${a.detail})`);
    }
    if (a.expires === null) {
      status = 2;
      problems.push(`${zone}: served without signatures`);
      continue;
    }
    const days = Math.round(((a.expires - now) / DAY) * 10) / 10;
    perfdata.push(`'${zone}_days'=${days};${t.warning};${t.critical};;`);
    if (days <= t.critical) {
      status = 2;
      problems.push(`${zone}: signatures expire in ${days} days`);
    } else if (days <= t.warning) {
      if (status < 1) status = 1;
      problems.push(`${zone}: signatures expire in ${days} days`);
    }
  }
  return { status, summary: problems.length ? problems.join("; ") : `all ${answers.size} zone(s) validate, signatures good for more than ${t.warning} days`, perfdata };
}
