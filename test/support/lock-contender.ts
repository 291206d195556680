/**
 * One of several processes racing for a lock (test/lock.test.ts): for each round it waits until every
 * contender is ready, tries to take that round's lock, and if it got it records its pid and keeps the
 * lock (a holder never releases, so two holders in a round would be two at once).
 * Arguments: DIR CONTENDERS ROUNDS STALE_AFTER
 */
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acquireLock } from "../../src/run/lock.js";

const [dir, contenders, rounds, staleAfter] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const nap = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
let held = 0;
for (let r = 0; r < rounds; r++) {
  const ready = join(dir, `ready-${r}`);
  mkdirSync(ready, { recursive: true });
  writeFileSync(join(ready, String(process.pid)), "");
  for (let i = 0; i < 10_000 && readdirSync(ready).length < contenders; i++) nap();
  try {
    acquireLock(join(dir, `lock-${r}`), staleAfter);
    appendFileSync(join(dir, `holders-${r}`), `${process.pid}\n`);
    held++;
  } catch {
    // Another contender holds it.
  }
}
process.stdout.write(`${held}\n`);
