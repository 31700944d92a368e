/**
 * Command lines of the bench's tools: `--flag=value` arguments, each handed
 * to the tool's own reader, and anything it does not take refused; `--help`
 * lists the flags (see {@link parseOrExit}).
 *
 * @module
 */

/** An argument a tool does not take, or a value it can't use. */
export class UsageError extends Error {
  /** Always `"UsageError"`. */
  override name = "UsageError";
}

/**
 * Calls `take` with each argument's flag and value (a bare `--` is
 * skipped); an argument `take` refuses (returns false) throws a
 * {@link UsageError}.
 */
export function eachFlag(
  args: string[],
  take: (flag: string, value: string) => boolean,
): void {
  for (const arg of args) {
    if (arg === "--") continue;
    const [flag, value = ""] = arg.split(/=(.*)/s, 2);
    if (!take(flag, value)) {
      throw new UsageError(`Unknown or invalid argument: ${arg}`);
    }
  }
}

/** Where {@link parseOrExit} writes, and how it ends the process. */
export interface CliIo {
  /** Prints the usage (stdout). */
  out(text: string): void;
  /** Prints the one-line error (stderr). */
  err(line: string): void;
  /** Ends the process with `code`. */
  exit(code: number): never;
}

const PROCESS: CliIo = {
  out: (text) => console.log(text),
  err: (line) => console.error(line),
  exit: (code) => Deno.exit(code),
};

/**
 * What `parse` reads from `args`, for a tool's `import.meta.main`: with
 * `--help` (or `-h`) anywhere it prints `usage` and exits with 0, before
 * anything runs; an argument `parse` refuses (a {@link UsageError}) is one
 * line on stderr, `<tool>: <why> (--help lists the flags)`, and exit code 2.
 *
 * @example
 * ```ts
 * const options = parseOrExit("bench", Deno.args, USAGE, parseRunArgs);
 * ```
 */
export function parseOrExit<T>(
  tool: string,
  args: string[],
  usage: string,
  parse: (args: string[]) => T,
  io: CliIo = PROCESS,
): T {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(usage.trim());
    return io.exit(0);
  }
  try {
    return parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${tool}: ${error.message} (--help lists the flags)`);
    return io.exit(2);
  }
}

/** `value` as a positive integer, or undefined when it is none. */
export function positiveInt(value: string): number | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Reads `--<name>=<positive integer>` into `options[name]` when `name` is one
 * of `names`; false (refused) for any other flag or a value that is no such
 * integer.
 */
export function countFlag<K extends string>(
  options: Record<K, number>,
  names: readonly K[],
  flag: string,
  value: string,
): boolean {
  const name = flag.slice(2) as K;
  const n = positiveInt(value);
  if (!flag.startsWith("--") || !names.includes(name) || !n) return false;
  options[name] = n;
  return true;
}
