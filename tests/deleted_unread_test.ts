/**
 * Unread counts leave deleted messages out, through a real server on both
 * backends (a Deno KV file and a real PostgreSQL): a message deleted before
 * a member read it is no news to them in `welcome`, in the `read` frames
 * their own reading brings, and after a restart (from the store).
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

/** The room's unread count in the `welcome` of a new connection of `name`. */
async function welcomed(
  s: { url: string },
  name: string,
  cookie: string,
): Promise<number | undefined> {
  const c = await open(s, name, { cookie });
  try {
    return welcomeRooms(c).get(ROOM)?.unread as number | undefined;
  } finally {
    await c.close();
  }
}

/** Deletes message `id` as `c` and waits until its own socket is told. */
async function remove(c: Client, id: number): Promise<void> {
  c.send({ type: "delete", room: ROOM, id });
  await c.next("deleted", (f) => f.room === ROOM && f.id === id);
}

/** Marks the room read up to `id`; the `read` frame answering it. */
async function read(c: Client, id: number): Promise<Frame> {
  const before = c.of("read").length;
  c.send({ type: "read", room: ROOM, id });
  return await c.until(() =>
    c.of("read").slice(before).find((f) => f.room === ROOM && f.lastRead === id)
  );
}

async function scenario(env: Record<string, string>): Promise<void> {
  const config = loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    LOG_LEVEL: "fatal",
    ...env,
  });
  const cookies: Record<string, string> = {};
  {
    const s = await startServer(config);
    try {
      for (const name of ["mina", "bo"]) {
        cookies[name] = await account(s, name);
      }
      const [mina, bo] = await Promise.all(
        ["mina", "bo"].map((n) => open(s, n, { cookie: cookies[n] })),
      );
      for (const c of [mina, bo]) await join(c, ROOM);
      const first = await say(bo, ROOM, "one");
      expect(await read(mina, first)).toMatchObject({ unread: 0 });
      const two = await say(bo, ROOM, "two");
      const three = await say(bo, ROOM, "three");
      await say(bo, ROOM, "four");
      expect(await welcomed(s, "mina", cookies.mina)).toBe(3);

      // Deleted before mina read it: no news to her, asked anew or not.
      await remove(bo, three);
      expect(await welcomed(s, "mina", cookies.mina)).toBe(2);
      expect(await read(mina, two)).toMatchObject({ unread: 1 });
      // Deleting what she had read already changes nothing.
      await remove(bo, two);
      expect(await welcomed(s, "mina", cookies.mina)).toBe(1);
      for (const c of [mina, bo]) await c.close();
    } finally {
      await s.shutdown();
    }
  }
  // After a restart the count comes from the store, deletions included.
  const s = await startServer(config);
  try {
    expect(await welcomed(s, "mina", cookies.mina)).toBe(1);
  } finally {
    await s.shutdown();
  }
}

testOnBothBackends(
  "deleted unread - a deleted message is no unread news",
  scenario,
);
