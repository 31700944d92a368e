import { HttpError, page } from "fresh";
import { define } from "@/utils.ts";
import ChatApp from "@/islands/ChatApp.tsx";
import { sessionCsrfToken } from "@/lib/server/auth/csrf.ts";
import { authorKey } from "@/lib/server/chat/identity.ts";

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
      // One's own rooms come with the socket's `welcome`.
      rooms: [],
      ...history,
      account: user?.name ?? null,
      logoutToken: sessionId ? sessionCsrfToken(sessionId) : null,
      admin,
      owns,
    });
  },
});

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
