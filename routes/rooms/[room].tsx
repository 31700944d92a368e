import { HttpError, page } from "fresh";
import { define } from "@/utils.ts";
import ChatApp from "@/islands/ChatApp.tsx";
import { sessionCsrfToken } from "@/lib/server/auth/csrf.ts";
import { authorKey, isGuestToken } from "@/lib/server/chat/identity.ts";
import { guestCookieOf } from "@/lib/server/files/guest_cookie.ts";
import type { Chat } from "@/lib/server/chat/chat.ts";
import type { RoomKind } from "@/lib/shared/protocol.ts";

/** Messages the room page renders on the server. */
const FIRST_PAGE = 50;

/**
 * `GET /rooms/{room}`: the chat page, first paint with the latest messages.
 * A private room or DM is shown to its members only (an account by its
 * session, a guest by its guest cookie); to anyone else, signed in or not,
 * it is the same 404 as a room that doesn't exist. A page with member-only
 * content or a session's logout token is never cached.
 */
export const handler = define.handlers({
  async GET(ctx) {
    const { chat } = ctx.state;
    const room = ctx.params.room;
    const { user, sessionId } = ctx.state;
    const key = readerKey(user, guestCookieOf(ctx.req));
    // False for a room that doesn't exist too: one answer for both, so no
    // one learns which private rooms and DMs exist.
    if (!(await chat.mayRead(room, key))) {
      throw new HttpError(404, `No such room: ${room}`);
    }
    const history = await chat.store.history(room, FIRST_PAGE);
    const headers = user || !(await chat.isPublic(room))
      ? { "cache-control": "private, no-store" }
      : undefined;
    // The sidebar's rooms: an account's own; a guest's come with `welcome`.
    const sidebarKey = user ? key : undefined;
    // Moderation rights, so the page can offer what the server allows.
    const admin = user ? await chat.isAdmin(user.name) : false;
    const owns = user && !admin
      ? (await chat.store.rooms()).filter((r) => r.createdBy === user.name)
        .map((r) => r.id)
      : [];
    return page({
      room,
      rooms: await knownRooms(chat, sidebarKey),
      ...history,
      account: user?.name ?? null,
      logoutToken: sessionId ? sessionCsrfToken(sessionId) : null,
      admin,
      owns,
    }, { headers });
  },
});

/**
 * The member key the page is read as: the signed-in account, else the
 * guest whose token is in the guest cookie (which the page sets once
 * connected, so a reload of a guest's private room finds it).
 */
function readerKey(
  user: { name: string } | undefined,
  guestToken: string | undefined,
): string | undefined {
  if (user) return authorKey({ name: user.name, guest: false });
  return isGuestToken(guestToken)
    ? authorKey({ name: "", guest: true, token: guestToken })
    : undefined;
}

/**
 * The sidebar's rooms as far as the server can tell before the socket's
 * `welcome` (which brings the counts): an account's own rooms; for a guest,
 * whose token only the page holds, the default rooms a first visit joins.
 * So the sidebar does not jump as the page connects.
 */
async function knownRooms(chat: Chat, key: string | undefined) {
  const blank = { members: 0, online: 0, lastId: 0, lastRead: 0, unread: 0 };
  const ids = key ? await chat.store.members.roomsOf(key) : [];
  if (!key || ids.length === 0) {
    return chat.config.rooms.map((id) => ({
      ...blank,
      id,
      name: id,
      kind: "public" as RoomKind,
      mentions: 0,
    }));
  }
  const rooms = await Promise.all(ids.map(async (id) => {
    const room = await chat.store.room(id);
    if (!room) return null;
    const kind = room.kind ?? "public";
    // A DM is named for the other person.
    const other = kind === "dm"
      ? (await chat.store.members.list(id, { limit: 3 })).members.find((m) =>
        m.key !== key
      )?.name
      : undefined;
    return { ...blank, id, name: other ?? id, kind, mentions: 0 };
  }));
  return rooms.filter((r) => r !== null);
}

export default define.page<typeof handler>(function RoomPage({ data }) {
  return (
    <ChatApp
      room={data.room}
      rooms={data.rooms}
      messages={data.messages}
      hasMore={data.hasMore}
      account={data.account}
      logoutToken={data.logoutToken}
      admin={data.admin}
      owns={data.owns}
    />
  );
});
