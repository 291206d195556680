import { pino, type Logger } from "pino";
import { writtenBeforeExit } from "./log-flush.js";
import { LineWriter } from "./log-writer.js";

/** Seconds to the millisecond: `0.3455`, not `0.34550000000000003`. Integers (times, serials) are left alone. */
const round = (v: unknown): unknown => (typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v);
/** A line's fields with their fractions rounded; the object itself when it has none (most lines, thousands a run). */
function roundFields(o: Record<string, unknown>): Record<string, unknown> {
  for (const k in o) if (round(o[k]) !== o[k]) return Object.fromEntries(Object.entries(o).map(([key, v]) => [key, round(v)]));
  return o;
}

/**
 * JSON lines for machines; `-v` gives readable debug lines. On stdout, or on stderr where stdout
 * carries what the person asked for (a plan, query rows, a check line).
 */
export async function makeLogger(verbose: boolean, fd: 1 | 2 = 1): Promise<Logger> {
  const formatters = { log: roundFields };
  if (verbose) {
    // Loaded only for -v: it is a good part of the start-up time otherwise.
    const { default: pretty } = await import("pino-pretty");
    return pino({ level: "debug", base: undefined, formatters }, pretty({ sync: true, colorize: false, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname", destination: fd }));
  }
  // Asynchronous: a reader that is slow for a moment (a full pipe) must not stall the run. Every line
  // is written before the process exits (main.ts awaits logsWritten).
  const destination = new LineWriter(fd);
  writtenBeforeExit(destination);
  const log = pino({ level: "info", base: { app: "edgemanage" }, formatters, timestamp: () => (destination.holding ? HELD_TIME : timeField()) }, destination);
  destinations.set(log, destination);
  return log;
}

/** A line's time, as pino writes it. */
const timeField = () => `,"time":${Date.now()}`;
/** Where a held line's time goes: U+0001 is never in pino's output otherwise (it escapes control characters). */
const HELD_TIME = ',"time":\u0001';
const destinations = new WeakMap<Logger, LineWriter>();

/** Log lines made ahead of time: written, with the time of writing, by `write`, or never. */
export interface HeldLines {
  write(): void;
}

/**
 * The lines `logAll` logs, made now and written by `write()`: a plan made ahead (run/ahead.ts) logs
 * its decision's thousand lines while the run waits for its last timeouts, and they are written only
 * if that plan is taken, then and stamped with that time. With -v (readable lines, written at once)
 * `logAll` runs when they are written.
 */
export function holdLines(log: Logger, logAll: () => void): HeldLines {
  const destination = destinations.get(log);
  if (!destination) return { write: logAll };
  const lines = destination.capture(logAll);
  return { write: () => destination.write(lines.join("").replaceAll(HELD_TIME, timeField())) };
}

/** Operator tools print their answer on stdout: their own logs go to stderr, warnings and worse only. */
export async function toolLogger(verbose: boolean): Promise<Logger> {
  const log = await makeLogger(verbose, 2);
  if (!verbose) log.level = "warn";
  return log;
}

export type { Logger };
