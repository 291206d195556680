/** What `logsWritten` needs of an asynchronous log destination (LineWriter). */
interface Destination {
  end(): void;
  once(event: "finish" | "error", listener: () => void): unknown;
}

const open = new Set<Destination>();

/** Registers an asynchronous log destination, to be ended and awaited before the process exits. */
export function writtenBeforeExit(d: Destination): void {
  open.add(d);
}

/**
 * Resolves once every line given to the asynchronous log destinations is written (each ended: its
 * write in flight finished, the rest written after it), or after `ms`. pino's own flush at exit writes
 * only what is not yet in flight, so a process that exits while a write is under way loses the lines
 * in it: a run's last lines ("run finished"), now and then, on a busy machine. Kept apart from the
 * logger so that the entry file can call it without loading pino.
 */
export function logsWritten(ms: number): Promise<void> {
  const ended = [...open].map((d) => new Promise<void>((resolve) => {
    d.once("finish", resolve);
    d.once("error", resolve);
    d.end();
  }));
  open.clear();
  return Promise.race([Promise.all(ended).then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}
