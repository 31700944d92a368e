/**
 * Security headers for every response. Fresh's `csp()` middleware sets the
 * pages' Content-Security-Policy (with the boot script's nonce); but as in
 * Fresh, error pages skip middleware, so the listener wraps the whole
 * handler with {@link withSecurityHeaders}: `nosniff`, no framing, a strict
 * referrer policy, a Permissions-Policy, HSTS over TLS, and a strict CSP
 * where none was set.
 *
 * @module
 */
import { isSecureRequest } from "./cookies.ts";

/**
 * The app's CSP directives, given to `csp()`, which keeps the rest of
 * Fresh's defaults; scripts need the nonce, styles come from files only.
 */
export const CSP_DIRECTIVES: string[] = [
  "style-src 'self'",
  "base-uri 'none'",
];

/** The CSP of responses `csp()` didn't see (error pages): no script at all. */
export const FALLBACK_CSP: string = [
  "default-src 'self'",
  "script-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Features no page of the chat uses, denied to it and to any frame. */
export const PERMISSIONS_POLICY: string = [
  "camera=()",
  "microphone=()",
  "geolocation=()",
  "payment=()",
  "usb=()",
  "interest-cohort=()",
].join(", ");

/** HSTS for a year, sent only on responses that travelled over TLS. */
export const HSTS = "max-age=31536000; includeSubDomains";

/**
 * Wraps a request handler so every response but a WebSocket upgrade
 * carries the security headers. Over plain HTTP it also drops
 * `upgrade-insecure-requests` from the CSP, which would send the page's
 * scripts and sockets to an https port that isn't there. `trustProxy`
 * lets `X-Forwarded-Proto: https` count as TLS.
 */
export function withSecurityHeaders<A extends unknown[]>(
  handler: (req: Request, ...rest: A) => Response | Promise<Response>,
  trustProxy: boolean,
): (req: Request, ...rest: A) => Promise<Response> {
  return async (req, ...rest) => {
    const res = await handler(req, ...rest);
    if (res.status === 101) return res;
    const secure = isSecureRequest(req, trustProxy);
    try {
      setHeaders(res.headers, secure);
      return res;
    } catch {
      // Immutable headers (e.g. a fetched response): copy them.
      const copy = new Response(res.body, res);
      setHeaders(copy.headers, secure);
      return copy;
    }
  };
}

function setHeaders(h: Headers, secure: boolean): void {
  h.set("x-content-type-options", "nosniff");
  h.set("referrer-policy", "strict-origin-when-cross-origin");
  h.set("x-frame-options", "DENY");
  h.set("permissions-policy", PERMISSIONS_POLICY);
  if (secure) h.set("strict-transport-security", HSTS);
  const csp = h.get("content-security-policy");
  if (!csp) h.set("content-security-policy", FALLBACK_CSP);
  else if (!secure) {
    h.set(
      "content-security-policy",
      csp.split(/;\s*/).filter((d) => d !== "upgrade-insecure-requests")
        .join("; "),
    );
  }
}
