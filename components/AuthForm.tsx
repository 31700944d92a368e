import type { ComponentChildren, VNode } from "preact";
import { CSRF_FIELD, sessionCsrfToken } from "@/lib/server/auth/csrf.ts";

/** A login or registration form; works without JavaScript. */
export function AuthForm(
  { title, action, csrf, next, error, children, submit, footer }: {
    title: string;
    action: string;
    csrf: string;
    /** Where to go afterwards, a local path. */
    next: string;
    /** Shown as text above the fields. */
    error?: string;
    children: ComponentChildren;
    submit: string;
    /** Shown below the form, e.g. a link to the other form. */
    footer?: ComponentChildren;
  },
): VNode {
  return (
    <main class="auth" id="main">
      <p class="back">
        <a href={next}>← Back to the chat</a>
      </p>
      <form class="auth-form" method="post" action={action}>
        <h1>{title}</h1>
        {error && <p class="error" role="alert" id="form-error">{error}</p>}
        <input type="hidden" name={CSRF_FIELD} value={csrf} />
        <input type="hidden" name="next" value={next} />
        {children}
        <button class="button" type="submit">{submit}</button>
      </form>
      {footer}
    </main>
  );
}

/** A labelled input. */
export function Field(
  { name, label, type = "text", autocomplete, value, maxLength, minLength }: {
    name: string;
    label: string;
    type?: "text" | "password";
    autocomplete: string;
    value?: string;
    maxLength?: number;
    minLength?: number;
  },
): VNode {
  return (
    <div class="field">
      <label for={name}>{label}</label>
      <input
        id={name}
        name={name}
        type={type}
        autocomplete={autocomplete}
        value={value}
        maxLength={maxLength}
        minLength={minLength}
        required
        {...(type === "text"
          ? { autocapitalize: "none", spellcheck: false }
          : {})}
      />
    </div>
  );
}

/** The logout button of a logged-in user, for a layout or page header. */
export function LogoutForm({ sessionId }: { sessionId: string }): VNode {
  return (
    <form method="post" action="/logout" class="logout-form">
      <input
        type="hidden"
        name={CSRF_FIELD}
        value={sessionCsrfToken(sessionId)}
      />
      <button class="button" type="submit">Log out</button>
      <button class="button" type="submit" name="everywhere" value="1">
        Log out everywhere
      </button>
    </form>
  );
}
