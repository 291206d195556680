import { EventEmitter } from "node:events";
import { write } from "node:fs";

/**
 * pino's destination for the JSON log lines: each line is kept, in order, and written to the file
 * descriptor on node's thread pool, everything that came while a write was in flight joined into the
 * next one. A line costs an array push; a burst of thousands (a decision at 5000 edges) is written in a
 * few large writes. pino's own sonic-boom measured the piece it appended to on every line (a quadratic
 * cost in a burst: 52 ms for 5000 lines) and wrote pieces of at most 16 KiB, one thread-pool round
 * trip each, so the run's last lines waited behind many small writes.
 *
 * A descriptor that takes only part of a write gets the rest next; a full non-blocking one is tried
 * again shortly. One that fails otherwise (the reader is gone: EPIPE) drops this and every later line:
 * a run does not stop because its logs cannot be read. `end()` emits "finish" once all is written.
 */
export class LineWriter extends EventEmitter {
  private pending: string[] = [];
  private writing = false;
  private ending = false;
  private broken = false;
  private held: string[] | null = null;

  constructor(private readonly fd: number) {
    super();
  }

  /** True while `capture` runs: the lines being made are kept back. */
  get holding(): boolean {
    return this.held !== null;
  }

  /** The lines written while `make` runs, kept back instead of written: to be written later, or never. */
  capture(make: () => void): string[] {
    this.held = [];
    try {
      make();
      return this.held;
    } finally {
      this.held = null;
    }
  }

  write(line: string): boolean {
    if (this.held) {
      this.held.push(line);
      return true;
    }
    if (this.broken || this.ending) return true;
    this.pending.push(line);
    if (!this.writing) this.next();
    return true;
  }

  end(): void {
    this.ending = true;
    if (!this.writing) this.next();
  }

  private next(): void {
    if (this.broken || this.pending.length === 0) {
      this.writing = false;
      this.pending = [];
      if (this.ending) this.emit("finish");
      return;
    }
    const data = Buffer.from(this.pending.join(""));
    this.pending = [];
    this.writing = true;
    this.writeFrom(data, 0);
  }

  private writeFrom(data: Buffer, offset: number): void {
    write(this.fd, data, offset, data.length - offset, null, (err, n) => {
      if (err && err.code === "EAGAIN") {
        setTimeout(() => this.writeFrom(data, offset), 5);
        return;
      }
      if (err) this.broken = true;
      else if (offset + n < data.length) return this.writeFrom(data, offset + n);
      this.next();
    });
  }
}
