/**
 * `csp()`: sets a Content-Security-Policy on every response, Fresh's way —
 * a default policy the app's directives override by name, and with
 * `useNonce` the inline boot script's nonce in place of `'unsafe-inline'`.
 *
 * @module
 */
import type { Middleware } from "../types.ts";
import { NONCE_SYMBOL } from "../render.ts";

/** Options of {@link csp}. */
export interface CSPOptions {
  /** Send `Content-Security-Policy-Report-Only` instead (default false). */
  reportOnly?: boolean;
  /** Where browsers report violations (`report-to` and `report-uri`). */
  reportTo?: string;
  /** Directives replacing the defaults of the same name, or added. */
  csp?: string[];
  /**
   * Replace `'unsafe-inline'` in script and style directives by the
   * nonce of the page's inline boot script (default false).
   */
  useNonce?: boolean;
}

const DEFAULTS = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' data: blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "upgrade-insecure-requests",
];

/** Directives where a nonce can stand for `'unsafe-inline'`. */
const NONCE_DIRECTIVES = new Set([
  "default-src",
  "script-src",
  "script-src-elem",
  "style-src",
  "style-src-elem",
  "style-src-attr",
]);

const nameOf = (directive: string) => directive.split(" ", 1)[0];

/**
 * Adds a Content-Security-Policy header to every response but a WebSocket
 * handshake's.
 *
 * @example
 * ```ts
 * app.use(csp({ useNonce: true, csp: ["img-src 'self' https:"] }));
 * ```
 */
export function csp<State>(options: CSPOptions = {}): Middleware<State> {
  const { reportOnly = false, reportTo, csp = [], useNonce = false } = options;
  const own = new Set(csp.map(nameOf));
  const directives = [...DEFAULTS.filter((d) => !own.has(nameOf(d))), ...csp];
  if (reportTo) {
    directives.push("report-to csp-endpoint", `report-uri ${reportTo}`);
  }
  const header = reportOnly
    ? "content-security-policy-report-only"
    : "content-security-policy";
  const fixed = directives.join("; ");
  return async function contentSecurityPolicy(ctx) {
    const res = await ctx.next();
    // A WebSocket handshake's answer loads nothing a policy could govern.
    if (res.status === 101) return res;
    const nonce = useNonce
      ? (res as { [NONCE_SYMBOL]?: string })[NONCE_SYMBOL]
      : undefined;
    const value = nonce
      ? directives.map((d) =>
        NONCE_DIRECTIVES.has(nameOf(d))
          ? d.replaceAll("'unsafe-inline'", `'nonce-${nonce}'`)
          : d
      ).join("; ")
      : fixed;
    res.headers.set(header, value);
    if (reportTo) {
      res.headers.set("reporting-endpoints", `csp-endpoint="${reportTo}"`);
    }
    return res;
  };
}
