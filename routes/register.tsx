import { define } from "@/utils.ts";
import {
  authForm,
  readAuthForm,
  startSession,
} from "@/lib/server/auth/forms.ts";
import { AuthForm, Field } from "@/components/AuthForm.tsx";
import {
  AccountError,
  checkNewAccount,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
} from "@/lib/server/auth/accounts.ts";
import { localPath } from "@/lib/server/http/local_path.ts";

/**
 * `GET /register` shows the form; `POST /register` creates the account,
 * logs it in under a new session id and redirects (303) to `next` when it
 * is a local path.
 */
export const handler = define.handlers({
  GET(ctx) {
    const next = localPath(ctx.url.searchParams.get("next"));
    return authForm(ctx, { next, username: "" });
  },

  async POST(ctx) {
    const { auth, chat } = ctx.state;
    const { form, username, password, next, address } = await readAuthForm(ctx);
    const verdict = auth.registrations.check(address, address);
    if (!verdict.ok) {
      const wait = verdict.locked
        ? `${Math.ceil(verdict.retryAfterS / 60)} min`
        : `${verdict.retryAfterS} s`;
      return authForm(ctx, {
        next,
        username,
        error: `Too many registrations from your address: try again in ${wait}`,
      }, { status: 429, retryAfterS: verdict.retryAfterS });
    }
    // Typos (names and passwords outside the rules) don't count towards the
    // limit; an attempt that gets as far as a lookup does, whatever it finds.
    if (password !== (form.get("confirm") ?? "")) {
      return authForm(ctx, {
        next,
        username,
        error: "Passwords differ: type the same password twice",
      }, { status: 400 });
    }
    // Checked before the name is looked up: a long one is no store key.
    try {
      checkNewAccount(username, password);
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      return authForm(ctx, { next, username, error: error.message }, {
        status: 400,
      });
    }
    if (await chat.identities.isHeld(username)) {
      return authForm(ctx, {
        next,
        username,
        error: `The name ${username} is in use by a guest right now`,
      }, { status: 400 });
    }
    auth.registrations.fail(address, address);
    let account;
    try {
      account = await auth.accounts.register(username, password);
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      return authForm(ctx, { next, username, error: error.message }, {
        status: 400,
      });
    }
    return await startSession(ctx, account.name, next);
  },
});

export default define.page<typeof handler>(function Register({ data }) {
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
