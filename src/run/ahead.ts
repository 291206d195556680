import { isDeepStrictEqual } from "node:util";

/** What became of a result made ahead, for the run's log. */
export type AheadOutcome = "none" | "taken" | "stale" | "failed";

/**
 * A result computed ahead from inputs that may still change, kept if the final inputs are the same.
 * A run's last probes are mostly edges that never answer: once probing has gone quiet, the run plans
 * from what it has, every open probe counted as the timeout it becomes, while it waits for those
 * timeouts. If they all come as counted, the plan made ahead is the plan (deciding, rendering, signing
 * and checking are functions of their inputs) and the run goes on as soon as the last timeout is in;
 * if anything came otherwise, the run plans again from what came, as it would have anyway. A new
 * start supersedes the one before.
 */
export class Ahead<K, R> {
  private latest: { key: Promise<K>; result: Promise<R | null> } | null = null;

  /**
   * `readOf`: the part of an input that was read (compared); the rest must be computed from it and from
   * what does not change during a run. Comparing less is cheaper: a thousand observations compared
   * three times over, cold, were some 10 ms of the run's end.
   */
  constructor(
    private readonly compute: (key: K) => Promise<R>,
    private readonly readOf: (key: K) => unknown = (k) => k,
  ) {}

  /** Starts computing from `key` (itself read asynchronously). */
  start(key: Promise<K>): void {
    // A failure made ahead is not reported here: computing again from the final inputs meets it there.
    this.latest = { key, result: key.then(this.compute).catch(() => null) };
  }

  /** The result made ahead from inputs equal to `key` (compared by value), or null and why. */
  async take(key: K): Promise<{ result: R | null; outcome: AheadOutcome }> {
    const latest = this.latest;
    if (!latest) return { result: null, outcome: "none" };
    // Compared before the result is awaited: a stale one still under way is not waited for.
    const read = await latest.key.then((k) => ({ k }), () => null);
    if (read && !isDeepStrictEqual(this.readOf(read.k), this.readOf(key))) return { result: null, outcome: "stale" };
    const result = await latest.result;
    return result === null ? { result: null, outcome: "failed" } : { result, outcome: "taken" };
  }
}
