import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

/** JSON lines on stdout for machines; `-v` gives readable debug lines (still stdout). */
export function makeLogger(verbose: boolean): Logger {
  if (verbose) {
    return pino({ level: "debug", base: undefined }, pretty({ sync: true, colorize: false, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }));
  }
  return pino({ level: "info", base: { app: "edgemanage" } }, pino.destination({ fd: 1, sync: true }));
}

export type { Logger };
