/**
 * Security headers for every response: a Content-Security-Policy allowing
 * no inline script (islands boot from an external module), no framing,
 * `nosniff`, and a strict referrer policy.
 *
 * @module
 */
import type { Context } from "fresh";

/** The Content-Security-Policy of every page. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Middleware adding the security headers to responses that lack them. */
export function securityHeaders<S>(): (ctx: Context<S>) => Promise<Response> {
  return async function securityHeadersMiddleware(ctx) {
    const res = await ctx.next();
    if (res.status === 101) return res;
    const h = res.headers;
    try {
      if (!h.has("content-security-policy")) {
        h.set("content-security-policy", CSP);
      }
      h.set("x-content-type-options", "nosniff");
      h.set("referrer-policy", "strict-origin-when-cross-origin");
      h.set("x-frame-options", "DENY");
      return res;
    } catch {
      // Immutable headers (e.g. a fetched response): copy them.
      const copy = new Response(res.body, res);
      copy.headers.set("content-security-policy", CSP);
      copy.headers.set("x-content-type-options", "nosniff");
      copy.headers.set("referrer-policy", "strict-origin-when-cross-origin");
      copy.headers.set("x-frame-options", "DENY");
      return copy;
    }
  };
}
