/**
 * The app's shared state type and its `define` helpers, Fresh style.
 *
 * @module
 */
import { createDefine, type Define } from "fresh";
import type { Auth } from "@/lib/server/auth/middleware.ts";
import type { Chat } from "@/lib/server/chat/chat.ts";
import type { ConnectionLimiter } from "@/lib/server/http/connection_limits.ts";
import type { SearchGate } from "@/lib/server/search/search_gate.ts";

/** What middleware puts on `ctx.state` for routes. */
export interface State {
  /** The chat service of this instance. */
  chat: Chat;
  /** Open WebSocket connections per address. */
  connections: ConnectionLimiter;
  /** Searches' budgets, per address and in all. */
  searches: SearchGate;
  /** Set by the WebSocket guard: the address holding a connection slot. */
  clientAddress?: string;
  /** Accounts, sessions and the login limiter (`lib/auth_middleware.ts`). */
  auth: Auth;
  /** The logged-in user, from the session cookie; unset for guests. */
  user?: { name: string };
  /** The logged-in user's session id. */
  sessionId?: string;
}

/** Typed helpers for routes, pages, layouts and middleware. */
export const define: Define<State> = createDefine<State>();
