/**
 * Logging through LogTape, one category per module, to the console (info
 * and below on stdout, warnings and errors on stderr): on a terminal,
 * aligned and coloured lines (`@logtape/pretty`); otherwise, or with
 * `LOG_FORMAT=json`, JSON lines.
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
  type TextFormatter,
} from "@logtape/logtape";
import { getPrettyFormatter } from "@logtape/pretty";

export type { Logger };

/** A logger for one part of the server, e.g. `logger("hub")`. */
export function logger(part: string): Logger {
  return getLogger(["chat", part]);
}

/** How log lines look; `auto` is pretty when stdout is a terminal. */
export type LogFormat = "auto" | "pretty" | "json";

/** The formatter `format` stands for here. */
export function formatterFor(format: LogFormat): TextFormatter {
  const pretty = format === "pretty" ||
    (format === "auto" && Deno.stdout.isTerminal());
  return pretty
    ? getPrettyFormatter({
      timestamp: "time",
      categoryWidth: 12,
      categoryTruncate: "middle",
      properties: false,
      wordWrap: false,
    })
    : getJsonLinesFormatter();
}

/** Sends log records at `level` and above to the console, as `format` says. */
export async function setupLogging(
  level: LogLevel,
  format: LogFormat = "auto",
): Promise<void> {
  await configure({
    reset: true,
    sinks: {
      console: getConsoleSink({ formatter: formatterFor(format) }),
    },
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
