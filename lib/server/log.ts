/**
 * Logging through LogTape: JSON lines on stderr, one category per module.
 *
 * @module
 */
import {
  configure,
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
  type Logger,
  type LogLevel,
} from "@logtape/logtape";

export type { Logger };

/** A logger for one part of the server, e.g. `logger("hub")`. */
export function logger(part: string): Logger {
  return getLogger(["chat", part]);
}

/** Sends log records at `level` and above to the console as JSON lines. */
export async function setupLogging(level: LogLevel): Promise<void> {
  await configure({
    reset: true,
    sinks: { console: getConsoleSink({ formatter: getJsonLinesFormatter() }) },
    loggers: [
      { category: ["chat"], lowestLevel: level, sinks: ["console"] },
      {
        category: ["logtape", "meta"],
        lowestLevel: "warning",
        sinks: ["console"],
      },
    ],
  });
}
