import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

/** JSON lines on stdout for machines; `-v` gives readable debug lines (still stdout). */
export function makeLogger(verbose: boolean, fd: 1 | 2 = 1): Logger {
  if (verbose) {
    return pino({ level: "debug", base: undefined }, pretty({ sync: true, colorize: false, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname", destination: fd }));
  }
  return pino({ level: "info", base: { app: "edgemanage" } }, pino.destination({ fd, sync: true }));
}

/** Operator tools print their answer on stdout: their own logs go to stderr, warnings and worse only. */
export function toolLogger(verbose: boolean): Logger {
  const log = makeLogger(verbose, 2);
  if (!verbose) log.level = "warn";
  return log;
}

export type { Logger };
