/**
 * Where a request comes from: the one same-origin check, used before a
 * WebSocket upgrade (against cross-site WebSocket hijacking) and for form
 * posts (against cross-site request forgery).
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";

/**
 * Whether a request's `Origin` header is absent (a non-browser client, or a
 * browser that sends none) or the server's own origin.
 */
export function isSameOrigin(req: Request): boolean {
  const origin = req.headers.get("origin");
  if (origin === null) return true;
  if (origin === new URL(req.url).origin) return true;
  // Behind a proxy the request URL carries the proxy's view of the Host header.
  const host = req.headers.get("host");
  return host !== null &&
    (origin === `http://${host}` || origin === `https://${host}`);
}

/**
 * Whether a request's Origin may open a socket: none at all (a non-browser
 * client), or one of `PUBLIC_URL` and `ALLOWED_ORIGINS`. Only when neither is
 * configured is the request's own origin ({@link isSameOrigin}) accepted: a
 * Host header is whatever name the browser used, so with DNS rebinding an
 * attacker's name pointing at this server would pass.
 */
export function originAllowed(req: Request, config: Config): boolean {
  const origin = req.headers.get("origin");
  if (origin === null) return true;
  if (config.publicOrigin !== undefined || config.allowedOrigins.length > 0) {
    return origin === config.publicOrigin ||
      config.allowedOrigins.includes(origin);
  }
  return isSameOrigin(req);
}
