import { HttpError, page } from "fresh";
import { define } from "@/utils.ts";
import ChatApp from "@/islands/ChatApp.tsx";
import { sessionCsrfToken } from "@/lib/server/auth/csrf.ts";
import { authorKey } from "@/lib/server/chat/identity.ts";
import type { Chat } from "@/lib/server/chat/chat.ts";
import type { RoomKind } from "@/lib/shared/protocol.ts";

/** Messages the room page renders on the server. */
const FIRST_PAGE = 50;

/** `GET /rooms/{room}`: the chat page, first paint with the latest messages. */
export const handler = define.handlers({
  async GET(ctx) {
    const { chat } = ctx.state;
    const room = ctx.params.room;
    const { user, sessionId } = ctx.state;
    if (!(await chat.hasRoom(room))) {
      throw new HttpError(404, `No such room: ${room}`);
    }
    // A private room or DM shows its history to its members only. An
    // account is known here; a guest's token is not (it lives in the
    // page's storage), so its page asks the history API once connected.
    const key = user ? authorKey({ name: user.name, guest: false }) : undefined;
    const readable = await chat.mayRead(room, key);
    if (!readable && user) throw new HttpError(404, `No such room: ${room}`);
    const history = readable
      ? await chat.store.history(room, FIRST_PAGE)
      : { messages: [], hasMore: false };
    // Moderation rights, so the page can offer what the server allows.
    const admin = user ? await chat.isAdmin(user.name) : false;
    const owns = user && !admin
      ? (await chat.store.rooms()).filter((r) => r.createdBy === user.name)
        .map((r) => r.id)
      : [];
    return page({
      room,
      withheld: !readable,
      rooms: await knownRooms(chat, key),
      ...history,
      account: user?.name ?? null,
      logoutToken: sessionId ? sessionCsrfToken(sessionId) : null,
      admin,
      owns,
    });
  },
});

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
      withheld={data.withheld}
      account={data.account}
      logoutToken={data.logoutToken}
      admin={data.admin}
      owns={data.owns}
    />
  );
});
