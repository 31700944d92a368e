/**
 * Telling a lost PostgreSQL connection from a statement that failed: the
 * store counts the first as an outage (sends refused, probes with backoff),
 * the second as the statement's own error.
 *
 * @module
 */

/** Codes of a connection that went away or could not be made. */
const LOST = new Set([
  // The socket's.
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  // The resolver's: the database's host name stopped resolving (as during
  // a DNS failover), or the resolver is unreachable.
  "ENOTFOUND",
  "EAI_AGAIN",
  // The `postgres` client's own.
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  // The server's.
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
]);

/**
 * Whether `error` is the `postgres` client's report of a connection lost or
 * refused: a code above, or a server error of class 08 (connection
 * exception) or of severity `FATAL` (which ends the backend).
 */
export function isLostConnection(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, severity } = error as Error & {
    code?: unknown;
    severity?: unknown;
  };
  if (typeof code !== "string") return false;
  if (LOST.has(code)) return true;
  return error.name === "PostgresError" &&
    (code.startsWith("08") || severity === "FATAL");
}

/**
 * Whether `error` says PostgreSQL is unreachable rather than that a query
 * was wrong: a lost connection, or no answer in time (`deadline.ts`).
 */
export function isConnectionError(error: unknown): boolean {
  return isLostConnection(error) ||
    (error as { code?: unknown } | null)?.code === "DEADLINE_EXCEEDED";
}
