import { type Context, page } from "fresh";
import { define, type State } from "../utils.ts";
import { AuthForm, Field } from "../components/AuthForm.tsx";
import { getCookie, isSecureRequest } from "../lib/cookies.ts";
import { csrfToken, verifiedForm } from "../lib/csrf.ts";
import { clientAddress } from "../lib/guard.ts";
import { localPath } from "../lib/local_path.ts";
import { SESSION_COOKIE, sessionCookie } from "../lib/sessions.ts";

interface Data {
  csrf: string;
  next: string;
  username: string;
  error?: string;
}

/**
 * `GET /login` shows the form; `POST /login` checks the password, starts a
 * session under a new id and redirects (303) to `next` when it is a local
 * path. Failed attempts are limited per address and per username.
 */
export const handler = define.handlers({
  GET(ctx) {
    const next = localPath(ctx.url.searchParams.get("next"));
    return render(ctx, { next, username: "" });
  },

  async POST(ctx) {
    const { auth, chat } = ctx.state;
    const form = await verifiedForm(ctx.req, ctx.state.sessionId);
    const username = (form.get("username") ?? "").trim();
    const password = form.get("password") ?? "";
    const next = localPath(form.get("next"));
    const address = clientAddress(ctx.req, ctx.info, chat.config);
    const verdict = auth.limiter.check(address, username);
    if (!verdict.ok) {
      const wait = verdict.locked
        ? `${Math.ceil(verdict.retryAfterS / 60)} min`
        : `${verdict.retryAfterS} s`;
      return render(ctx, {
        next,
        username,
        error: `Too many failed logins: try again in ${wait}`,
      }, { status: 429, retryAfterS: verdict.retryAfterS });
    }
    // Counted before the (slow) check, so parallel guesses can't slip through.
    auth.limiter.fail(address, username);
    const account = await auth.accounts.verify(username, password);
    if (!account) {
      return render(ctx, {
        next,
        username,
        error: "Wrong username or password",
      }, { status: 400 });
    }
    auth.limiter.succeed(address, username);
    const session = await auth.sessions.create(
      account.name,
      getCookie(ctx.req, SESSION_COOKIE),
    );
    const secure = isSecureRequest(ctx.req, chat.config.trustProxy);
    const res = ctx.redirect(next, 303);
    res.headers.append("set-cookie", sessionCookie(session, secure));
    return res;
  },
});

function render(
  ctx: Context<State>,
  data: Omit<Data, "csrf">,
  init: { status?: number; retryAfterS?: number } = {},
) {
  const secure = isSecureRequest(ctx.req, ctx.state.chat.config.trustProxy);
  const { token, setCookie } = csrfToken(ctx.req, ctx.state.sessionId, secure);
  const headers = new Headers({ "cache-control": "no-store" });
  if (setCookie) headers.append("set-cookie", setCookie);
  if (init.retryAfterS) headers.set("retry-after", String(init.retryAfterS));
  return page<Data>({ ...data, csrf: token }, {
    status: init.status,
    headers,
  });
}

export default define.page<Data>(function Login({ data, state }) {
  const registerHref = data.next === "/"
    ? "/register"
    : `/register?next=${encodeURIComponent(data.next)}`;
  return (
    <AuthForm
      title="Log in"
      action="/login"
      csrf={data.csrf}
      next={data.next}
      error={data.error}
      submit="Log in"
      footer={
        <p class="note">
          No account yet? <a href={registerHref}>Register</a>
        </p>
      }
    >
      {state.user && (
        <p class="note">You are logged in as {state.user.name}.</p>
      )}
      <Field
        name="username"
        label="Username"
        autocomplete="username"
        value={data.username}
        maxLength={24}
      />
      <Field
        name="password"
        label="Password"
        type="password"
        autocomplete="current-password"
      />
    </AuthForm>
  );
});
