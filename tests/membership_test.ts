/**
 * Membership over real sockets: durable (it survives a restart on the same
 * KV file), joined deliberately, written as coalesced stored events and
 * never for connecting again; `welcome` lists one's own rooms; the
 * directory and the original listing show public rooms.
 */
import { expect } from "expect";
import { loadConfig } from "@/lib/server/config.ts";
import {
  type Server,
  startServer,
  withServer,
  wsUrl,
} from "@/tests/helpers/server.ts";
import { Client, type Frame } from "@/tests/helpers/ws_client.ts";
import { until } from "@/tests/helpers/until.ts";
import {
  account,
  create,
  createPrivate,
  errorFor,
  history,
  invite,
  join,
  open,
  say,
  welcome,
  welcomeRooms,
} from "@/tests/helpers/members.ts";

/** Starts a server on the KV file `path`, with `env` over test defaults. */
function serverOn(path: string, env: Record<string, string> = {}) {
  return startServer(loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    KV_PATH: path,
    LOG_LEVEL: "fatal",
    ...env,
  }));
}

/** The stored membership events of `room`. */
async function events(s: Server, room: string): Promise<Frame[]> {
  const { messages } = await history(s, room);
  return messages.filter((m) => m.event !== undefined);
}

Deno.test("membership - first visit joins the default rooms; membership and read state survive a restart; reconnecting writes no event", async () => {
  const dir = await Deno.makeTempDir({ prefix: "members_test_" });
  const path = `${dir}/chat.kv`;
  try {
    let token: string;
    let s = await serverOn(path, { MEMBERSHIP_EVENT_WINDOW_MS: "50" });
    try {
      const cookie = await account(s, "ana");
      const ana = await open(s, "ana", { cookie });
      expect(welcome(ana).protocol).toBe(2);
      expect([...welcomeRooms(ana).keys()]).toEqual(["general", "random"]);
      ana.send({ type: "create", room: "team" });
      const room = await ana.next(
        "room",
        (f) => (f.room as Frame).id === "team",
      );
      expect(room.room).toMatchObject({
        id: "team",
        kind: "public",
        members: 1,
        unread: 0,
      });
      const gus = await open(s, "gus");
      token = welcome(gus).token as string;
      expect((await join(gus, "team")).members).toBe(2);
      await until(async () => (await events(s, "team")).length === 1, {
        what: "gus's event in team",
      });
      await say(gus, "team", "one");
      await say(gus, "team", "two");
      // Tabs and reconnects are no membership change.
      const again = await open(s, "gus", { token });
      await join(again, "team");
      await Promise.all([ana.close(), gus.close(), again.close()]);
      // Creating a room is no join: only gus's joining is an event.
      expect((await events(s, "team")).map((m) => m.text)).toEqual([
        "gus joined",
      ]);
    } finally {
      await s.shutdown();
    }

    s = await serverOn(path, { MEMBERSHIP_EVENT_WINDOW_MS: "50" });
    try {
      const cookie = await account(s, "ana");
      const ana = await open(s, "ana", { cookie });
      const rooms = welcomeRooms(ana);
      expect([...rooms.keys()].sort()).toEqual(["general", "random", "team"]);
      // Ana read nothing of it: gus's two messages (his joining is no news).
      expect(rooms.get("team")).toMatchObject({
        members: 2,
        lastId: 3,
        lastRead: 0,
        unread: 2,
      });
      const gus = await open(s, "gus", { token: token! });
      expect(welcomeRooms(gus).get("team")).toMatchObject({
        lastRead: 3,
        unread: 0,
      });
      const joined = await join(gus, "team");
      expect(joined).toMatchObject({ lastRead: 3, members: 2 });
      await new Promise((r) => setTimeout(r, 200));
      expect((await events(s, "team")).length).toBe(1);
      await Promise.all([ana.close(), gus.close()]);
    } finally {
      await s.shutdown();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("membership - someone who joins and speaks at once is told joined before the message, without waiting out the window", async () => {
  await withServer({ MEMBERSHIP_EVENT_WINDOW_MS: "30000" }, async (s) => {
    const ana = await open(s, "ana");
    await create(ana, "team");
    await join(ana, "team");
    const gus = await open(s, "gus");
    await join(gus, "team");
    const id = await say(gus, "team", "hi all");
    const { messages } = await history(s, "team");
    expect(messages.map((m) => [m.id, m.text])).toEqual([
      [id - 1, "gus joined"],
      [id, "hi all"],
    ]);
    // Ana, in the room all along, got them live in that order too.
    const live = () =>
      ana.of("message").filter((m) => m.room === "team").map((m) => m.text);
    await ana.until(() => live().includes("hi all") || undefined);
    expect(live()).toEqual(["gus joined", "hi all"]);
    await Promise.all([ana.close(), gus.close()]);
  });
});

Deno.test("membership - a join storm of 300 people writes a handful of events, not hundreds", async () => {
  await withServer({
    MEMBERSHIP_EVENT_WINDOW_MS: "1000",
    MAX_CONNECTIONS_PER_IP: "1000",
  }, async (s) => {
    const owner = await open(s, "owner");
    owner.send({ type: "create", room: "storm" });
    await owner.next("room");
    const n = 300;
    const clients: Client[] = [];
    for (let batch = 0; batch < n; batch += 50) {
      clients.push(
        ...await Promise.all(
          Array.from({ length: 50 }, (_, i) => open(s, `u${batch + i}`)),
        ),
      );
    }
    await Promise.all(clients.map((c) => join(c, "storm")));
    // Each joiner is told it is a member (`room`) before `joined`, and both
    // give the member count read once for them.
    for (const c of clients) {
      const types = c.frames.map((f) =>
        typeof f === "string" ? f : `${f.type}:${roomOf(f)}`
      );
      expect(types.indexOf("room:storm")).toBeGreaterThan(-1);
      expect(types.indexOf("room:storm")).toBeLessThan(
        types.indexOf("joined:storm"),
      );
      const told = c.of("room").find((f) => roomOf(f) === "storm")!;
      expect((told.room as Frame).members).toBe(c.of("joined")[0].members);
    }
    const stored: Frame[] = await until(async () => {
      const e = await events(s, "storm");
      const count = e.reduce(
        (sum, m) => sum + (m.event as { count: number }).count,
        0,
      );
      return count === n ? e : undefined;
    }, { what: "every joiner counted", ms: 20_000 });
    expect(stored.length).toBeLessThanOrEqual(12);
    expect(stored[stored.length - 1].user).toBe("");
    const big = stored.find((m) => (m.event as { count: number }).count > 2)!;
    expect(big.text).toMatch(/^\S+ and [\d,]+ others joined$/);
    // Every member got each event as one message, not one per joiner.
    const c = clients[0];
    await c.until(() =>
      c.of("message").filter((m) => m.event).length >=
        stored.filter((m) =>
          (m.id as number) > (c.of("joined")[0].lastId as number)
        )
          .length
    );
    expect(c.of("message").length).toBeLessThanOrEqual(stored.length);
    await Promise.all([owner, ...clients].map((c) => c.close()));
  });
});

Deno.test("membership - leave ends membership on every tab with one event; join of a room one is in writes nothing", async () => {
  await withServer({ MEMBERSHIP_EVENT_WINDOW_MS: "50" }, async (s) => {
    const cookie = await account(s, "ana");
    const tab1 = await open(s, "ana", { cookie });
    const tab2 = await open(s, "ana", { cookie });
    await join(tab1, "general");
    await join(tab2, "general");
    await until(async () => (await events(s, "general")).length === 1);
    tab1.send({ type: "leave", room: "general" });
    await tab1.next("left", (f) => f.room === "general");
    await tab2.next("left", (f) => f.room === "general");
    const texts = async () => (await events(s, "general")).map((m) => m.text);
    await until(async () => (await texts()).length === 2);
    expect(await texts()).toEqual(["ana joined", "ana left"]);
    // No longer subscribed: nothing more arrives on either tab.
    const bo = await open(s, "bo");
    await join(bo, "general");
    await say(bo, "general", "anyone?");
    await new Promise((r) => setTimeout(r, 200));
    expect(tab2.of("message").some((m) => m.text === "anyone?")).toBe(false);
    const back = await open(s, "ana", { cookie });
    expect(welcomeRooms(back).has("general")).toBe(false);
    expect(welcomeRooms(back).has("random")).toBe(true);
    await Promise.all([tab1, tab2, bo, back].map((c) => c.close()));
  });
});

Deno.test("membership - the directory pages public rooms; /api/rooms keeps its format and counts people online", async () => {
  await withServer({}, async (s) => {
    const cookie = await account(s, "ana");
    const ana = await open(s, "ana", { cookie });
    for (const room of ["alpha", "beta", "gamma"]) {
      ana.send({ type: "create", room });
      await ana.next("room", (f) => (f.room as Frame).id === room);
    }
    await create(ana, "hidden", { private: true });
    await join(ana, "general");
    const first = await (await fetch(`${s.url}/api/directory?limit=2`)).json();
    expect(first.rooms.map((r: Frame) => r.id)).toEqual(["alpha", "beta"]);
    expect(first.rooms[0]).toEqual({
      id: "alpha",
      name: "alpha",
      members: 1,
      online: 1,
    });
    const rest = await (await fetch(
      `${s.url}/api/directory?limit=50&cursor=${first.next}`,
    )).json();
    expect(rest.rooms.map((r: Frame) => r.id)).toEqual([
      "gamma",
      "general",
      "random",
    ]);
    expect(rest.next).toBeUndefined();
    for (const q of ["limit=0", "limit=abc", "cursor=Bad!"]) {
      const res = await fetch(`${s.url}/api/directory?${q}`);
      expect(res.status).toBe(400);
      expect((await res.json()).error.status).toBe(400);
    }
    const list = await (await fetch(`${s.url}/api/rooms`)).json();
    expect(list.rooms.map((r: Frame) => r.id).sort()).toEqual([
      "alpha",
      "beta",
      "gamma",
      "general",
      "random",
    ]);
    expect(list.rooms.find((r: Frame) => r.id === "general")).toEqual({
      id: "general",
      name: "general",
      users_count: 1,
    });
    await ana.close();
  });
});

Deno.test("membership - errors: unknown rooms, reading a room one is not in, a bad member cursor", async () => {
  await withServer({}, async (s) => {
    const gus = await open(s, "gus");
    gus.send({ type: "join", room: "nowhere" });
    expect((await errorFor(gus, "join")).code).toBe("no_such_room");
    gus.send({ type: "view", room: "nowhere" });
    expect((await errorFor(gus, "view")).code).toBe("no_such_room");
    const owner = await open(s, "owner");
    owner.send({ type: "create", room: "elsewhere" });
    await owner.next("room");
    gus.send({ type: "read", room: "elsewhere", id: 1 });
    expect((await errorFor(gus, "read")).code).toBe("not_member");
    gus.send({ type: "members", room: "general", cursor: "zzz" });
    expect((await errorFor(gus, "members")).code).toBe("invalid_frame");
    // Watching a public room without joining it: no send.
    gus.send({ type: "view", room: "elsewhere" });
    await gus.next("joined", (f) => f.room === "elsewhere");
    gus.send({ type: "send", room: "elsewhere", text: "hi", clientId: "x" });
    expect((await errorFor(gus, "send")).code).toBe("not_member");
    await Promise.all([gus.close(), owner.close()]);
  });
});

Deno.test("membership - the original endpoints never see stored membership events", async () => {
  await withServer({ MEMBERSHIP_EVENT_WINDOW_MS: "50" }, async (s) => {
    const old = new Client(wsUrl(s, "/ws/general/minsu"), { json: false });
    const client = new Client(wsUrl(s, "/ws/jisu"), { json: false });
    await Promise.all([old.opened, client.opened]);
    const gus = await open(s, "gus");
    await join(gus, "general");
    await until(async () => (await events(s, "general")).length === 1);
    await say(gus, "general", "hello");
    await old.until(() =>
      old.frames.includes(
        '{"sender":"gus","message":"hello","room_id":"general"}',
      )
    );
    await client.until(() => client.frames.includes("gus: hello"));
    expect(old.frames.some((f) => String(f).includes("joined"))).toBe(false);
    expect(client.frames.some((f) => String(f).includes("joined"))).toBe(
      false,
    );
    await Promise.all([old.close(), client.close(), gus.close()]);
  });
});

Deno.test("membership - a kick ends membership and every tab of the person learns it, subscribed to the room or not", async () => {
  await withServer({ MEMBERSHIP_EVENT_WINDOW_MS: "50" }, async (s) => {
    const cookie = await account(s, "owner");
    const owner = await open(s, "owner", { cookie });
    await create(owner, "team");
    const gus = await open(s, "gus");
    const token = welcome(gus).token as string;
    expect((await join(gus, "team")).members).toBe(2);
    // A second tab showing other rooms: not subscribed to "team".
    const other = await open(s, "gus", { token });
    expect(welcomeRooms(other).has("team")).toBe(true);
    owner.send({ type: "kick", room: "team", user: "gus" });
    await gus.next("left", (f) => f.room === "team" && f.reason === "kicked");
    await other.next("left", (f) => f.room === "team" && f.reason === "kicked");
    expect(gus.of("left").filter((f) => f.room === "team")).toHaveLength(1);
    // No longer a member: not in a new tab's rooms, not counted.
    const again = await open(s, "gus", { token });
    expect(welcomeRooms(again).has("team")).toBe(false);
    owner.send({ type: "members", room: "team" });
    const page = await owner.next("members", (f) => f.room === "team");
    expect(page.total).toBe(1);
    await Promise.all([owner, gus, other, again].map((c) => c.close()));
  });
});

Deno.test("membership - a tab whose welcome listed a room the person left meanwhile makes them a member again by joining it", async () => {
  await withServer({ MEMBERSHIP_EVENT_WINDOW_MS: "0" }, async (s) => {
    const gus = await open(s, "gus");
    const token = welcome(gus).token as string;
    await join(gus, "random");
    // A second tab, told at its welcome that gus is a member of "random".
    const other = await open(s, "gus", { token });
    expect(welcomeRooms(other).has("random")).toBe(true);
    gus.send({ type: "leave", room: "random" });
    await other.next("left", (f) => f.room === "random");
    const joined = await join(other, "random");
    expect(joined.members).toBe(1);
    // A member again: the room comes back to every tab and to new ones.
    await gus.next("room", (f) => (f.room as Frame).id === "random");
    const again = await open(s, "gus", { token });
    expect(welcomeRooms(again).has("random")).toBe(true);
    await Promise.all([gus, other, again].map((c) => c.close()));
  });
});

Deno.test("membership - a private room's removed member learns it on every tab, subscribed or not", async () => {
  await withServer({}, async (s) => {
    const owner = await open(s, "owner", { cookie: await account(s, "owner") });
    const cookie = await account(s, "ana");
    const ana = await open(s, "ana", { cookie });
    await create(owner, "inner", { private: true });
    await invite(owner, "inner", "ana", ana);
    await join(ana, "inner");
    const tab2 = await open(s, "ana", { cookie });
    owner.send({ type: "remove", room: "inner", user: "ana" });
    await ana.next("left", (f) => f.room === "inner" && f.reason === "removed");
    await tab2.next(
      "left",
      (f) => f.room === "inner" && f.reason === "removed",
    );
    await Promise.all([owner, ana, tab2].map((c) => c.close()));
  });
});

Deno.test("membership - someone who left every room is not given the default rooms again", async () => {
  await withServer({}, async (s) => {
    const cookie = await account(s, "ana");
    const ana = await open(s, "ana", { cookie });
    const guest = await open(s, "gus");
    const token = welcome(guest).token as string;
    for (const c of [ana, guest]) {
      const rooms = [...welcomeRooms(c).keys()];
      expect(rooms).toEqual(["general", "random"]);
      for (const room of rooms) {
        c.send({ type: "leave", room });
        await c.next("left", (f) => f.room === room);
      }
      await c.close();
    }
    const back = await open(s, "ana", { cookie });
    const guestBack = await open(s, "gus", { token });
    expect(welcomeRooms(back).size).toBe(0);
    expect(welcomeRooms(guestBack).size).toBe(0);
    // Joining again is deliberate, and works.
    expect((await join(guestBack, "general")).room).toBe("general");
    // A new guest still gets the defaults.
    const newcomer = await open(s, "mo");
    expect([...welcomeRooms(newcomer).keys()]).toEqual(["general", "random"]);
    await Promise.all([back, guestBack, newcomer].map((c) => c.close()));
  });
});

Deno.test("membership - stored membership events are not counted as unread", async () => {
  await withServer({ MEMBERSHIP_EVENT_WINDOW_MS: "50" }, async (s) => {
    const cookie = await account(s, "owner");
    const owner = await open(s, "owner", { cookie });
    await create(owner, "team");
    const gus = await open(s, "gus");
    const token = welcome(gus).token as string;
    await join(gus, "team");
    await until(async () => (await events(s, "team")).length === 1, {
      what: "gus's event",
    });
    await gus.close();
    // While gus is away: two join events and two messages.
    const ana = await open(s, "ana");
    await join(ana, "team");
    await until(async () => (await events(s, "team")).length === 2, {
      what: "ana's event",
    });
    await say(ana, "team", "one");
    const bo = await open(s, "bo");
    await join(bo, "team");
    await until(async () => (await events(s, "team")).length === 3, {
      what: "bo's event",
    });
    const two = await say(ana, "team", "two");
    const back = await open(s, "gus", { token });
    expect(welcomeRooms(back).get("team")).toMatchObject({
      lastId: two,
      unread: 2,
    });
    // Reading the first message leaves one, though an event follows it.
    back.send({ type: "read", room: "team", id: two - 2 });
    const read = await back.next("read", (f) => f.room === "team");
    expect(read).toMatchObject({ unread: 1, lastId: two });
    await Promise.all([owner, ana, bo, back].map((c) => c.close()));
  });
});

/** The room a frame is about (`room` frames carry the whole room). */
function roomOf(f: Frame): unknown {
  return typeof f.room === "object" && f.room !== null
    ? (f.room as Frame).id
    : f.room;
}

Deno.test("membership - someone who joins and leaves within one event window is dropped from the lists of those viewing the room", async () => {
  // The window is longer than the test: no joined or left line is written.
  await withServer({ MEMBERSHIP_EVENT_WINDOW_MS: "60000" }, async (s) => {
    const cookie = await account(s, "owner");
    const owner = await open(s, "owner", { cookie });
    await createPrivate(owner, "inner");
    owner.send({ type: "view", room: "inner" });
    const eve = await open(s, "eve", { cookie: await account(s, "eve") });
    await invite(owner, "inner", "eve", eve);
    await join(eve, "inner");
    eve.send({ type: "view", room: "inner" });
    const changes = () =>
      owner.of("presence").filter((f) => f.room === "inner").flatMap((f) =>
        f.changes as Frame[]
      ).filter((c) => c.name === "eve");
    await owner.until(() => changes().some((c) => c.status === "online"));
    eve.send({ type: "leave", room: "inner" });
    await eve.next("left", (f) => f.room === "inner");
    const last = await owner.until(() => {
      const c = changes().at(-1);
      return c?.left ? c : undefined;
    });
    expect(last).toMatchObject({ name: "eve", status: "offline", left: true });
    const { status, messages } = await history(s, "inner", { cookie });
    expect(status).toBe(200);
    expect(messages.filter((m) => m.event !== undefined)).toEqual([]);
    await Promise.all([owner.close(), eve.close()]);
  });
});

Deno.test("membership - the member list pages on to the offline members when the online ones fill a page exactly", async () => {
  await withServer({}, async (s) => {
    // Three members who left (offline), then one online who asks.
    for (const name of ["ada", "bea", "cy"]) {
      const c = await open(s, name);
      await join(c, "general");
      await c.close();
    }
    const dot = await open(s, "dot");
    await join(dot, "general");
    dot.send({ type: "view", room: "general" });
    const names: string[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 10; n++) {
      const asked = dot.of("members").length;
      dot.send({
        type: "members",
        room: "general",
        limit: 1,
        ...(cursor ? { cursor } : {}),
      });
      const page = await dot.until(() => dot.of("members")[asked]);
      names.push(...(page.users as Frame[]).map((u) => u.name as string));
      cursor = page.next as string | undefined;
      if (!cursor) break;
    }
    expect(names[0]).toBe("dot");
    expect(names.slice(1).sort()).toEqual(["ada", "bea", "cy"]);
    await dot.close();
  });
});

Deno.test("membership - a guest who leaves, or is kicked, is still marked a guest in the presence change that drops them", async () => {
  await withServer({}, async (s) => {
    const owner = await open(s, "owner", { cookie: await account(s, "owner") });
    await create(owner, "den");
    await join(owner, "den");
    owner.send({ type: "view", room: "den" });
    const dropped = (name: string) =>
      owner.until(() =>
        owner.of("presence").filter((f) => f.room === "den").flatMap((f) =>
          f.changes as Frame[]
        ).find((c) => c.name === name && c.left === true)
      );
    for (const [name, how] of [["gus", "leave"], ["kit", "kick"]]) {
      const guest = await open(s, name);
      await join(guest, "den");
      if (how === "leave") guest.send({ type: "leave", room: "den" });
      else owner.send({ type: "kick", room: "den", user: name });
      await guest.next("left", (f) => f.room === "den");
      expect(await dropped(name)).toMatchObject({ guest: true });
      await guest.close();
    }
    // An account stays unmarked.
    const ana = await open(s, "ana", { cookie: await account(s, "ana") });
    await join(ana, "den");
    ana.send({ type: "leave", room: "den" });
    expect(await dropped("ana")).toMatchObject({ guest: false });
    await Promise.all([owner.close(), ana.close()]);
  });
});

Deno.test("membership - leaving a room that doesn't exist, or a private room one isn't in, answers no_such_room; leaving a public room one only previews is fine", async () => {
  await withServer({}, async (s) => {
    const owner = await open(s, "owner", { cookie: await account(s, "owner") });
    await create(owner, "inner", { private: true });
    const gus = await open(s, "gus");
    for (const room of ["nowhere", "inner"]) {
      gus.send({ type: "leave", room });
      expect((await errorFor(gus, "leave", room)).code).toBe("no_such_room");
    }
    expect(gus.of("left")).toEqual([]);
    // A public room: left, member or not.
    gus.send({ type: "leave", room: "random" });
    await gus.next("left", (f) => f.room === "random");
    await Promise.all([owner.close(), gus.close()]);
  });
});

Deno.test("membership - someone mentioned within the join's window shows as joined before the mention, for everyone and in history", async () => {
  // A window longer than the test: only a message can bring the event.
  await withServer({ MEMBERSHIP_EVENT_WINDOW_MS: "60000" }, async (s) => {
    const owner = await open(s, "owner", { cookie: await account(s, "owner") });
    await create(owner, "den");
    await join(owner, "den");
    const erin = await open(s, "erin", { cookie: await account(s, "erin") });
    await join(erin, "den");
    // A message about something else leaves the window alone.
    const other = await say(owner, "den", "morning all");
    const events = () =>
      owner.of("message").filter((f) => f.room === "den" && f.event);
    expect(events()).toEqual([]);
    const greeting = await say(owner, "den", "@erin can you review?");
    const event = await owner.next(
      "message",
      (f) => f.room === "den" && f.event !== undefined,
    );
    expect(event.event).toMatchObject({ kind: "joined", users: ["erin"] });
    expect(event.id as number).toBeLessThan(greeting);
    expect(event.id as number).toBeGreaterThan(other);
    const { messages } = await history(s, "den", {});
    const texts = messages.map((m) => m.text);
    expect(texts.indexOf("@erin can you review?")).toBeGreaterThan(
      messages.findIndex((m) =>
        (m.event as Frame | undefined)?.kind === "joined"
      ),
    );
    await Promise.all([owner.close(), erin.close()]);
  });
});

Deno.test("membership - a second tab leaving a private room just left in the first is told left, not no_such_room", async () => {
  await withServer({}, async (s) => {
    const ownerCookie = await account(s, "owner");
    const owner = await open(s, "owner", { cookie: ownerCookie });
    await create(owner, "team", { private: true });
    const cookie = await account(s, "mia");
    owner.send({ type: "invite", room: "team", user: "mia" });
    const one = await open(s, "mia", { cookie });
    const two = await open(s, "mia", { cookie });
    for (const c of [one, two]) await join(c, "team");
    one.send({ type: "leave", room: "team" });
    await two.next("left", (f) => f.room === "team");
    // Two's own leave, sent before it saw that: still `left`.
    const lefts = two.of("left").length;
    two.send({ type: "leave", room: "team" });
    await two.until(() => two.of("left")[lefts]);
    expect(two.of("error")).toEqual([]);
    // The owner leaves their own private room (they may come back): left.
    await join(owner, "team");
    owner.send({ type: "leave", room: "team" });
    await owner.next("left", (f) => f.room === "team");
    const again = owner.of("left").length;
    owner.send({ type: "leave", room: "team" });
    await owner.until(() => owner.of("left")[again]);
    expect(owner.of("error")).toEqual([]);
    await Promise.all([owner.close(), one.close(), two.close()]);
  });
});

Deno.test("membership - after a private room is deleted, a leave of a new private room under its id is no_such_room to a socket that knew the old one", async () => {
  await withServer({}, async (s) => {
    const owner = await open(s, "owner", { cookie: await account(s, "owner") });
    await createPrivate(owner, "team");
    owner.send({ type: "delete_room", room: "team" });
    await owner.next("left", (f) => f.room === "team");
    // Someone else makes a private room under the same id.
    const zed = await open(s, "zed", { cookie: await account(s, "zed") });
    await create(zed, "team", { private: true });
    owner.send({ type: "leave", room: "team" });
    expect((await errorFor(owner, "leave", "team")).code).toBe("no_such_room");
    await Promise.all([owner.close(), zed.close()]);
  });
});
