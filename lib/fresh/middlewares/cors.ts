/**
 * `cors()`: Cross-Origin Resource Sharing headers and preflight answers,
 * with Fresh's options.
 *
 * @module
 */
import type { Context } from "../context.ts";
import type { Middleware } from "../types.ts";

/** Options of {@link cors}. */
export type CORSOptions<State> = {
  /** `*`, one origin, a list, or a function naming the origin to allow. */
  origin:
    | string
    | string[]
    | ((origin: string, ctx: Context<State>) => string | undefined | null);
  /** Methods a preflight allows (default GET, HEAD, PUT, POST, DELETE, PATCH). */
  allowMethods?: string[];
  /** Headers a preflight allows (default: those it asks for). */
  allowHeaders?: string[];
  /** Seconds a preflight answer may be cached. */
  maxAge?: number;
  /** Allow credentials (cookies) cross-origin. */
  credentials?: boolean;
  /** Response headers scripts of the other origin may read. */
  exposeHeaders?: string[];
};

/**
 * Adds CORS headers to responses and answers preflight (`OPTIONS`)
 * requests with 204.
 *
 * @example
 * ```ts
 * app.use("/api", cors({ origin: "https://example.com" }));
 * ```
 */
export function cors<State>(
  options: CORSOptions<State> = { origin: "*" },
): Middleware<State> {
  const {
    origin: wanted,
    allowMethods = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"],
    allowHeaders = [],
    exposeHeaders = [],
    maxAge,
    credentials = false,
  } = options;
  const decorate = (headers: Headers, allow: string | null) => {
    if (allow) headers.set("access-control-allow-origin", allow);
    if (credentials) headers.set("access-control-allow-credentials", "true");
    if (exposeHeaders.length > 0) {
      headers.set("access-control-expose-headers", exposeHeaders.join(","));
    }
  };
  return async function crossOriginHeaders(ctx) {
    const origin = ctx.req.headers.get("origin") ?? "";
    let allow: string | null;
    if (typeof wanted === "string") {
      allow = wanted === "*" || wanted === origin ? wanted : null;
    } else if (typeof wanted === "function") {
      allow = wanted(origin, ctx) ?? null;
    } else allow = wanted.includes(origin) ? origin : null;
    const vary = new Set<string>();
    if (wanted !== "*" && allow && allow !== "*") vary.add("Origin");

    if (ctx.req.method === "OPTIONS") {
      const headers = new Headers();
      decorate(headers, allow);
      if (maxAge !== undefined) {
        headers.set("access-control-max-age", String(maxAge));
      }
      if (allowMethods.length > 0) {
        headers.set("access-control-allow-methods", allowMethods.join(","));
      }
      const asked = ctx.req.headers.get("access-control-request-headers");
      const headersAllowed = allowHeaders.length > 0
        ? allowHeaders
        : asked
        ? asked.split(/\s*,\s*/)
        : [];
      if (headersAllowed.length > 0) {
        headers.set("access-control-allow-headers", headersAllowed.join(","));
        vary.add("Access-Control-Request-Headers");
      }
      if (vary.size > 0) headers.set("vary", [...vary].join(", "));
      return new Response(null, { status: 204, headers });
    }

    const res = await ctx.next();
    decorate(res.headers, allow);
    if (vary.size > 0) {
      for (const v of res.headers.get("vary")?.split(/\s*,\s*/) ?? []) {
        if (v) vary.add(v);
      }
      res.headers.set("vary", [...vary].join(", "));
    }
    return res;
  };
}
