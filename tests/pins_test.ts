/**
 * Pinned messages that change, over real sockets on Deno KV (a file) and
 * PostgreSQL: an edit of a pinned message reaches the room (and the list
 * holds the new text); deleting one unpins it on the server, so the room
 * gets `unpinned`, it leaves every list and no longer counts towards the
 * limit, also after a restart.
 */
import { expect } from "expect";
import { loadConfig } from "@/lib/server/config.ts";
import { startServer } from "@/tests/helpers/server.ts";
import { testOnBothBackends } from "@/tests/helpers/postgres.ts";
import type { Client, Frame } from "@/tests/helpers/ws_client.ts";
import { account, join, open, say } from "@/tests/helpers/members.ts";
import { MAX_PINS } from "@/lib/shared/reactions.ts";

const ROOM = "team";

/** Asks for the room's pins; their message ids and texts. */
async function pins(c: Client): Promise<[number, string][]> {
  const before = c.of("pins").length;
  c.send({ type: "pins", room: ROOM });
  const frame = await c.until(() => c.of("pins")[before]);
  return (frame.pins as Frame[]).map((p) => {
    const m = p.message as Frame;
    return [m.id as number, m.text as string];
  });
}

/** Pins message `id`; the frame answering it (`pinned` or an `error`). */
async function pin(c: Client, id: number): Promise<Frame> {
  const before = { pinned: c.of("pinned").length, error: c.of("error").length };
  c.send({ type: "pin", room: ROOM, id });
  return await c.until(() =>
    c.of("pinned").slice(before.pinned).find((f) =>
      (f.pin as { message: Frame }).message.id === id
    ) ??
      c.of("error").slice(before.error).find((f) =>
        (f.frame as Frame | undefined)?.type === "pin"
      )
  );
}

async function scenario(env: Record<string, string>): Promise<void> {
  const config = loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    KV_PATH: ":memory:",
    LOG_LEVEL: "fatal",
    MEMBERSHIP_EVENT_WINDOW_MS: "60000",
    RATE_PER_SECOND: "1000",
    RATE_BURST: "1000",
    ...env,
  });
  const cookies: Record<string, string> = {};
  let draft = 0;
  let late = 0;
  {
    const s = await startServer(config);
    try {
      for (const name of ["owner", "bo"]) {
        cookies[name] = await account(s, name);
      }
      const owner = await open(s, "owner", { cookie: cookies.owner });
      owner.send({ type: "create", room: ROOM });
      await owner.next("room", (f) => (f.room as Frame).id === ROOM);
      await join(owner, ROOM);
      const bo = await open(s, "bo", { cookie: cookies.bo });
      await join(bo, ROOM);
      // The room holds as many pins as it may, bo's draft among them.
      draft = await say(bo, ROOM, "draft plan");
      expect(await pin(owner, draft)).toMatchObject({ type: "pinned" });
      for (let i = 1; i < MAX_PINS; i++) {
        const id = await say(owner, ROOM, `note ${i}`);
        expect(await pin(owner, id)).toMatchObject({ type: "pinned" });
      }
      late = await say(owner, ROOM, "late news");
      expect(await pin(owner, late)).toMatchObject({ code: "pin_limit" });

      // An edit of a pinned message reaches the room; the list has it.
      bo.send({ type: "edit", room: ROOM, id: draft, text: "final plan" });
      expect(await owner.next("edited", (f) => f.id === draft))
        .toMatchObject({ text: "final plan" });
      expect((await pins(owner)).find(([id]) => id === draft))
        .toEqual([draft, "final plan"]);

      // Deleting it unpins it: the room hears so, the list drops it, and
      // it frees its place.
      bo.send({ type: "delete", room: ROOM, id: draft });
      for (const c of [owner, bo]) {
        await c.next("deleted", (f) => f.id === draft);
        expect(await c.next("unpinned", (f) => f.id === draft))
          .toMatchObject({ room: ROOM });
      }
      expect((await pins(bo)).map(([id]) => id)).not.toContain(draft);
      expect(await pin(owner, late)).toMatchObject({ type: "pinned" });
      for (const c of [owner, bo]) await c.close();
    } finally {
      await s.shutdown();
    }
  }

  // After a restart the stored pins are the room's full list, without it.
  const s = await startServer(config);
  try {
    const owner = await open(s, "owner", { cookie: cookies.owner });
    await join(owner, ROOM);
    const list = await pins(owner);
    expect(list).toHaveLength(MAX_PINS);
    expect(list[0]).toEqual([late, "late news"]);
    expect(list.map(([id]) => id)).not.toContain(draft);
    const more = await say(owner, ROOM, "one too many");
    expect(await pin(owner, more)).toMatchObject({ code: "pin_limit" });
    await owner.close();
  } finally {
    await s.shutdown();
  }
}

testOnBothBackends(
  "pins - an edited pinned message shows its new text; a deleted one is unpinned everywhere",
  scenario,
);
