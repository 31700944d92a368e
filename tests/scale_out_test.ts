/**
 * Two app processes sharing one KV file and a real `redis-server`: messages,
 * presence and typing cross between them, and a Redis restart mid-traffic
 * loses no acknowledged message.
 */
import { expect } from "expect";
import {
  freePort,
  type ServerProcess,
  spawnServer,
} from "@/tests/helpers/process.ts";
import { startRedis } from "@/tests/helpers/redis.ts";
import { tcpProxy } from "@/tests/helpers/tcp_proxy.ts";
import { Client, type Frame } from "@/tests/helpers/ws_client.ts";
import { type Server, startServer, wsUrl } from "@/tests/helpers/server.ts";
import { loadConfig } from "@/lib/server/config.ts";
import {
  account,
  errorFor,
  join,
  open,
  say,
  welcomeRooms,
} from "@/tests/helpers/members.ts";

/**
 * A guest joined to general on `s`; with `token` (from another socket's
 * `welcome`), the same guest again.
 */
async function member(
  s: ServerProcess,
  name: string,
  token?: string,
): Promise<Client> {
  const query = token ? `&token=${encodeURIComponent(token)}` : "";
  const c = new Client(wsUrl(s, `/ws?name=${name}${query}`));
  await c.next("welcome");
  c.send({ type: "join", room: "general" });
  await c.next("joined");
  return c;
}

/** Waits until `c` is told `name` is online in general (a coalesced presence frame). */
async function seesOnline(c: Client, name: string): Promise<void> {
  await c.next("presence", (f) =>
    f.room === "general" &&
    (f.changes as { name: string; status: string }[]).some((u) =>
      u.name === name && u.status === "online"
    ));
}

/** The two instances of a test over one KV file and a real Redis. */
interface RedisPair {
  redis: Awaited<ReturnType<typeof startRedis>>;
  one: ServerProcess;
  two: ServerProcess;
}

/**
 * Runs `fn` against two app processes sharing a KV file (in a temp dir
 * named from `prefix`) and a fresh `redis-server`, with `env` added, and
 * stops them all afterwards.
 */
async function withRedisPair(
  prefix: string,
  env: Record<string, string>,
  fn: (pair: RedisPair) => Promise<void>,
): Promise<void> {
  const redis = await startRedis();
  const dir = await Deno.makeTempDir({ prefix });
  const all = {
    KV_PATH: `${dir}/chat.kv`,
    REDIS_URL: redis.url,
    LOG_LEVEL: "fatal",
    ...env,
  };
  const one = await spawnServer(freePort(), all);
  const two = await spawnServer(freePort(), all);
  try {
    await fn({ redis, one, two });
  } finally {
    await one.stop();
    await two.stop();
    await redis.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Ids of the chat messages `c` got (stored membership events aside). */
const ids = (c: Client) =>
  c.of("message").filter((m) => !m.event).map((m) => m.id as number);

Deno.test("scale-out - instances share messages, presence and typing, and survive a Redis restart", async () => {
  await withRedisPair("chat-scale-", {
    RATE_PER_SECOND: "1000",
    RATE_BURST: "1000",
  }, async ({ redis, one, two }) => {
    const ana = await member(one, "ana");
    const ben = await member(two, "ben");
    // Presence is the union of both instances.
    await seesOnline(ana, "ben");
    // Ben sees ana: in his joined list, or in a presence frame after it.
    await ben.until(() =>
      (ben.of("joined")[0].users as { name: string }[]).some((u) =>
        u.name === "ana"
      ) || ben.of("presence").some((f) =>
        (f.changes as { name: string }[]).some((u) =>
          u.name === "ana"
        )
      )
    );
    // Names are unique across instances too.
    const twin = new Client(wsUrl(two, "/ws?name=ANA"));
    const twinWelcome = await twin.next("welcome");
    expect((twinWelcome.user as { name: string }).name).toBe("ANA-2");
    await twin.close();
    ben.send({ type: "typing", room: "general", typing: true });
    await ana.next("typing", (f) => f.user === "ben" && f.typing === true);
    ana.send({
      type: "send",
      room: "general",
      text: "from one",
      clientId: "a0",
    });
    const seen = await ben.next("message", (f) => f.text === "from one");
    const ack = await ana.next("ack", (f) => f.clientId === "a0");
    expect(seen.id).toBe(ack.id);
    ben.send({
      type: "send",
      room: "general",
      text: "from two",
      clientId: "b0",
    });
    await ana.next("message", (f) => f.text === "from two");

    // Steady traffic from both sides while Redis is killed and started again.
    const sent = { ana: 0, ben: 0 };
    let sending = true;
    const pump = async (c: Client, who: "ana" | "ben") => {
      while (sending) {
        sent[who]++;
        c.send({
          type: "send",
          room: "general",
          text: `${who} ${sent[who]}`,
          clientId: `${who}-${sent[who]}`,
        });
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    const pumps = [pump(ana, "ana"), pump(ben, "ben")];
    await new Promise((r) => setTimeout(r, 800));
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.restart();
    await new Promise((r) => setTimeout(r, 800));
    sending = false;
    await Promise.all(pumps);
    const acked = (c: Client) => new Set(c.of("ack").map((f) => f.clientId));
    await ana.until(
      () => acked(ana).size === sent.ana + 1 || undefined,
      15_000,
    );
    await ben.until(
      () => acked(ben).size === sent.ben + 1 || undefined,
      15_000,
    );
    // Both instances answer ready again once the bus is back.
    for (const s of [one, two]) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const res = await fetch(`${s.url}/readyz`);
        await res.body?.cancel();
        if (res.ok) break;
        if (Date.now() > deadline) {
          throw new Error("not ready after the Redis restart");
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // History: every acked message exactly once, in id order.
    const res = await fetch(`${one.url}/api/rooms/general/messages?limit=200`);
    // Membership events ("ana joined") are in history too; only chat counts.
    const history = ((await res.json()).messages as Frame[]).filter((m) =>
      !m.event
    );
    const total = sent.ana + sent.ben + 2;
    expect(history.length).toBe(total);
    const historyIds = history.map((m) => m.id as number);
    expect(historyIds).toEqual([...historyIds].sort((a, b) => a - b));
    expect(new Set(history.map((m) => m.clientId)).size).toBe(total);
    // Every client got every message once, the outage's included.
    for (const c of [ana, ben]) {
      await c.until(() => ids(c).length >= total || undefined, 15_000);
      expect(ids(c)).toEqual(historyIds);
    }
    await Promise.all([ana.close(), ben.close()]);
  });
});

Deno.test("scale-out - a person with a tab on each instance is one online member; closing both makes them offline everywhere within seconds", async () => {
  await withRedisPair("chat-presence-", {}, async ({ one, two }) => {
    const ben = await member(one, "ben");
    const ana = await member(one, "ana");
    const token = ana.of("welcome")[0].token as string;
    const anaTwo = new Client(
      wsUrl(two, `/ws?name=ana&token=${encodeURIComponent(token)}`),
    );
    const welcome = await anaTwo.next("welcome");
    expect((welcome.user as { name: string }).name).toBe("ana");
    anaTwo.send({ type: "join", room: "general" });
    const joined = await anaTwo.next("joined");
    // Ben and ana, on both instances: ana's two tabs are one person.
    await anaTwo.until(() =>
      joined.online === 2 ||
      anaTwo.of("presence").some((f) => f.online === 2) || undefined
    );
    await seesOnline(ben, "ana");
    await ana.close();
    await new Promise((r) => setTimeout(r, 1500));
    const offline = (f: Frame) =>
      (f.changes as { name: string; status: string }[]).some((u) =>
        u.name === "ana" && u.status === "offline"
      );
    expect(ben.of("presence").some(offline)).toBe(false);
    await anaTwo.close();
    const closedAt = Date.now();
    const told = await ben.next("presence", offline);
    expect(Date.now() - closedAt).toBeLessThan(5000);
    expect(told.online).toBe(1);
    await ben.close();
  });
});

Deno.test("scale-out - without Redis, instances sharing a KV file reach each other through the KV bus", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-kvbus-" });
  const env = { KV_PATH: `${dir}/chat.kv`, BUS: "kv", LOG_LEVEL: "fatal" };
  const one = await spawnServer(freePort(), env);
  const two = await spawnServer(freePort(), env);
  try {
    const ana = await member(one, "ana");
    const ben = await member(two, "ben");
    await seesOnline(ana, "ben");
    for (let i = 1; i <= 5; i++) {
      ana.send({
        type: "send",
        room: "general",
        text: `a${i}`,
        clientId: `a${i}`,
      });
      ben.send({
        type: "send",
        room: "general",
        text: `b${i}`,
        clientId: `b${i}`,
      });
    }
    const res = async () =>
      (await (await fetch(`${one.url}/api/rooms/general/messages`)).json())
        .messages as Frame[];
    await ana.until(() => ana.of("ack").length === 5 || undefined);
    await ben.until(() => ben.of("ack").length === 5 || undefined);
    const historyIds = (await res()).filter((m) => !m.event).map((m) =>
      m.id as number
    );
    expect(historyIds.length).toBe(10);
    expect(historyIds).toEqual([...historyIds].sort((a, b) => a - b));
    for (const c of [ana, ben]) {
      await c.until(() => ids(c).length >= 10 || undefined, 10_000);
      expect(ids(c)).toEqual(historyIds);
    }
    await Promise.all([ana.close(), ben.close()]);
  } finally {
    await one.stop();
    await two.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scale-out - while Redis is down, messages still cross instances by polling the shared store", async () => {
  await withRedisPair("chat-outage-", {}, async ({ redis, one, two }) => {
    const ana = await member(one, "ana");
    const ben = await member(two, "ben");
    await seesOnline(ana, "ben");
    await redis.stop();
    for (const [c, who] of [[ana, "ana"], [ben, "ben"]] as const) {
      c.send({
        type: "send",
        room: "general",
        text: `${who} during the outage`,
        clientId: `${who}-out`,
      });
      await c.next("ack", (f) => f.clientId === `${who}-out`);
    }
    // Redis stays down: each side reads the other's message from the store.
    await ben.until(
      () => ben.of("message").find((f) => f.text === "ana during the outage"),
      10_000,
    );
    await ana.until(
      () => ana.of("message").find((f) => f.text === "ben during the outage"),
      10_000,
    );
    for (const c of [ana, ben]) {
      expect(ids(c)).toEqual([...ids(c)].sort((a, b) => a - b));
      expect(new Set(ids(c)).size).toBe(ids(c).length);
    }
    await Promise.all([ana.close(), ben.close()]);
  });
});

Deno.test("scale-out - reading on one instance clears the count of the same person's tab on the other (Redis)", async () => {
  await withRedisPair("chat-reads-", {
    // Membership events later, so the counts below are the messages alone.
    MEMBERSHIP_EVENT_WINDOW_MS: "60000",
  }, async ({ one, two }) => {
    const ben = await member(one, "ben");
    const ana = await member(one, "ana");
    const anaTwo = await member(
      two,
      "ana",
      ana.of("welcome")[0].token as string,
    );
    for (const [i, text] of ["one", "two @ana"].entries()) {
      ben.send({ type: "send", room: "general", text, clientId: `b${i}` });
      await ben.next("ack", (f) => f.clientId === `b${i}`);
    }
    await anaTwo.until(() => ids(anaTwo).length === 2);
    const [, last] = ids(anaTwo);
    anaTwo.send({ type: "read", room: "general", id: last - 1 });
    expect(await ana.next("read")).toEqual({
      type: "read",
      room: "general",
      lastRead: last - 1,
      unread: 1,
      mentions: 1,
      lastId: last,
    });
    anaTwo.send({ type: "read", room: "general", id: last });
    expect(
      await ana.until(() => ana.of("read")[1]),
    ).toMatchObject({ lastRead: last, unread: 0, mentions: 0 });
    await Promise.all([ben, ana, anaTwo].map((c) => c.close()));
  });
});

Deno.test("scale-out - @here once every 30 s per person and room holds across instances", async () => {
  await withRedisPair("chat-here-", {}, async ({ one, two }) => {
    const ana = await member(one, "ana");
    const anaTwo = await member(
      two,
      "ana",
      ana.of("welcome")[0].token as string,
    );
    ana.send({
      type: "send",
      room: "general",
      text: "@here hi",
      clientId: "h1",
    });
    await ana.next("ack", (f) => f.clientId === "h1");
    // The other instance knows once the message reached it.
    await anaTwo.next("message", (f) => f.clientId === "h1");
    anaTwo.send({
      type: "send",
      room: "general",
      text: "@here again",
      clientId: "h2",
    });
    const refused = await anaTwo.next(
      "error",
      (f) => (f.frame as { clientId?: string })?.clientId === "h2",
    );
    expect(refused.code).toBe("rate_limited");
    // Without @here, fine.
    anaTwo.send({ type: "send", room: "general", text: "hi", clientId: "h3" });
    await anaTwo.next("ack", (f) => f.clientId === "h3");
    await Promise.all([ana.close(), anaTwo.close()]);
  });
});

Deno.test("scale-out - edits, deletions and reactions made while Redis is down reach the other instance's sockets once, after it is back", async () => {
  await withRedisPair("chat-changes-", {}, async ({ redis, one, two }) => {
    const ana = await member(one, "ana");
    const ben = await member(two, "ben");
    await seesOnline(ana, "ben");
    const sent: number[] = [];
    for (const text of ["to edit", "to delete", "to react to"]) {
      ana.send({ type: "send", room: "general", text, clientId: text });
      sent.push(
        (await ana.next("ack", (f) => f.clientId === text)).id as number,
      );
    }
    await ben.until(() => sent.every((id) => ids(ben).includes(id)));
    const [edited, deleted, reacted] = sent;

    await redis.stop();
    ana.send({ type: "edit", room: "general", id: edited, text: "edited" });
    ana.send({ type: "delete", room: "general", id: deleted });
    ana.send({ type: "react", room: "general", id: reacted, emoji: "👍" });
    // Done on one (its own sockets are told at once), not carried to two.
    await ana.next("edited", (f) => f.id === edited);
    await ana.next("deleted", (f) => f.id === deleted);
    await ana.next("reacted", (f) => f.id === reacted);
    await redis.restart();

    const reactionsOf = (id: number) =>
      ben.of("reactions").flatMap((f) =>
        (f.messages as { id: number; reactions: Frame[] }[]).filter((m) =>
          m.id === id
        )
      );
    await ben.until(
      () => ben.of("edited").some((f) => f.id === edited),
      15_000,
    );
    await ben.until(
      () => ben.of("deleted").some((f) => f.id === deleted),
      15_000,
    );
    await ben.until(
      () => reactionsOf(reacted).some((m) => m.reactions.length === 1),
      15_000,
    );
    expect(ben.of("edited").find((f) => f.id === edited)).toEqual({
      type: "edited",
      room: "general",
      id: edited,
      text: "edited",
    });
    expect(reactionsOf(reacted).at(-1)!.reactions).toEqual([
      { emoji: "👍", count: 1, users: ["ana"] },
    ]);
    // Once: later catch-ups (the sweep's, another resync) find nothing new.
    await new Promise((r) => setTimeout(r, 6000));
    expect(ben.of("edited").filter((f) => f.id === edited).length).toBe(1);
    expect(ben.of("deleted").filter((f) => f.id === deleted).length).toBe(1);
    expect(reactionsOf(reacted).length).toBe(1);
    // And the bus carries changes again.
    ana.send({ type: "edit", room: "general", id: edited, text: "again" });
    await ben.next("edited", (f) => f.id === edited && f.text === "again");
    await Promise.all([ana.close(), ben.close()]);
  });
});

/** Two in-process instances over one KV file while the bus loses events. */
interface Outage {
  one: Server;
  two: Server;
  /** Keeps events from reaching the other instance (Redis down, or cut off). */
  cut(): Promise<void>;
  /** Brings the bus back. */
  mend(): Promise<void>;
}

/**
 * Runs `scenario` as two tests: with Redis stopped for both instances while
 * events are lost, and with instance one alone cut off from it (a TCP proxy
 * dropping its connections).
 */
function testThroughOutages(
  names: { down: string; cutOff: string },
  scenario: (outage: Outage) => Promise<void>,
): void {
  const run = async (
    urls: { one: string; two: string },
    cut: () => Promise<void>,
    mend: () => Promise<void>,
  ) => {
    const dir = await Deno.makeTempDir({ prefix: "chat-outage-" });
    const config = (url: string) =>
      loadConfig({
        PORT: "0",
        HOSTNAME: "127.0.0.1",
        KV_PATH: `${dir}/chat.kv`,
        REDIS_URL: url,
        LOG_LEVEL: "fatal",
      });
    const one = await startServer(config(urls.one));
    const two = await startServer(config(urls.two));
    try {
      await scenario({ one, two, cut, mend });
    } finally {
      await one.shutdown();
      await two.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  };
  Deno.test(names.down, async () => {
    await using redis = await startRedis();
    const urls = { one: redis.url, two: redis.url };
    await run(urls, () => redis.stop(), () => redis.restart());
  });
  Deno.test(names.cutOff, async () => {
    await using redis = await startRedis();
    let cut = false;
    const proxy = tcpProxy(redis.port, () => cut ? "end" : "forward");
    try {
      await run(
        { one: `redis://127.0.0.1:${proxy.port}`, two: redis.url },
        () => {
          cut = true;
          proxy.dropAll();
          return Promise.resolve();
        },
        () => {
          cut = false;
          return Promise.resolve();
        },
      );
    } finally {
      proxy.close();
    }
  });
}

/**
 * The owner, on instance one, sets a topic, pins a message and edits it
 * while `cut()` keeps Redis from it (`mend()` brings it back); ben, on
 * instance two, has asked for the room's pins before. Once Redis is back,
 * ben gets each change once, and a newcomer on two sees the topic.
 */
testThroughOutages({
  down:
    "scale-out - a topic, a pin and an edit made while Redis is down reach the other instance's sockets once it is back, and its newcomers see the topic",
  cutOff:
    "scale-out - a topic, a pin and an edit made on the one instance cut off from Redis reach the other's sockets once it is back",
}, async ({ one, two, cut, mend }) => {
  const owner = await open(one, "owner", {
    cookie: await account(one, "owner"),
  });
  owner.send({ type: "create", room: "team" });
  await owner.next("room", (f) => (f.room as Frame).id === "team");
  await join(owner, "team");
  const ben = await open(two, "ben");
  await join(ben, "team");
  const id = await say(owner, "team", "the plan");
  await ben.until(() => ben.of("message").some((m) => m.id === id));
  ben.send({ type: "pins", room: "team" });
  await ben.next("pins", (f) => f.room === "team");

  await cut();
  owner.send({ type: "topic", room: "team", topic: "Launch on Friday" });
  await owner.next("topic", (f) => f.topic === "Launch on Friday");
  owner.send({ type: "pin", room: "team", id });
  await owner.next("pinned", (f) => (f.pin as Frame).message !== undefined);
  owner.send({ type: "edit", room: "team", id, text: "the final plan" });
  await owner.next("edited", (f) => f.id === id);
  await mend();

  const topic = await ben.until(
    () => ben.of("topic").find((f) => f.room === "team"),
    20_000,
  );
  expect(topic).toEqual({
    type: "topic",
    room: "team",
    topic: "Launch on Friday",
    by: "",
  });
  const pins = await ben.until(
    () => ben.of("pins").find((f) => (f.pins as Frame[]).length > 0),
    20_000,
  );
  expect((pins.pins as { message: Frame }[]).map((p) => p.message.id))
    .toEqual([id]);
  await ben.until(() => ben.of("edited").some((f) => f.id === id), 20_000);
  // Someone joining on the other instance now is told the new topic.
  const cy = await open(two, "cy");
  await join(cy, "team");
  const entry = await cy.until(() =>
    cy.of("room").find((f) => (f.room as Frame).id === "team")
  );
  expect((entry.room as Frame).topic).toBe("Launch on Friday");
  // Each once, whatever catch-ups followed.
  await new Promise((r) => setTimeout(r, 2500));
  expect(ben.of("topic").length).toBe(1);
  expect(ben.of("pins").length).toBe(2);
  expect(ben.of("edited").filter((f) => f.id === id).length).toBe(1);
  for (const c of [owner, ben, cy]) await c.close();
});

/**
 * Owner on instance one has a private room "inner" with ben (on instance
 * two) in it, and a public room "team" ben is in too. While events are
 * lost (`cut` to `mend`), owner removes ben from "inner" and deletes
 * "team", and "spare", where cy (on two) is a member with no socket in
 * it. Once the bus is back, ben's socket is told both and gets nothing
 * more of either, cy's hears of "spare"'s deletion, and instance two no
 * longer lists either room.
 */
testThroughOutages({
  down:
    "scale-out - a removal from a private room and a room's deletion made while Redis is down reach the other instance's sockets once it is back",
  cutOff:
    "scale-out - a removal from a private room and a room's deletion made on the one instance cut off from Redis reach the other's sockets once it is back",
}, async ({ one, two, cut, mend }) => {
  const owner = await open(one, "owner", {
    cookie: await account(one, "owner"),
  });
  const ben = await open(two, "ben", { cookie: await account(two, "ben") });
  owner.send({ type: "create", room: "inner", private: true });
  await owner.next("room", (f) => (f.room as Frame).id === "inner");
  owner.send({ type: "create", room: "team" });
  await owner.next("room", (f) => (f.room as Frame).id === "team");
  await join(owner, "inner");
  await join(owner, "team");
  owner.send({ type: "invite", room: "inner", user: "ben" });
  await ben.next("room", (f) => (f.room as Frame).id === "inner");
  await join(ben, "inner");
  await join(ben, "team");
  // cy, on instance two, is a member of "spare" without a socket in it.
  owner.send({ type: "create", room: "spare" });
  await owner.next("room", (f) => (f.room as Frame).id === "spare");
  const cyCookie = await account(two, "cy");
  const cyFirst = await open(two, "cy", { cookie: cyCookie });
  await join(cyFirst, "spare");
  await cyFirst.close();
  const cy = await open(two, "cy", { cookie: cyCookie });
  expect(welcomeRooms(cy).has("spare")).toBe(true);
  const seen = await say(owner, "inner", "before");
  await ben.until(() => ben.of("message").some((m) => m.id === seen));

  await cut();
  owner.send({ type: "remove", room: "inner", user: "ben" });
  // A second removal is refused once the first is stored.
  owner.send({ type: "remove", room: "inner", user: "ben" });
  expect((await errorFor(owner, "remove", "inner")).code).toBe("not_member");
  for (const room of ["team", "spare"]) {
    owner.send({ type: "delete_room", room });
    await owner.next("room_deleted", (f) => f.room === room);
  }
  await mend();

  expect(
    await ben.until(
      () => ben.of("left").find((f) => f.room === "inner"),
      20_000,
    ),
  ).toEqual({ type: "left", room: "inner", reason: "removed" });
  expect(
    await ben.until(() => ben.of("left").find((f) => f.room === "team")),
  ).toEqual({ type: "left", room: "team", reason: "deleted" });
  await ben.until(() => ben.of("room_deleted").some((f) => f.room === "team"));
  await cy.until(() => cy.of("room_deleted").some((f) => f.room === "spare"));
  // Nothing more of the private room reaches ben, and ben can't write there.
  const after = await say(owner, "inner", "after");
  ben.send({ type: "send", room: "inner", text: "hey", clientId: "b1" });
  expect((await errorFor(ben, "send", "inner")).code).toBe("no_such_room");
  await new Promise((r) => setTimeout(r, 500));
  expect(ben.of("message").some((m) => m.id === after)).toBe(false);
  const { rooms } = await (await fetch(`${two.url}/api/rooms`)).json();
  expect(rooms.map((r: { id: string }) => r.id).sort()).toEqual([
    "general",
    "random",
  ]);
  for (const c of [owner, ben, cy]) await c.close();
});

Deno.test("scale-out - an instance on Redis with another KV file than the instances already there is refused at start, with one line", async () => {
  await using redis = await startRedis();
  const dir = await Deno.makeTempDir({ prefix: "chat-kv-split-" });
  const one = await spawnServer(freePort(), {
    KV_PATH: `${dir}/a.kv`,
    REDIS_URL: redis.url,
    LOG_LEVEL: "fatal",
  });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-kv", "serve.ts"],
      cwd: new URL("../", import.meta.url).pathname,
      env: {
        PORT: "0",
        HOSTNAME: "127.0.0.1",
        KV_PATH: `${dir}/b.kv`,
        REDIS_URL: redis.url,
      },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const stderr = new TextDecoder().decode(out.stderr).trim();
    expect(out.code).toBe(2);
    expect(stderr.split("\n")).toHaveLength(1);
    expect(stderr).toMatch(
      /^REDIS_URL: the instances on Redis at .* use another KV file/,
    );
    // Another instance on the same file is welcome.
    const two = await spawnServer(freePort(), {
      KV_PATH: `${dir}/a.kv`,
      REDIS_URL: redis.url,
      LOG_LEVEL: "fatal",
    });
    await two.stop();
  } finally {
    await one.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
