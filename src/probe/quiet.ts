import { monotonicMs } from "../util/monotonic.js";

/**
 * How long no probe may have ended, every probe started and some still open, before the open ones are
 * taken for silent: an edge that answers at all mostly answers well within a timeout, and the ones
 * still open after a quarter of a second without a single answer mostly time out.
 */
export const QUIET_MS = 250;

/** At most this many quiet spells are reported in a run: each is work (a plan made ahead) that a later answer may waste. */
export const QUIET_TIMES = 3;

/**
 * Tells when probing has gone quiet: started (every probe is out), and no probe has ended for
 * `quietMs`. Told again after a later quiet spell if a probe ended meanwhile, at most `times` times.
 * Until `stop`, it holds one timer.
 */
export class QuietWatch {
  private lastEnd: number;
  private changed = true;
  private told = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly onQuiet: () => void,
    private readonly quietMs = QUIET_MS,
    private readonly times = QUIET_TIMES,
    private readonly now: () => number = monotonicMs,
  ) {
    this.lastEnd = now();
  }

  /** Every probe has started: from now on a quiet spell is reported. */
  start(): void {
    this.schedule();
  }

  /** A probe ended. */
  ended(): void {
    this.lastEnd = this.now();
    this.changed = true;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.told = this.times;
  }

  private schedule(): void {
    if (this.told >= this.times) return;
    // Nothing ended since the last report: look again a spell later.
    const wait = this.changed ? Math.max(1, this.lastEnd + this.quietMs - this.now()) : this.quietMs;
    this.timer = setTimeout(() => this.check(), wait).unref();
  }

  private check(): void {
    this.timer = null;
    if (this.changed && this.now() - this.lastEnd >= this.quietMs) {
      this.changed = false;
      this.told++;
      this.onQuiet();
    }
    this.schedule();
  }
}
