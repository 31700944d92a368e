/**
 * Pages during a store outage: a page that needs the store while it can't
 * be reached is answered 503 with a page saying so, not a 500, and is not
 * logged (the store logs each outage once). API routes answer JSON for the
 * same (see `json_errors.ts`).
 *
 * @module
 */
import type { Context } from "fresh";
import { StoreUnavailableError } from "@/lib/server/store/store.ts";
import { ErrorNotice } from "@/components/ErrorNotice.tsx";
import { jsonError, STORE_AWAY } from "./json_errors.ts";

/** Seconds a client is asked to wait before trying again. */
const RETRY_AFTER_S = 5;

/**
 * Middleware answering a {@link StoreUnavailableError} thrown after it with
 * a 503 page (`Retry-After`, never cached); other errors pass on.
 *
 * @example
 * ```ts
 * app.use(storeOutagePages());
 * ```
 */
export function storeOutagePages(): <S>(ctx: Context<S>) => Promise<Response> {
  return async function storeOutage<S,>(ctx: Context<S>) {
    try {
      return await ctx.next();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      // API and WebSocket clients read JSON (as `json_errors.ts` answers).
      if (/^\/(api|ws)(\/|$)/.test(ctx.url.pathname)) {
        return jsonError(503, STORE_AWAY);
      }
      return await ctx.render(
        <ErrorNotice
          title="Error 503"
          message="The chat's database can't be reached right now. Please try again in a few seconds."
        />,
        {
          status: 503,
          headers: {
            "retry-after": String(RETRY_AFTER_S),
            "cache-control": "no-store",
          },
        },
      );
    }
  };
}
