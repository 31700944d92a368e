/**
 * What the login and registration pages share: rendering a form with its
 * CSRF token, uncached, and starting a session once a user is known.
 *
 * @module
 */
import { type Context, page, type PageResponse } from "fresh";
import type { Chat } from "@/lib/server/chat/chat.ts";
import type { AuthState } from "./middleware.ts";
import { getCookie, isSecureRequest } from "@/lib/server/http/cookies.ts";
import { csrfToken, verifiedForm } from "./csrf.ts";
import { clientAddress } from "@/lib/server/http/client_address.ts";
import { localPath } from "@/lib/server/http/local_path.ts";
import { SESSION_COOKIE, sessionCookie } from "./login_sessions.ts";

/** The data of an auth form page. */
export interface AuthFormData {
  /** The form's CSRF token. */
  csrf: string;
  /** Where to go after success: a local path. */
  next: string;
  /** What the user typed, shown again. */
  username: string;
  /** Why the last attempt failed, shown as text. */
  error?: string;
}

/** The state auth form helpers read: the auth services and the chat's config. */
type AuthFormState = AuthState & { chat: Chat };

/** What a posted login or registration form says, once its CSRF check passed. */
export interface PostedAuthForm {
  form: URLSearchParams;
  username: string;
  password: string;
  /** A local path to go to afterwards. */
  next: string;
  /** The client's address, for the limiters. */
  address: string;
}

/** Reads a posted auth form; throws a 403 `HttpError` if its CSRF check fails. */
export async function readAuthForm<S extends AuthFormState>(
  ctx: Context<S>,
): Promise<PostedAuthForm> {
  const secure = isSecureRequest(ctx.req, ctx.state.chat.config.trustProxy);
  const form = await verifiedForm(ctx.req, ctx.state.sessionId, secure);
  return {
    form,
    username: (form.get("username") ?? "").trim(),
    password: form.get("password") ?? "",
    next: localPath(form.get("next")),
    address: clientAddress(ctx.req, ctx.info, ctx.state.chat.config),
  };
}

/** The form page with a fresh CSRF token; never cached. */
export function authForm<S extends AuthFormState>(
  ctx: Context<S>,
  data: Omit<AuthFormData, "csrf">,
  init: { status?: number; retryAfterS?: number } = {},
): PageResponse<AuthFormData> {
  const secure = isSecureRequest(ctx.req, ctx.state.chat.config.trustProxy);
  const { token, setCookie } = csrfToken(ctx.req, ctx.state.sessionId, secure);
  const headers = new Headers({ "cache-control": "no-store" });
  if (setCookie) headers.append("set-cookie", setCookie);
  if (init.retryAfterS) headers.set("retry-after", String(init.retryAfterS));
  return page<AuthFormData>({ ...data, csrf: token }, {
    status: init.status,
    headers,
  });
}

/**
 * Starts a session for `user` under a new id (ending the one the browser
 * presented) and redirects (303) to `next`.
 */
export async function startSession<S extends AuthFormState>(
  ctx: Context<S>,
  user: string,
  next: string,
): Promise<Response> {
  const { auth, chat } = ctx.state;
  const session = await auth.sessions.create(
    user,
    getCookie(ctx.req, SESSION_COOKIE),
  );
  const secure = isSecureRequest(ctx.req, chat.config.trustProxy);
  const res = ctx.redirect(next, 303);
  res.headers.append("set-cookie", sessionCookie(session, secure));
  return res;
}
