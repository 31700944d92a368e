/**
 * Cross-site request forgery protection for form posts, in two layers:
 *
 * 1. The request must come from this origin: Fresh's `csrf()` middleware
 *    (see {@link sameSiteForms}) checks `Sec-Fetch-Site` and `Origin`.
 * 2. The form must carry a token in its hidden `csrf` field. With a session
 *    the token is derived from the session id (which scripts can't read);
 *    without one (the login and registration forms) it is a random value
 *    also set as a cookie, and the two must match (double submit). Over
 *    HTTPS the cookie is `__Host-csrf`, which no sibling subdomain can set.
 *
 * @module
 */
import { type Context, csrf, HttpError, type Middleware } from "fresh";
import { getCookie, setCookie } from "@/lib/server/http/cookies.ts";
import { mediaTypeOf } from "@/lib/server/http/media_type.ts";
import { readSmallBody } from "@/lib/server/http/small_body.ts";
import { isSameOrigin } from "@/lib/server/http/origin.ts";
import { jsonError } from "@/lib/server/http/json_errors.ts";
import { randomId, sha256 } from "./login_sessions.ts";

/** The hidden form field, and the cookie of anonymous forms, holding the token. */
export const CSRF_FIELD = "csrf";

/** The cookie of anonymous forms' token over HTTPS. */
export const SECURE_CSRF_COOKIE = "__Host-csrf";

const cookieName = (secure: boolean) =>
  secure ? SECURE_CSRF_COOKIE : CSRF_FIELD;

/** Form posts larger than this are refused; ours are a few hundred bytes. */
const MAX_FORM_BYTES = 16 * 1024;
/** How long a form post's body may take to arrive (408 after). */
const FORM_BODY_TIMEOUT_MS = 10_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** A form's CSRF token, and the cookie to set when it is new. */
export interface CsrfToken {
  /** The value the form carries in a hidden field. */
  token: string;
  /** A `Set-Cookie` value, for an anonymous visitor without a token yet. */
  setCookie?: string;
}

/**
 * The token to render into a form's hidden `csrf` field: the session's, or
 * the visitor's anonymous one (made and set as a cookie on first use).
 */
export function csrfToken(
  req: Request,
  sessionId: string | undefined,
  secure: boolean,
): CsrfToken {
  if (sessionId) return { token: sessionCsrfToken(sessionId) };
  const existing = getCookie(req, cookieName(secure));
  if (existing && TOKEN.test(existing)) return { token: existing };
  const token = randomId();
  return {
    token,
    // Expires with the browser session: a stale form needs only a reload.
    setCookie: setCookie(cookieName(secure), token, { secure }),
  };
}

/**
 * Reads a urlencoded form post after checking it carries the right token;
 * otherwise throws a 403 {@link HttpError} saying why. `secure` says
 * whether the request came over HTTPS (which cookie holds the token).
 *
 * @example
 * ```ts
 * const form = await verifiedForm(ctx.req, ctx.state.sessionId, secure);
 * const name = form.get("username") ?? "";
 * ```
 */
export async function verifiedForm(
  req: Request,
  sessionId: string | undefined,
  secure: boolean,
): Promise<URLSearchParams> {
  const form = await readForm(req);
  const sent = form.get(CSRF_FIELD);
  if (!sent) {
    throw new HttpError(
      403,
      "CSRF check failed: the form has no token, reload the page and try again",
    );
  }
  const expected = sessionId
    ? sessionCsrfToken(sessionId)
    : getCookie(req, cookieName(secure));
  if (!expected || !TOKEN.test(expected) || !safeEqual(sent, expected)) {
    throw new HttpError(
      403,
      "CSRF check failed: the form's token is stale or forged, reload the page and try again",
    );
  }
  return form;
}

/**
 * Fresh's `csrf()`: state-changing requests must come from a page of this
 * site. The site is the request's host under either scheme, as a TLS proxy
 * in front (ngrok) makes the browser's `https:` origin arrive as `http:`.
 */
export function sameSiteForms<S>(): Middleware<S> {
  const guard = csrf<S>({
    // The Origin header it checks is the request's: one same-origin rule.
    origin: (_origin: string, ctx: Context<S>) => isSameOrigin(ctx.req),
  });
  return async function sameSiteRequests(ctx: Context<S>) {
    try {
      return await guard(ctx);
    } catch (error) {
      // The JSON API's clients are programs: they get a JSON error.
      if (
        error instanceof HttpError && error.status === 403 &&
        ctx.url.pathname.startsWith("/api/")
      ) {
        return jsonError(403, "Cross-site request refused");
      }
      throw error;
    }
  };
}

async function readForm(req: Request): Promise<URLSearchParams> {
  if (mediaTypeOf(req.headers) !== "application/x-www-form-urlencoded") {
    throw new HttpError(415, "Expected a form post");
  }
  const bytes = await readSmallBody(req, {
    maxBytes: MAX_FORM_BYTES,
    tooLarge: "Form too large",
    timeoutMs: FORM_BODY_TIMEOUT_MS,
  });
  return new URLSearchParams(new TextDecoder().decode(bytes));
}

/**
 * The CSRF token of a logged-in user's forms, derived from the session id
 * so it needs no storage; for a logout button rendered in a layout.
 */
export function sessionCsrfToken(sessionId: string): string {
  return sha256(`csrf\u0000${sessionId}`);
}

function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
