/** Why a probe was ended from outside before it finished. */
export type EndReason = "timeout" | "deadline";

/**
 * How one probe ends from outside: its own timeout, or the signal of its group. `onEnd` says what
 * ending does at this moment (destroy the open request, cut a retry's pause short).
 */
export class Ending {
  why: EndReason | null = null;
  private hook: (() => void) | null = null;

  end(why: EndReason): void {
    if (this.why) return;
    this.why = why;
    this.hook?.();
  }

  onEnd(hook: (() => void) | null): void {
    this.hook = hook;
    if (hook && this.why) hook();
  }
}

/**
 * Probes that one signal ends together (the run's deadline, the canary killer). A set, not a listener
 * per probe on the signal: an AbortSignal's listeners are a list, and removing each of a thousand
 * probes' listeners from it was a measurable part of starting them.
 */
export class ProbeGroup {
  private readonly open = new Set<Ending>();

  constructor(readonly signal: AbortSignal) {
    signal.addEventListener("abort", () => {
      for (const e of this.open) e.end("deadline");
    }, { once: true });
  }

  /** Adds a probe; the returned function takes it out again. */
  join(e: Ending): () => void {
    if (this.signal.aborted) e.end("deadline");
    this.open.add(e);
    return () => void this.open.delete(e);
  }
}
