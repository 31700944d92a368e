import { define } from "@/utils.ts";
import {
  authForm,
  readAuthForm,
  startSession,
} from "@/lib/server/auth/forms.ts";
import { AuthForm, Field } from "@/components/AuthForm.tsx";
import { localPath } from "@/lib/server/http/local_path.ts";
import { USER_NAME } from "@/lib/shared/names.ts";
import { getCookie, isSecureRequest } from "@/lib/server/http/cookies.ts";
import {
  DEVICE_COOKIE,
  deviceCookie,
  isDeviceOf,
} from "@/lib/server/auth/device_cookie.ts";

/**
 * `GET /login` shows the form; `POST /login` checks the password, starts a
 * session under a new id and redirects (303) to `next` when it is a local
 * path. Failed attempts are limited per address and per (address,
 * username), and slowed per username unless the browser holds the device
 * cookie of an earlier login to that account (set here on success).
 */
export const handler = define.handlers({
  GET(ctx) {
    const next = localPath(ctx.url.searchParams.get("next"));
    return authForm(ctx, { next, username: "" });
  },

  async POST(ctx) {
    const { auth } = ctx.state;
    const { username, password, next, address } = await readAuthForm(ctx);
    // No account has a name outside the rules (and a long one is no store
    // key): it is a wrong name before any lookup or count.
    if (!USER_NAME.test(username)) {
      return authForm(ctx, {
        next,
        username,
        error: "Wrong username or password",
      }, { status: 400 });
    }
    const known = isDeviceOf(
      getCookie(ctx.req, DEVICE_COOKIE),
      await auth.accounts.get(username),
    );
    const verdict = auth.limiter.check(address, username, known);
    if (!verdict.ok) {
      const wait = verdict.locked
        ? `${Math.ceil(verdict.retryAfterS / 60)} min`
        : `${verdict.retryAfterS} s`;
      return authForm(ctx, {
        next,
        username,
        error: `Too many failed logins: try again in ${wait}`,
      }, { status: 429, retryAfterS: verdict.retryAfterS });
    }
    // Counted before the (slow) check, so parallel guesses can't slip through.
    auth.limiter.fail(address, username);
    const account = await auth.accounts.verify(username, password);
    if (!account) {
      return authForm(ctx, {
        next,
        username,
        error: "Wrong username or password",
      }, { status: 400 });
    }
    auth.limiter.succeed(address, username);
    const res = await startSession(ctx, account.name, next);
    const secure = isSecureRequest(ctx.req, ctx.state.chat.config.trustProxy);
    res.headers.append("set-cookie", deviceCookie(account, secure));
    return res;
  },
});

export default define.page<typeof handler>(function Login({ data, state }) {
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
