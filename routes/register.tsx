import { type Context, page } from "fresh";
import { define, type State } from "../utils.ts";
import { AuthForm, Field } from "../components/AuthForm.tsx";
import {
  AccountError,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
} from "../lib/accounts.ts";
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
 * `GET /register` shows the form; `POST /register` creates the account,
 * logs it in under a new session id and redirects (303) to `next` when it
 * is a local path.
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
    const verdict = auth.registrations.check(address, address);
    if (!verdict.ok) {
      return render(ctx, {
        next,
        username,
        error: `Too many registrations from your address: try again in ${
          Math.ceil(verdict.retryAfterS / 60)
        } min`,
      }, 429);
    }
    auth.registrations.fail(address, address);
    if (password !== (form.get("confirm") ?? "")) {
      return render(ctx, {
        next,
        username,
        error: "Passwords differ: type the same password twice",
      }, 400);
    }
    if (await chat.identities.isHeld(username)) {
      return render(ctx, {
        next,
        username,
        error: `The name ${username} is in use by a guest right now`,
      }, 400);
    }
    let account;
    try {
      account = await auth.accounts.register(username, password);
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      return render(ctx, { next, username, error: error.message }, 400);
    }
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
  status?: number,
) {
  const secure = isSecureRequest(ctx.req, ctx.state.chat.config.trustProxy);
  const { token, setCookie } = csrfToken(ctx.req, ctx.state.sessionId, secure);
  const headers = new Headers({ "cache-control": "no-store" });
  if (setCookie) headers.append("set-cookie", setCookie);
  return page<Data>({ ...data, csrf: token }, { status, headers });
}

export default define.page<Data>(function Register({ data }) {
  const loginHref = data.next === "/"
    ? "/login"
    : `/login?next=${encodeURIComponent(data.next)}`;
  return (
    <AuthForm
      title="Create an account"
      action="/register"
      csrf={data.csrf}
      next={data.next}
      error={data.error}
      submit="Create account"
      footer={
        <p class="note">
          Have an account? <a href={loginHref}>Log in</a>
        </p>
      }
    >
      <Field
        name="username"
        label="Username (1–24 letters, digits, _ . -)"
        autocomplete="username"
        value={data.username}
        maxLength={24}
      />
      <Field
        name="password"
        label={`Password (at least ${MIN_PASSWORD_LENGTH} characters)`}
        type="password"
        autocomplete="new-password"
        minLength={MIN_PASSWORD_LENGTH}
        maxLength={MAX_PASSWORD_LENGTH}
      />
      <Field
        name="confirm"
        label="Password again"
        type="password"
        autocomplete="new-password"
        minLength={MIN_PASSWORD_LENGTH}
        maxLength={MAX_PASSWORD_LENGTH}
      />
    </AuthForm>
  );
});
