/**
 * Unread counts of thread replies through a real server on both backends
 * (a Deno KV file and a real PostgreSQL): a reply shown only in its thread
 * is unread news (and a mention) to the thread's participants alone, the
 * first message's author, the repliers and anyone a reply mentions; one
 * also sent to the room counts for every member. `welcome`, live `read`
 * frames and a restart agree, and reading clears them.
 */
import { expect } from "expect";
import { loadConfig } from "@/lib/server/config.ts";
import { startServer } from "@/tests/helpers/server.ts";
import { testOnBothBackends } from "@/tests/helpers/postgres.ts";
import type { Client, Frame } from "@/tests/helpers/ws_client.ts";
import {
  account,
  join,
  open,
  say,
  welcomeRooms,
} from "@/tests/helpers/members.ts";

const ROOM = "general";

/** Sends a reply to `parent` and waits for its ack; its id. */
async function reply(
  c: Client,
  parent: number,
  text: string,
  alsoInRoom?: boolean,
): Promise<number> {
  const clientId = crypto.randomUUID();
  c.send({
    type: "send",
    room: ROOM,
    text,
    clientId,
    parent,
    ...(alsoInRoom ? { alsoInRoom } : {}),
  });
  return (await c.next("ack", (f) => f.clientId === clientId)).id as number;
}

/** Waits until the latest `read` frame of the room has these counts. */
function counts(
  c: Client,
  unread: number,
  mentions: number,
): Promise<Frame> {
  return c.until(() => {
    const last = c.of("read").findLast((f) => f.room === ROOM);
    return last && last.unread === unread && last.mentions === mentions
      ? last
      : undefined;
  });
}

/** Marks the room read up to `id`; the `read` frame answering it. */
async function read(c: Client, id: number): Promise<Frame> {
  const before = c.of("read").length;
  c.send({ type: "read", room: ROOM, id });
  return await c.until(() =>
    c.of("read").slice(before).find((f) => f.room === ROOM && f.lastRead === id)
  );
}

/** The room's counts in the `welcome` of a new connection of `name`. */
async function welcomed(
  s: { url: string },
  name: string,
  cookie: string,
): Promise<Frame | undefined> {
  const c = await open(s, name, { cookie });
  try {
    const r = welcomeRooms(c).get(ROOM);
    return r && { unread: r.unread, mentions: r.mentions };
  } finally {
    await c.close();
  }
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
  {
    const s = await startServer(config);
    try {
      for (const name of ["mina", "bo", "cy", "dee"]) {
        cookies[name] = await account(s, name);
      }
      const [mina, bo, cy, dee] = await Promise.all(
        ["mina", "bo", "cy", "dee"].map((n) =>
          open(s, n, { cookie: cookies[n] })
        ),
      );
      for (const c of [mina, bo, cy, dee]) await join(c, ROOM);
      root = await say(mina, ROOM, "lunch plans?");
      for (const c of [bo, cy, dee]) {
        expect(await read(c, root)).toMatchObject({ unread: 0 });
      }

      // A reply in the thread only: news to the first message's author.
      await reply(bo, root, "noodles");
      await counts(mina, 1, 1);
      // Naming someone makes them take part, told at once.
      await reply(bo, root, "@cy what do you think?");
      await counts(cy, 1, 1);
      await counts(mina, 2, 2);
      // bo and cy take part now: mina's reply is news to both.
      const third = await reply(mina, root, "ok");
      await counts(bo, 1, 1);
      await counts(cy, 2, 2);
      // To the member who takes no part, no reply is news.
      expect(await read(dee, root)).toMatchObject({ unread: 0, mentions: 0 });
      expect(await welcomed(s, "dee", cookies.dee)).toEqual({
        unread: 0,
        mentions: 0,
      });
      expect(await welcomed(s, "cy", cookies.cy)).toEqual({
        unread: 2,
        mentions: 2,
      });

      // "Also sent to the room": news to every member.
      const also = await reply(cy, root, "ramen for me", true);
      await counts(mina, 1, 1);
      await counts(bo, 2, 2);
      expect(await read(dee, root)).toMatchObject({ unread: 1, mentions: 0 });
      expect(await welcomed(s, "dee", cookies.dee)).toEqual({
        unread: 1,
        mentions: 0,
      });
      // Reading clears what was read, thread replies included.
      expect(await read(bo, third)).toMatchObject({
        unread: 1,
        mentions: 1,
      });
      expect(await read(mina, also)).toMatchObject({ unread: 0, mentions: 0 });
      expect(await welcomed(s, "bo", cookies.bo)).toEqual({
        unread: 1,
        mentions: 1,
      });
      for (const c of [mina, bo, cy, dee]) await c.close();
    } finally {
      await s.shutdown();
    }
  }

  // After a restart (membership events written at the shutdown among the
  // messages) the counts are the same, from the store.
  const s = await startServer(config);
  try {
    expect(await welcomed(s, "mina", cookies.mina)).toEqual({
      unread: 0,
      mentions: 0,
    });
    expect(await welcomed(s, "bo", cookies.bo)).toEqual({
      unread: 1,
      mentions: 1,
    });
    expect(await welcomed(s, "cy", cookies.cy)).toEqual({
      unread: 0,
      mentions: 0,
    });
    expect(await welcomed(s, "dee", cookies.dee)).toEqual({
      unread: 1,
      mentions: 0,
    });
    // A new reply still reaches only those taking part.
    const [mina, bo] = await Promise.all(
      ["mina", "bo"].map((n) => open(s, n, { cookie: cookies[n] })),
    );
    for (const c of [mina, bo]) await join(c, ROOM);
    await reply(bo, root, "see you at noon");
    await counts(mina, 1, 1);
    expect(await welcomed(s, "cy", cookies.cy)).toEqual({
      unread: 1,
      mentions: 1,
    });
    expect(await welcomed(s, "dee", cookies.dee)).toEqual({
      unread: 1,
      mentions: 0,
    });
    for (const c of [mina, bo]) await c.close();
  } finally {
    await s.shutdown();
  }
}

testOnBothBackends(
  "thread unread - replies count for the thread's participants alone",
  scenario,
);
