/**
 * Threads through a real server on both backends (a Deno KV file and a
 * real PostgreSQL): replies over real sockets, their ids in the room's
 * order, resends, the summary, participants' mentions, the original
 * endpoint, permissions and validation, and a restart.
 */
import { expect } from "expect";
import { loadConfig } from "@/lib/server/config.ts";
import { startServer, wsUrl } from "@/tests/helpers/server.ts";
import { testOnBothBackends } from "@/tests/helpers/postgres.ts";
import { Client, type Frame } from "@/tests/helpers/ws_client.ts";
import {
  account,
  errorFor,
  history,
  join,
  open,
  say,
  welcomeRooms,
} from "@/tests/helpers/members.ts";

/** Sends a reply and waits for its ack. */
async function reply(
  c: Client,
  room: string,
  parent: number,
  text: string,
  extra: Frame = {},
): Promise<Frame> {
  const clientId = (extra.clientId as string) ?? crypto.randomUUID();
  c.send({ type: "send", room, text, clientId, parent, ...extra });
  return await c.next("ack", (f) => f.clientId === clientId);
}

/** The latest `read` frame for `room` once `pick` holds for it. */
function readState(
  c: Client,
  room: string,
  pick: (f: Frame) => boolean,
): Promise<Frame> {
  return c.until(() => {
    const last = c.of("read").findLast((f) => f.room === room);
    return last && pick(last) ? last : undefined;
  });
}

/** The `error` answering the send with `clientId`. */
function refused(c: Client, clientId: string): Promise<Frame> {
  return c.next(
    "error",
    (f) => (f.frame as Frame | undefined)?.clientId === clientId,
  );
}

/** Asks for a thread and waits for the answer. */
async function thread(c: Client, room: string, id: number): Promise<Frame> {
  const before = c.of("thread").length;
  c.send({ type: "thread", room, id });
  await c.until(() => c.of("thread").length > before);
  return c.of("thread")[before];
}

async function scenario(env: Record<string, string>): Promise<void> {
  const config = loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    KV_PATH: ":memory:",
    LOG_LEVEL: "fatal",
    MEMBERSHIP_EVENT_WINDOW_MS: "60000",
    ...env,
  });
  const cookies: Record<string, string> = {};
  let root = 0;
  let firstReply = 0;
  {
    const s = await startServer(config);
    try {
      for (const name of ["mina", "bo", "cy"]) {
        cookies[name] = await account(s, name);
      }
      const mina = await open(s, "mina", { cookie: cookies.mina });
      const bo = await open(s, "bo", { cookie: cookies.bo });
      const cy = await open(s, "cy", { cookie: cookies.cy });
      for (const c of [mina, bo, cy]) await join(c, "general");
      const old = new Client(wsUrl(s, "/ws/general/oldie"), { json: false });
      await old.opened;
      root = await say(mina, "general", "lunch plans?");
      const other = await say(cy, "general", "unrelated");

      // A reply takes the room's next id and reaches every subscriber.
      const ack = await reply(bo, "general", root, "noodles", {
        clientId: "re-1",
      });
      firstReply = ack.id as number;
      expect(firstReply).toBe(other + 1);
      expect(await cy.next("message", (f) => f.id === firstReply))
        .toMatchObject({ parent: root, text: "noodles", user: "bo" });
      // The original endpoint gets it as a plain message.
      await old.until(() =>
        old.frames.includes(
          '{"sender":"bo","message":"noodles","room_id":"general"}',
        )
      );
      // The first message's author takes part: the reply is a mention.
      await readState(mina, "general", (f) => f.mentions === 1);

      // A resend of the clientId is the original ack, nothing stored twice.
      bo.send({
        type: "send",
        room: "general",
        text: "noodles",
        clientId: "re-1",
        parent: root,
      });
      await bo.until(() =>
        bo.of("ack").filter((f) => f.clientId === "re-1").length === 2
      );
      expect(bo.of("ack").filter((f) => f.clientId === "re-1")[1])
        .toMatchObject({ id: firstReply, duplicate: true });

      // "Also send to the room".
      const also = await reply(cy, "general", root, "ramen for me", {
        alsoInRoom: true,
      });
      expect(await mina.next("message", (f) => f.id === also.id))
        .toMatchObject({ parent: root, alsoInRoom: true });
      // bo replied: a participant now, so cy's reply counts for bo too.
      await readState(bo, "general", (f) => f.mentions === 1);
      await readState(mina, "general", (f) => f.mentions === 2);

      const page = await thread(mina, "general", root);
      expect(page).toMatchObject({
        room: "general",
        id: root,
        hasMore: false,
        root: {
          id: root,
          text: "lunch plans?",
          thread: {
            replies: 2,
            lastId: also.id,
            users: ["cy", "bo"],
          },
        },
      });
      expect((page.replies as Frame[]).map((m) => m.text)).toEqual([
        "noodles",
        "ramen for me",
      ]);

      // Validation: each bad reply is refused with its reason, nothing stored.
      const last = also.id as number;
      bo.send({
        type: "send",
        room: "general",
        text: "x",
        clientId: "bad-1",
        parent: 999,
      });
      expect(await refused(bo, "bad-1")).toMatchObject({ code: "not_found" });
      bo.send({
        type: "send",
        room: "general",
        text: "x",
        clientId: "bad-2",
        parent: firstReply,
      });
      expect(await refused(bo, "bad-2")).toMatchObject({
        code: "invalid_frame",
        message: expect.stringContaining("is a reply"),
      });
      bo.send({
        type: "send",
        room: "general",
        text: "x",
        clientId: "bad-3",
        alsoInRoom: true,
      });
      expect(await refused(bo, "bad-3")).toMatchObject({
        code: "invalid_frame",
        message: expect.stringContaining("alsoInRoom"),
      });
      bo.send({
        type: "send",
        room: "general",
        text: "x",
        clientId: "bad-4",
        parent: -1,
      });
      expect(await refused(bo, "bad-4")).toMatchObject({
        code: "invalid_frame",
        message: expect.stringContaining("parent"),
      });
      bo.send({ type: "thread", room: "general", id: 999 });
      expect(await errorFor(bo, "thread", "general")).toMatchObject({
        code: "not_found",
      });
      expect((await history(s, "general")).messages.at(-1)?.id).toBe(last);

      // Permissions: a private room's thread is its members' only.
      mina.send({ type: "create", room: "secret", private: true });
      await mina.next("room", (f) => (f.room as Frame).id === "secret");
      await join(mina, "secret");
      const hidden = await say(mina, "secret", "between us");
      bo.send({
        type: "send",
        room: "secret",
        text: "let me in",
        clientId: "peek",
        parent: hidden,
      });
      expect(await refused(bo, "peek")).toMatchObject({
        code: "no_such_room",
      });
      bo.send({ type: "thread", room: "secret", id: hidden });
      expect(await errorFor(bo, "thread", "secret")).toMatchObject({
        code: "no_such_room",
      });
      expect((await thread(mina, "secret", hidden)).replies).toEqual([]);
      for (const c of [mina, bo, cy, old]) await c.close();
    } finally {
      await s.shutdown();
    }
  }

  // After a restart: the thread, its summary and the counts are still there.
  const s = await startServer(config);
  try {
    const bo = await open(s, "bo", { cookie: cookies.bo });
    expect(welcomeRooms(bo).get("general")).toMatchObject({ mentions: 1 });
    await join(bo, "general");
    const page = await thread(bo, "general", root);
    expect(page.root).toMatchObject({ thread: { replies: 2 } });
    expect((page.replies as Frame[]).map((m) => m.id)).toEqual([
      firstReply,
      firstReply + 1,
    ]);
    // Replay brings replies in the room's order, with their parent.
    const back = await open(s, "bo", { cookie: cookies.bo });
    back.send({ type: "join", room: "general", since: root });
    await back.next("message", (f) => f.id === firstReply + 1);
    // (Membership events written at the shutdown are left out.)
    const replayed = back.of("message").filter((f) =>
      f.room === "general" && f.event === undefined
    );
    expect(replayed.map((m) => [m.id, m.parent])).toEqual([
      [root + 1, undefined],
      [firstReply, root],
      [firstReply + 1, root],
    ]);
    // A participant's new reply still counts for the others after restart.
    const mina = await open(s, "mina", { cookie: cookies.mina });
    await join(mina, "general");
    const noon = await reply(bo, "general", root, "see you at noon");
    await readState(mina, "general", (f) => f.mentions === 3);
    // A deleted reply leaves the count: the room is told the summary after.
    bo.send({ type: "delete", room: "general", id: noon.id });
    const deleted = await mina.next("deleted", (f) => f.id === noon.id);
    expect(deleted).toMatchObject({
      parent: root,
      thread: { replies: 2, lastId: noon.id, users: ["cy", "bo"] },
    });
    expect((await thread(mina, "general", root)).root).toMatchObject({
      thread: { replies: 2 },
    });
    // A page that held the reply and missed its deletion is told the same
    // when it resumes.
    const resumed = await open(s, "cy", { cookie: cookies.cy });
    resumed.send({ type: "join", room: "general", since: noon.id });
    expect(await resumed.next("deleted", (f) => f.id === noon.id))
      .toMatchObject({ parent: root, thread: { replies: 2 } });
    await resumed.close();
    // A reply resent after its thread's first message was deleted is
    // still answered with the original ack.
    const gone = await say(mina, "general", "soon deleted");
    const early = await reply(bo, "general", gone, "quick!", {
      clientId: "early",
    });
    mina.send({ type: "delete", room: "general", id: gone });
    await bo.next("deleted", (f) => f.id === gone);
    bo.send({
      type: "send",
      room: "general",
      text: "quick!",
      clientId: "early",
      parent: gone,
    });
    await bo.until(() =>
      bo.of("ack").filter((f) => f.clientId === "early").length === 2
    );
    expect(bo.of("ack").filter((f) => f.clientId === "early")[1])
      .toMatchObject({ id: early.id, duplicate: true });

    for (const c of [mina, bo, back]) await c.close();
  } finally {
    await s.shutdown();
  }
}

testOnBothBackends(
  "threads - replies over real sockets: order, resends, summary, mentions, permissions, restart",
  scenario,
);
