/**
 * Command lines of the bench's tools: `--flag=value` arguments, each handed
 * to the tool's own reader, and anything it does not take refused.
 *
 * @module
 */

/**
 * Calls `take` with each argument's flag and value (a bare `--` is
 * skipped); an argument `take` refuses (returns false) throws.
 */
export function eachFlag(
  args: string[],
  take: (flag: string, value: string) => boolean,
): void {
  for (const arg of args) {
    if (arg === "--") continue;
    const [flag, value = ""] = arg.split(/=(.*)/s, 2);
    if (!take(flag, value)) {
      throw new Error(`Unknown or invalid argument: ${arg}`);
    }
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
