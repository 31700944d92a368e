/**
 * A guard against a defect of the `postgres` client (3.4.9, still open
 * upstream as porsager/postgres#1192): on every new connection it asks the
 * server for its array types with a query whose promise nobody awaits. A
 * connection lost at that moment (PostgreSQL restarting, a backend
 * terminated) rejects that promise with no handler, and Deno ends the
 * process on an unhandled rejection: an instance died that way in a crash
 * test while PostgreSQL restarted, its sockets and all.
 *
 * The client reconnects by itself and the statements waiting on the lost
 * connection fail on their own (the store reports the outage), so such a
 * rejection carries nothing to act on. {@link guardOrphanedErrors} installs
 * one listener per process that logs an unhandled rejection which is a
 * PostgreSQL connection error and keeps the process running; any other
 * unhandled rejection still ends it.
 *
 * @module
 */
import { type Logger, logger } from "@/lib/server/log.ts";
import { isLostConnection } from "./postgres_errors.ts";

let installed = false;

/**
 * Keeps unhandled PostgreSQL connection errors from ending the process:
 * each is logged instead. Installed once per process; later calls do
 * nothing.
 */
export function guardOrphanedErrors(log: Logger = logger("store")): void {
  if (installed) return;
  installed = true;
  globalThis.addEventListener("unhandledrejection", (event) => {
    if (!isLostConnection(event.reason)) return;
    event.preventDefault();
    log.warn(
      "a PostgreSQL connection error reached no one (the client's type fetch on a lost connection, porsager/postgres#1192): {error}",
      { error: String(event.reason) },
    );
  });
}
