/**
 * History pages from `GET /api/rooms/{room}/messages`, for the chat page's
 * first look at a room and for scrolling back. A guest's pages of private
 * rooms need its token (from `welcome`), sent as `X-Guest-Token`; an
 * account's session cookie goes by itself.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { asHistoryPage } from "./guards.ts";

/** A page of a room's history, oldest first. */
export interface HistoryPage {
  /** The page's messages, oldest first. */
  messages: ChatMessage[];
  /** Whether older messages exist before this page. */
  hasMore: boolean;
}

let guestToken: string | undefined;

/** Sets the guest token sent with history requests (from `welcome`). */
export function setGuestToken(token: string | undefined): void {
  if (token && token !== guestToken) {
    // A copy in an HttpOnly cookie lets <img> load private rooms' images.
    fetch("/api/guest", {
      method: "POST",
      headers: { "x-guest-token": token },
    }).then((res) => res.body?.cancel(), () => {});
  }
  guestToken = token;
}

/** The guest token from `welcome`, for other API requests (uploads). */
export function currentGuestToken(): string | undefined {
  return guestToken;
}

/** The header that lets a guest read its private rooms, if it has a token. */
export function guestHeaders(): Record<string, string> {
  return guestToken ? { "x-guest-token": guestToken } : {};
}

/**
 * Fetches up to `limit` messages of `room` before message `before` (the
 * latest without it); `null` when the server can't answer.
 */
export async function fetchHistory(
  room: string,
  options: { before?: number; limit?: number } = {},
): Promise<HistoryPage | null> {
  const params = new URLSearchParams({ limit: String(options.limit ?? 50) });
  if (options.before !== undefined) {
    params.set("before", String(options.before));
  }
  try {
    // A request that hangs (a half-open connection) gives up, so a later
    // scroll or open can ask again.
    const res = await fetch(
      `/api/rooms/${encodeURIComponent(room)}/messages?${params}`,
      {
        signal: AbortSignal.timeout(15_000),
        ...(guestToken ? { headers: { "x-guest-token": guestToken } } : {}),
      },
    );
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    return asHistoryPage(await res.json());
  } catch {
    return null; // Offline: the caller tries again on the next scroll or open.
  }
}
