/**
 * Reactions, pins and topics over real sockets, on Deno KV (a file) and on
 * PostgreSQL: who may react, pin and set a topic (a room one can't read is
 * refused), validation, the 20-kind limit, live frames to the room, and
 * everything back after a restart. Then a reaction storm: a thousand
 * reactions on one message within moments reach each watcher as a few
 * coalesced frames, with the right counts at the end.
 */
import { expect } from "expect";
import { loadConfig } from "@/lib/server/config.ts";
import { startServer, withServer } from "@/tests/helpers/server.ts";
import type { Client, Frame } from "@/tests/helpers/ws_client.ts";
import {
  account,
  join,
  open,
  say,
  welcomeRooms,
} from "@/tests/helpers/members.ts";
import { testOnBothBackends } from "@/tests/helpers/postgres.ts";

/** The newest `reactions` frame's entry for message `id`, if any. */
function latest(c: Client, id: number): Frame[] | undefined {
  const frames = c.of("reactions").filter((f) => !f.mine);
  for (let i = frames.length - 1; i >= 0; i--) {
    const m = (frames[i].messages as Frame[]).find((x) => x.id === id);
    if (m) return m.reactions as Frame[];
  }
  return undefined;
}

/** Waits until `c` has seen message `id` of `room` with `count` of `emoji`. */
function sees(c: Client, id: number, emoji: string, count: number) {
  return c.until(() =>
    latest(c, id)?.find((r) => r.emoji === emoji && r.count === count)
  );
}

/** Sends `frame` and waits for the error answering it. */
async function refused(who: Client, frame: Frame): Promise<Frame> {
  const before = who.of("error").length;
  who.send(frame);
  return await who.until(() =>
    who.of("error").slice(before).find((f) =>
      (f.frame as Frame | undefined)?.type === frame.type
    )
  );
}

async function permissionsAndRestart(env: Record<string, string>) {
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
  let first = 0;
  {
    const s = await startServer(config);
    try {
      for (const name of ["owner", "bo", "eve"]) {
        cookies[name] = await account(s, name);
      }
      const owner = await open(s, "owner", { cookie: cookies.owner });
      owner.send({ type: "create", room: "team" });
      await owner.next("room", (f) => (f.room as Frame).id === "team");
      owner.send({ type: "create", room: "secret", private: true });
      await owner.next("room", (f) => (f.room as Frame).id === "secret");
      await join(owner, "team");
      await join(owner, "secret");
      first = await say(owner, "team", "ship it");
      const second = await say(owner, "team", "many kinds");
      const hidden = await say(owner, "secret", "the plan");
      const bo = await open(s, "bo", { cookie: cookies.bo });
      await join(bo, "team");
      const gus = await open(s, "gus");
      await join(gus, "team");
      const eve = await open(s, "eve", { cookie: cookies.eve });

      // Reacting: live to the room, `reacted` to the reactor.
      bo.send({ type: "react", room: "team", id: first, emoji: "👍" });
      expect(await bo.next("reacted")).toMatchObject({
        room: "team",
        id: first,
        emoji: "👍",
        added: true,
      });
      gus.send({ type: "react", room: "team", id: first, emoji: "👍" });
      gus.send({ type: "react", room: "team", id: first, emoji: "🎉" });
      await sees(owner, first, "👍", 2);
      await sees(owner, first, "🎉", 1);
      expect(latest(owner, first)).toEqual([
        { emoji: "👍", count: 2, users: ["bo", "gus"] },
        { emoji: "🎉", count: 1, users: ["gus"] },
      ]);
      gus.send({ type: "unreact", room: "team", id: first, emoji: "🎉" });
      await owner.until(() =>
        latest(owner, first)?.length === 1 ? true : undefined
      );

      // Bad input and rooms one can't read.
      const refusals: [Client, Frame, string][] = [
        [
          bo,
          { type: "react", room: "team", id: first, emoji: "x" },
          "invalid_frame",
        ],
        [
          bo,
          { type: "react", room: "team", id: first, emoji: "👍👍" },
          "invalid_frame",
        ],
        [
          bo,
          { type: "react", room: "team", id: 999, emoji: "👍" },
          "not_found",
        ],
        [
          eve,
          { type: "react", room: "secret", id: hidden, emoji: "👍" },
          "no_such_room",
        ],
        [
          eve,
          { type: "unreact", room: "secret", id: hidden, emoji: "👍" },
          "no_such_room",
        ],
        [
          eve,
          { type: "reactions", room: "secret", ids: [hidden] },
          "no_such_room",
        ],
        [eve, { type: "pin", room: "secret", id: hidden }, "no_such_room"],
        [eve, { type: "pins", room: "secret" }, "no_such_room"],
        [eve, { type: "topic", room: "secret", topic: "mine" }, "no_such_room"],
        [
          eve,
          { type: "react", room: "team", id: first, emoji: "👍" },
          "not_joined",
        ],
        [bo, { type: "pin", room: "team", id: first }, "forbidden"],
        [bo, { type: "topic", room: "team", topic: "hi" }, "forbidden"],
        [owner, { type: "topic", room: "team", topic: "a\nb" }, "invalid_text"],
        [
          owner,
          { type: "topic", room: "team", topic: "x".repeat(201) },
          "invalid_frame",
        ],
        [owner, { type: "pin", room: "team", id: 999 }, "not_found"],
        [owner, { type: "unpin", room: "team", id: second }, "not_found"],
      ];
      for (const [who, frame, code] of refusals) {
        const error = await refused(who, frame);
        expect([frame, error.code]).toEqual([frame, code]);
        expect(error.message).not.toBe("");
      }
      expect(eve.of("reactions")).toEqual([]);
      // A preview of a public room is no membership.
      eve.send({ type: "view", room: "team" });
      await eve.next("joined", (f) => f.room === "team");
      expect(
        (await refused(eve, {
          type: "react",
          room: "team",
          id: first,
          emoji: "👍",
        })).code,
      ).toBe("not_member");

      // At most 20 kinds on one message.
      const kinds = [..."😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚🙂"];
      for (const emoji of kinds) {
        owner.send({ type: "react", room: "team", id: second, emoji });
      }
      await owner.until(() =>
        owner.of("reacted").filter((f) => f.id === second).length === 20
      );
      const limit = await refused(bo, {
        type: "react",
        room: "team",
        id: second,
        emoji: "🤗",
      });
      expect(limit.code).toBe("reaction_limit");
      expect(limit.message).toMatch(/20 different reactions/);
      bo.send({ type: "react", room: "team", id: second, emoji: "😀" });
      await bo.next("reacted", (f) => f.id === second);

      // Pins and the topic, live to the room.
      owner.send({ type: "pin", room: "team", id: first });
      const pinned = await bo.next("pinned");
      expect(pinned.pin).toMatchObject({
        by: "owner",
        message: { id: first, text: "ship it" },
      });
      owner.send({ type: "topic", room: "team", topic: "  Release week  " });
      expect(await bo.next("topic")).toMatchObject({
        room: "team",
        topic: "Release week",
        by: "owner",
      });
      await gus.next("topic");
    } finally {
      await s.shutdown();
    }
  }
  // After a restart: reactions (with mine), pins and the topic are back.
  const s = await startServer(config);
  try {
    const bo = await open(s, "bo", { cookie: cookies.bo });
    expect(welcomeRooms(bo).get("team")).toMatchObject({
      topic: "Release week",
    });
    bo.send({ type: "reactions", room: "team", ids: [first, first + 1] });
    const answer = await bo.next("reactions", (f) => f.mine === true);
    const [one, two] = answer.messages as Frame[];
    expect(one).toEqual({
      id: first,
      reactions: [{ emoji: "👍", count: 2, users: ["bo", "gus"], mine: true }],
    });
    expect((two.reactions as Frame[]).length).toBe(20);
    bo.send({ type: "pins", room: "team" });
    const pins = await bo.next("pins");
    expect((pins.pins as Frame[]).map((p) => (p.message as Frame).id))
      .toEqual([first]);
    const dir = await (await fetch(`${s.url}/api/directory`)).json();
    expect(dir.rooms.find((r: Frame) => r.id === "team")).toMatchObject({
      topic: "Release week",
    });
    // Unpinning and clearing the topic reach the room too.
    const owner = await open(s, "owner", { cookie: cookies.owner });
    await join(owner, "team");
    await join(bo, "team");
    owner.send({ type: "unpin", room: "team", id: first });
    expect(await bo.next("unpinned")).toMatchObject({ id: first });
    owner.send({ type: "topic", room: "team", topic: "" });
    const cleared = await bo.next("topic");
    expect(cleared.topic).toBeUndefined();
  } finally {
    await s.shutdown();
  }
}

testOnBothBackends(
  "reactions - permissions, validation, the 20-kind limit, pins and topics, and a restart",
  permissionsAndRestart,
);

Deno.test("reactions - a storm of 1,000 reactions on one message reaches each watcher as a few coalesced frames", async () => {
  await withServer({
    RATE_PER_SECOND: "1000",
    RATE_BURST: "1000",
    MAX_CONNECTIONS_PER_IP: "1000",
  }, async (s) => {
    const author = await open(s, "author");
    await join(author, "general");
    const id = await say(author, "general", "react to me");
    const watchers: Client[] = [];
    for (let i = 0; i < 10; i++) {
      const w = await open(s, `watcher${i}`);
      await join(w, "general");
      watchers.push(w);
    }
    // 200 people, 5 emoji each: 1,000 reactions.
    const emoji = ["👍", "🎉", "❤️", "🚀", "👀"];
    const people: Client[] = [];
    for (let i = 0; i < 200; i++) {
      const p = await open(s, `fan${i}`);
      p.send({ type: "join", room: "general" });
      people.push(p);
    }
    await Promise.all(people.map((p) => p.next("joined")));
    const before = watchers.map((w) => w.of("reactions").length);
    const started = performance.now();
    for (const p of people) {
      for (const e of emoji) {
        p.send({ type: "react", room: "general", id, emoji: e });
      }
    }
    await Promise.all(
      watchers.map((w) =>
        w.until(() =>
          latest(w, id)?.length === 5 &&
          latest(w, id)!.every((r) => r.count === 200), 60_000)
      ),
    );
    const elapsed = performance.now() - started;
    for (const [i, w] of watchers.entries()) {
      const frames = w.of("reactions").length - before[i];
      // At most one frame per 250 ms flush, plus the first at once.
      expect(frames).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
      expect(frames).toBeLessThan(100);
      expect(latest(w, id)!.map((r) => (r.users as string[]).length)).toEqual(
        [10, 10, 10, 10, 10],
      );
    }
    // The reactors each got their own `reacted` five times, not the storm.
    expect(people[0].of("reacted").length).toBe(5);
    await Promise.all([...people, ...watchers, author].map((c) => c.close()));
  });
});
