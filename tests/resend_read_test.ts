/**
 * A resend of a message already stored (the outbox after a lost ack) moves
 * no read mark: its sender's sockets get the original `ack` and no `read`
 * frame taking them back to it, on both backends (a Deno KV file and a real
 * PostgreSQL).
 */
import { expect } from "expect";
import { loadConfig } from "@/lib/server/config.ts";
import { startServer } from "@/tests/helpers/server.ts";
import { testOnBothBackends } from "@/tests/helpers/postgres.ts";
import {
  account,
  join,
  open,
  say,
  welcomeRooms,
} from "@/tests/helpers/members.ts";

const ROOM = "general";

async function scenario(env: Record<string, string>): Promise<void> {
  const s = await startServer(loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    LOG_LEVEL: "fatal",
    ...env,
  }));
  try {
    const cookie = await account(s, "ana");
    const ana = await open(s, "ana", { cookie });
    const other = await open(s, "ana", { cookie });
    const bo = await open(s, "bo");
    for (const c of [ana, other, bo]) await join(c, ROOM);
    ana.send({ type: "send", room: ROOM, text: "one", clientId: "c1" });
    const first = await ana.next("ack", (f) => f.clientId === "c1");
    const second = await say(ana, ROOM, "two");
    await other.next("read", (f) => f.room === ROOM && f.lastRead === second);
    for (const text of ["x", "y", "z"]) await say(bo, ROOM, text);
    const seen = { ana: ana.frames.length, other: other.frames.length };
    // The resend: answered with the original ack.
    ana.send({ type: "send", room: ROOM, text: "one", clientId: "c1" });
    const again = await ana.next(
      "ack",
      (f) => f.clientId === "c1" && f.duplicate === true,
    );
    expect(again.id).toBe(first.id);
    // A frame after anything the resend would have sent either socket.
    const last = await say(ana, ROOM, "three");
    await other.next("read", (f) => f.room === ROOM && f.lastRead === last);
    for (const [c, from] of [[ana, seen.ana], [other, seen.other]] as const) {
      const reads = c.frames.slice(from).filter((f) =>
        typeof f !== "string" && f.type === "read" && f.room === ROOM
      );
      expect(reads.map((f) => (f as { lastRead: number }).lastRead))
        .toEqual([last]);
    }
    // Nor did the store's mark move back: a new tab counts nothing unread.
    const fresh = await open(s, "ana", { cookie });
    expect(welcomeRooms(fresh).get(ROOM)).toMatchObject({ unread: 0 });
    await Promise.all([ana, other, bo, fresh].map((c) => c.close()));
  } finally {
    await s.shutdown();
  }
}

testOnBothBackends(
  "resend read - a resend of a stored message moves no read mark back",
  scenario,
);
