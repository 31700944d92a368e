/**
 * Reading the `Cookie` header and writing `Set-Cookie` values, for the few
 * cookies the server sets (the session id and the anonymous CSRF token).
 *
 * @module
 */

/** Attributes of a cookie the server sets. */
export interface CookieOptions {
  /** Seconds until the browser drops it; 0 deletes it. Omitted: a browser-session cookie. */
  maxAge?: number;
  /** Send only over https. */
  secure: boolean;
  /** Hide from scripts (default true). */
  httpOnly?: boolean;
}

/** The value of cookie `name` in the request, or undefined. */
export function getCookie(req: Request, name: string): string | undefined {
  const header = req.headers.get("cookie");
  if (!header) return undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length > 1) {
      value = value.slice(1, -1);
    }
    return value;
  }
  return undefined;
}

/**
 * A `Set-Cookie` value; always `SameSite=Lax; Path=/`.
 *
 * @example
 * ```ts
 * headers.append("set-cookie", setCookie("sid", id, { secure: true, maxAge: 3600 }));
 * ```
 */
export function setCookie(
  name: string,
  value: string,
  options: CookieOptions,
): string {
  if (!/^[\w-]+$/.test(name) || !/^[\w.~-]*$/.test(value)) {
    throw new Error(`Cookie ${name}: unsafe name or value`);
  }
  const parts = [`${name}=${value}`, "Path=/", "SameSite=Lax"];
  if (options.httpOnly ?? true) parts.push("HttpOnly");
  if (options.secure) parts.push("Secure");
  if (options.maxAge !== undefined) {
    parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAge))}`);
  }
  return parts.join("; ");
}

/**
 * Whether the client reached us over https: the request URL says so, or,
 * with `trustProxy`, the proxy's `X-Forwarded-Proto` does.
 */
export function isSecureRequest(req: Request, trustProxy: boolean): boolean {
  if (new URL(req.url).protocol === "https:") return true;
  if (!trustProxy) return false;
  const proto = req.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  return proto?.toLowerCase() === "https";
}
