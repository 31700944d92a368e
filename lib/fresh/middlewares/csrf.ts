/**
 * `csrf()`: refuses cross-site state-changing requests, Fresh's way — by
 * `Sec-Fetch-Site`, else by `Origin`; safe methods always pass.
 *
 * @module
 */
import type { Context } from "../context.ts";
import { HttpError } from "../http_error.ts";
import type { Middleware } from "../types.ts";

/** Options of {@link csrf}. */
export interface CsrfOptions<State = unknown> {
  /**
   * Origins allowed besides the request's own: one, a list, or a test.
   * Given, it replaces the same-origin check for the `Origin` header.
   */
  origin?:
    | string
    | string[]
    | ((origin: string, context: Context<State>) => boolean);
}

/**
 * Answers 403 to a POST, PUT, PATCH or DELETE sent from another site: when
 * the browser sends `Sec-Fetch-Site`, it must be `same-origin` or `none`
 * (or the `Origin` allowed); otherwise an `Origin`, when sent, must be
 * allowed. Requests with neither header (not from a browser) pass.
 */
export function csrf<State>(
  options: CsrfOptions<State> = {},
): Middleware<State> {
  const allowed = (origin: string | null, ctx: Context<State>): boolean => {
    if (origin === null) return false;
    const o = options.origin;
    if (o === undefined) return origin === ctx.url.origin;
    if (typeof o === "string") return origin === o;
    if (typeof o === "function") return o(origin, ctx);
    return o.includes(origin);
  };
  return async function crossSiteRequestGuard(ctx) {
    const { method, headers } = ctx.req;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") {
      return await ctx.next();
    }
    const site = headers.get("sec-fetch-site");
    const origin = headers.get("origin");
    if (site !== null) {
      if (site === "same-origin" || site === "none" || allowed(origin, ctx)) {
        return await ctx.next();
      }
      throw new HttpError(403);
    }
    if (origin === null || allowed(origin, ctx)) return await ctx.next();
    throw new HttpError(403);
  };
}
