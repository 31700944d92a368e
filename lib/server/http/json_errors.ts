/**
 * Middleware turning errors into JSON responses, for API and WebSocket
 * routes whose clients are programs rather than people.
 *
 * @module
 */
import { type Context, HttpError } from "fresh";
import { logger } from "@/lib/server/log.ts";
import { StoreUnavailableError } from "@/lib/server/store/store.ts";

const log = logger("http");

const GENERIC: Record<number, string> = {
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
};

/** The body of every JSON error response. */
export interface ErrorBody {
  /** The HTTP status, repeated, and a message fit for the user. */
  error: { status: number; message: string };
}

/** What a JSON answer says while the store can't be reached (a 503). */
export const STORE_AWAY =
  "Unavailable: the database can't be reached, try again shortly";

/** A JSON error response. */
export function jsonError(status: number, message: string): Response {
  const body: ErrorBody = { error: { status, message } };
  return Response.json(body, { status });
}

/** Options of {@link jsonErrors}. */
export interface JsonErrorsOptions {
  /**
   * The message of a 404 thrown without one (Fresh's own, for a path no
   * route serves), given the path; "Not found" by default.
   */
  notFound?: (path: string) => string;
}

/**
 * Answers an `HttpError` with its status and a JSON body, a store outage
 * with 503, and anything else with a logged 500.
 *
 * @example
 * ```ts
 * app.use("/api", jsonErrors({ notFound: (path) => `No API at ${path}` }));
 * ```
 */
export function jsonErrors(
  options: JsonErrorsOptions = {},
): <S>(ctx: Context<S>) => Promise<Response> {
  return async function jsonErrorsMiddleware<S>(ctx: Context<S>) {
    try {
      return await ctx.next();
    } catch (error) {
      if (error instanceof HttpError) {
        // Fresh's own errors (404, 405, 403) carry no message.
        const message = error.message ||
          (error.status === 404 && options.notFound
            ? options.notFound(ctx.url.pathname)
            : GENERIC[error.status]) ||
          `HTTP ${error.status}`;
        return jsonError(error.status, message);
      }
      if (error instanceof StoreUnavailableError) {
        // Logged once per outage by the store.
        return jsonError(503, STORE_AWAY);
      }
      log.error("{method} {path} failed: {error}", {
        method: ctx.req.method,
        path: ctx.url.pathname,
        error: error instanceof Error
          ? error.stack ?? error.message
          : String(error),
      });
      return jsonError(500, "Internal server error");
    }
  };
}
