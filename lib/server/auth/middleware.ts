/**
 * Accounts, sessions and the login limiter, bundled for the routes, and the
 * middleware that recognises a logged-in user by the session cookie.
 *
 * @example
 * ```ts
 * const auth = createAuth(chat.store, chat.config);
 * app.use(authMiddleware<State>(auth));
 * ```
 *
 * @module
 */
import type { Middleware } from "fresh";
import { Accounts, type ScryptCost } from "./accounts.ts";
import type { Config } from "@/lib/server/config.ts";
import { getCookie } from "@/lib/server/http/cookies.ts";
import { LoginLimiter } from "./login_limiter.ts";
import { SESSION_COOKIE, Sessions } from "./login_sessions.ts";
import { Roles } from "./roles.ts";
import type { Store } from "@/lib/server/store/store.ts";

/** The authentication services routes reach through `ctx.state.auth`. */
export interface Auth {
  /** The registry of accounts. */
  accounts: Accounts;
  /** Which accounts are admins. */
  roles: Roles;
  /** The session registry. */
  sessions: Sessions;
  /** Failed logins per address and username. */
  limiter: LoginLimiter;
  /** Registrations per address: each one counts, as hashing costs CPU. */
  registrations: LoginLimiter;
}

/** What {@link authMiddleware} puts on `ctx.state`. */
export interface AuthState {
  /** The authentication services. */
  auth: Auth;
  /** The logged-in user; unset for guests. */
  user?: { name: string };
  /** The id of the logged-in user's session. */
  sessionId?: string;
}

/** Options of {@link createAuth}, for tests. */
export interface AuthOptions {
  /** The clock, in epoch milliseconds; `Date.now` by default. */
  now?: () => number;
  /** How long a session lasts; 7 days by default. */
  sessionTtlMs?: number;
  /** The cost of new password hashes; cheap ones keep tests fast. */
  scryptCost?: ScryptCost;
}

/** Registration attempts per address before an hour's lock (slowed from half). */
export const REGISTRATIONS_PER_HOUR = 10;

/** Creates the services over the chat's store. */
export function createAuth(
  store: Pick<Store, "accounts" | "sessions" | "roles">,
  config: Config,
  options: AuthOptions = {},
): Auth {
  const { now } = options;
  const accounts = new Accounts(store.accounts, {
    now,
    cost: options.scryptCost,
  });
  return {
    accounts,
    roles: new Roles(store.roles, accounts, now),
    sessions: new Sessions(store.sessions, {
      now,
      ttlMs: options.sessionTtlMs,
    }),
    limiter: new LoginLimiter({
      maxAttempts: config.loginMaxAttempts,
      lockMs: config.loginLockMs,
      now,
    }),
    registrations: new LoginLimiter({
      maxAttempts: REGISTRATIONS_PER_HOUR,
      lockMs: 3_600_000,
      now,
    }),
  };
}

/**
 * Sets `ctx.state.auth`, and `user` and `sessionId` when the request's
 * `sid` cookie names a live session.
 */
export function authMiddleware<S extends AuthState>(auth: Auth): Middleware<S> {
  return async function authenticate(ctx) {
    ctx.state.auth = auth;
    const session = await auth.sessions.get(getCookie(ctx.req, SESSION_COOKIE));
    if (session) {
      ctx.state.user = { name: session.user };
      ctx.state.sessionId = session.id;
    }
    return await ctx.next();
  };
}
