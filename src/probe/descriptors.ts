import { closeSync, openSync } from "node:fs";

/**
 * Grows the process's descriptor table to hold `count` more descriptors before any probe starts. The
 * kernel doubles the table as descriptors are opened (to 512, then 1024, … for a thousand probes), and
 * in a process with threads each growth waits for an RCU grace period: 6–13 ms on the project's
 * machine, during which the thread that asked for the descriptor is stopped. Grown while the probes
 * are being started, those stops hold up the answers already arriving, and an answer read 12 ms late
 * is timed 12 ms slow: against the one that came just after the stop, the pair is in the wrong order.
 * Grown first, the stops come before any probe is out. The table never shrinks; the descriptors opened
 * to grow it are closed at once.
 */
export function reserveDescriptors(count: number): void {
  const fds: number[] = [];
  try {
    for (let i = 0; i < count; i++) fds.push(openSync("/dev/null", "r"));
  } catch {
    // At the process's limit (EMFILE) or without /dev/null: the probes meet that limit as they would have.
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}
