/**
 * Security headers for every response: a Content-Security-Policy allowing
 * no inline script (islands boot from an external module), no framing,
 * `nosniff`, and a strict referrer policy.
 *
 * @module
 */

/** The Content-Security-Policy of every page. */
export const CSP: string = [
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

/**
 * Wraps a request handler so every response carries the security headers —
 * error pages included, which no middleware sees. A Content-Security-Policy
 * a route set itself is kept.
 */
export function withSecurityHeaders<A extends unknown[]>(
  handler: (req: Request, ...rest: A) => Promise<Response>,
): (req: Request, ...rest: A) => Promise<Response> {
  return async (req, ...rest) => {
    const res = await handler(req, ...rest);
    if (res.status === 101) return res;
    try {
      setHeaders(res.headers);
      return res;
    } catch {
      // Immutable headers (e.g. a fetched response): copy them.
      const copy = new Response(res.body, res);
      setHeaders(copy.headers);
      return copy;
    }
  };
}

function setHeaders(h: Headers): void {
  if (!h.has("content-security-policy")) h.set("content-security-policy", CSP);
  h.set("x-content-type-options", "nosniff");
  h.set("referrer-policy", "strict-origin-when-cross-origin");
  h.set("x-frame-options", "DENY");
}
