/**
 * Test helper: runs a function with `console.error` captured, so expected
 * 500s stay quiet and their logs can be checked.
 *
 * @module
 */

/** Runs `fn` with console.error captured into `logged`. */
export async function withErrorsCaptured<T>(
  fn: (logged: unknown[][]) => Promise<T>,
): Promise<T> {
  const logged: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    return await fn(logged);
  } finally {
    console.error = original;
  }
}
