/**
 * Commits to a Deno KV file that other processes may share: SQLite lets one
 * writer in at a time, so a commit can fail with "database is locked" while
 * another instance writes. That is a turn to wait for, not an outage.
 *
 * @module
 */

/** Tries a commit gets while the file stays locked, by default. */
const MAX_ATTEMPTS = 50;

/** Whether `error` is SQLite's "another process is writing": try again. */
export function isLocked(error: unknown): boolean {
  return String(error).includes("database is locked");
}

/**
 * Commits `op`; false on a failed check or a locked file (the caller reads
 * again and retries), after a short wait that grows, jittered, with
 * `attempt`. A file still locked after `maxAttempts`, or any other
 * failure, throws.
 */
export async function tryCommit(
  op: Deno.AtomicOperation,
  attempt: number,
  maxAttempts = MAX_ATTEMPTS,
): Promise<boolean> {
  try {
    if ((await op.commit()).ok) return true;
  } catch (error) {
    if (!isLocked(error) || attempt >= maxAttempts) throw error;
  }
  await new Promise((r) => setTimeout(r, Math.random() * 2 * attempt));
  return false;
}
