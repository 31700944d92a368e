/**
 * The chat core through the real path: a server on a random port, real
 * WebSocket clients, every endpoint.
 */
import { expect } from "expect";
import {
  type Server,
  withServer,
  wsUrl as ws,
} from "@/tests/helpers/server.ts";
import { Client, type Frame } from "@/tests/helpers/ws_client.ts";
import { guestKey } from "@/lib/server/chat/guest_token.ts";
import { StoreUnavailableError } from "@/lib/server/store/store.ts";
import { until } from "@/tests/helpers/until.ts";

/** Whether `name` is in the presence list of "general". */
function inGeneral(s: Server, name: string): boolean {
  return s.chat.online("general").some((u) => u.name === name);
}

async function native(s: Server, name: string, room?: string): Promise<Client> {
  const c = new Client(ws(s, `/ws?name=${encodeURIComponent(name)}`));
  await c.next("welcome");
  if (room) {
    c.send({ type: "join", room });
    await c.next("joined", (f) => f.room === room);
  }
  return c;
}

Deno.test("chat - a broadcast reaches every member of the room and no one outside it", async () => {
  await withServer({}, async (s) => {
    const a = await native(s, "ana", "general");
    const b = await native(s, "bo", "general");
    const c = await native(s, "cy", "random");
    a.send({ type: "send", room: "general", text: "hello", clientId: "a1" });
    const ack = await a.next("ack");
    // Id 1 is "ana and 2 others joined" (the default rooms), told before
    // ana's first message.
    expect(ack).toMatchObject({ room: "general", clientId: "a1", id: 2 });
    const told = await b.next("message");
    expect(told).toMatchObject({ id: 1, text: "ana and 2 others joined" });
    const got = await b.next("message", (f) => f.id === 2);
    expect(got).toMatchObject({
      id: 2,
      room: "general",
      user: "ana",
      text: "hello",
      clientId: "a1",
    });
    await a.next("message");
    await new Promise((r) => setTimeout(r, 100));
    expect(c.of("message")).toEqual([]);
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});

Deno.test("chat - welcome lists one's rooms; presence comes coalesced, no join or leave notices; typing", async () => {
  await withServer({}, async (s) => {
    const a = await native(s, "ana", "general");
    const welcome = a.of("welcome")[0];
    expect(welcome).toMatchObject({
      protocol: 2,
      user: { name: "ana", guest: true },
    });
    expect(typeof welcome.serverTime).toBe("number");
    // The page expires typing notices after the server's TTL.
    expect(welcome.limits).toEqual({
      maxTextBytes: s.chat.config.maxTextBytes,
      maxFrameBytes: s.chat.config.maxFrameBytes,
      typingTtlMs: s.chat.config.typingTtlMs,
    });
    // A first visit joins the default rooms.
    expect((welcome.rooms as Frame[]).map((r) => r.id)).toEqual([
      "general",
      "random",
    ]);
    const b = await native(s, "bo", "general");
    expect(b.of("joined")[0]).toMatchObject({
      members: 2,
      online: 2,
      lastRead: 0,
    });
    expect(
      (b.of("joined")[0].users as Frame[]).map((u) => u.name).sort(),
    ).toEqual(["ana", "bo"]);
    // A socket that never sent `view` shows every room it joined.
    const online = await a.next(
      "presence",
      (f) => (f.changes as Frame[]).some((c) => c.name === "bo"),
    );
    expect(online).toMatchObject({ room: "general", online: 2 });
    expect((online.changes as Frame[]).find((c) => c.name === "bo")).toEqual({
      name: "bo",
      guest: true,
      status: "online",
    });
    b.send({ type: "typing", room: "general", typing: true });
    expect(await a.next("typing")).toEqual({
      type: "typing",
      room: "general",
      user: "bo",
      typing: true,
    });
    await b.close();
    const gone = await a.next(
      "presence",
      (f) =>
        (f.changes as Frame[]).some((c) =>
          c.name === "bo" && c.status === "offline"
        ),
    );
    expect(gone.online).toBe(1);
    expect(a.of("user_joined")).toEqual([]);
    expect(a.of("user_left")).toEqual([]);
    await a.close();
  });
});

Deno.test("chat - guest names stay unique and a token keeps one", async () => {
  await withServer({}, async (s) => {
    const a = await native(s, "mina");
    const b = await native(s, "mina");
    expect((b.of("welcome")[0].user as { name: string }).name).toBe("mina-2");
    const token = a.of("welcome")[0].token as string;
    const tab = new Client(ws(s, `/ws?name=mina&token=${token}`));
    expect((await tab.next("welcome")).user).toEqual({
      name: "mina",
      guest: true,
    });
    const bad = await fetch(`${s.url}/ws?name=${encodeURIComponent("<b>")}`, {
      headers: { upgrade: "websocket" },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/Invalid name/);
    await Promise.all([a.close(), b.close(), tab.close()]);
  });
});

Deno.test("chat - every malformed input gets its documented error and the socket stays open", async () => {
  await withServer({ MAX_TEXT_BYTES: "100" }, async (s) => {
    const a = await native(s, "ana", "general");
    const cases: [Frame | string, string][] = [
      ["{oops", "bad_json"],
      [{ type: "shout" }, "unknown_type"],
      [{ type: "send", room: "general", text: "x" }, "invalid_frame"],
      [{ type: "join", room: "Bad Room!" }, "invalid_frame"],
      [{
        type: "send",
        room: "general",
        text: "x".repeat(101),
        clientId: "long",
      }, "text_too_long"],
      [
        { type: "send", room: "general", text: "   ", clientId: "blank" },
        "empty_text",
      ],
      [
        { type: "send", room: "random", text: "hi", clientId: "nj" },
        "not_joined",
      ],
      [{ type: "join", room: "nowhere" }, "no_such_room"],
      [{ type: "create", room: "general" }, "room_exists"],
      // Refused up front: PostgreSQL's JSON can't hold either, and a send
      // carrying one would fail the group commit it joined.
      [
        { type: "send", room: "general", text: "x", clientId: "a\u0000b" },
        "invalid_frame",
      ],
      [
        { type: "send", room: "general", text: "x", clientId: "\ud800" },
        "invalid_frame",
      ],
    ];
    for (const [i, [frame, code]] of cases.entries()) {
      a.send(frame);
      const err = await a.until(() => a.of("error")[i]);
      expect(err.code).toBe(code);
      expect(typeof err.message).toBe("string");
    }
    expect(a.of("error")[4].frame).toEqual({
      type: "send",
      room: "general",
      clientId: "long",
    });
    a.send({
      type: "send",
      room: "general",
      text: "still here",
      clientId: "ok",
    });
    expect(await a.next("ack")).toMatchObject({ clientId: "ok" });
    await a.close();
  });
});

Deno.test("chat - a message stored but never published reaches the room when its sender resends it", async () => {
  await withServer({}, async (s) => {
    const a = await native(s, "ana", "general");
    const b = await native(s, "bo", "general");
    // What a commit answered only after its deadline leaves behind: the
    // sender was told `unavailable`, the message is stored, nobody got it.
    const token = a.of("welcome")[0].token as string;
    const late = await s.chat.store.append({
      room: "general",
      user: "ana",
      text: "late",
      clientId: "late-1",
      guest: true,
      author: guestKey(token),
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(b.of("message").map((m) => m.text)).not.toContain("late");
    // The outbox sends it again: the original ack, and the room gets it.
    a.send({ type: "send", room: "general", text: "late", clientId: "late-1" });
    expect(await a.next("ack")).toMatchObject({
      id: late.message.id,
      duplicate: true,
    });
    const got = await b.until(() =>
      b.of("message").find((m) => m.text === "late")
    );
    expect(got.id).toBe(late.message.id);
    // Once only, however often it is resent.
    a.send({ type: "send", room: "general", text: "late", clientId: "late-1" });
    await a.until(() => a.of("ack")[1]);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.of("message").filter((m) => m.text === "late").length).toBe(1);
    expect(a.of("message").filter((m) => m.text === "late").length).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});

Deno.test("chat - an oversized frame closes with 1009 and binary with 1003, each with its reason", async () => {
  await withServer({ MAX_FRAME_BYTES: "1024" }, async (s) => {
    const a = await native(s, "ana", "general");
    a.send("x".repeat(2000));
    expect(await a.closed).toEqual({ code: 1009, reason: "Frame too large" });
    const b = await native(s, "bo", "general");
    b.ws.send(new Uint8Array([1, 2, 3]));
    expect(await b.closed).toEqual({
      code: 1003,
      reason: "Binary frames are not supported",
    });
  });
});

Deno.test("chat - rooms: created by name, refused when duplicate, listed with live counts", async () => {
  await withServer({ CHAT_ROOMS: "general,random" }, async (s) => {
    const a = await native(s, "ana", "general");
    a.send({ type: "create", room: "deno-fans" });
    expect((await a.next("room")).room).toMatchObject({
      id: "deno-fans",
      kind: "public",
      members: 1,
    });
    a.send({ type: "create", room: "deno-fans" });
    expect((await a.next("error")).code).toBe("room_exists");
    // Ana is online in the rooms she is a member of; bo's are others.
    const bo = await native(s, "bo");
    bo.send({ type: "leave", room: "random" });
    await bo.next("left");
    const list = await (await fetch(`${s.url}/api/rooms`)).json();
    expect(list.rooms).toEqual([
      { id: "general", name: "general", users_count: 2 },
      { id: "random", name: "random", users_count: 1 },
      { id: "deno-fans", name: "deno-fans", users_count: 1 },
    ]);
    await bo.close();
    await a.close();
  });
});

Deno.test("chat - a sender that resends a clientId gets the original ack, no second message", async () => {
  await withServer({}, async (s) => {
    const a = await native(s, "ana", "general");
    const b = await native(s, "bo", "general");
    a.send({ type: "send", room: "general", text: "once", clientId: "same" });
    const first = await a.next("ack");
    a.send({ type: "send", room: "general", text: "once", clientId: "same" });
    const second = await a.until(() => a.of("ack")[1]);
    expect(second).toMatchObject({ id: first.id, duplicate: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(b.of("message").filter((m) => m.clientId === "same").length)
      .toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});

Deno.test("chat - a reader that never reads is dropped with 1013 while others stay fast", async () => {
  await withServer({
    SLOW_CLIENT_BYTES: "65536",
    SLOW_CLIENT_GRACE_MS: "300",
    RATE_PER_SECOND: "10000",
    RATE_BURST: "10000",
    MAX_TEXT_BYTES: "60000",
  }, async (s) => {
    // A raw TCP client that upgrades and then never reads a byte.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await conn.write(new TextEncoder().encode(
      `GET /ws?name=sloth HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nUpgrade: websocket\r\n` +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ));
    const buf = new Uint8Array(4096);
    await conn.read(buf);
    // Join "general" with a masked client frame.
    const join = new TextEncoder().encode('{"type":"join","room":"general"}');
    const frame = new Uint8Array(6 + join.length);
    frame.set([0x81, 0x80 | join.length, 0, 0, 0, 0]);
    frame.set(join, 6);
    await conn.write(frame);
    const fast = await native(s, "fast", "general");
    const sender = await native(s, "talker", "general");
    expect(inGeneral(s, "sloth")).toBe(true);
    // Big messages, so the kernel's socket buffers fill within a few hundred.
    const text = "y".repeat(50_000);
    const latencies: number[] = [];
    let dropped = false;
    for (let i = 0; i < 400 && !dropped; i++) {
      const t0 = performance.now();
      sender.send({ type: "send", room: "general", text, clientId: `m${i}` });
      await fast.until(() => fast.of("message").length > i, 10_000).catch(
        (e) => {
          throw new Error(
            `message ${i}: got ${fast.of("message").length}, sender frames ${
              JSON.stringify(sender.frames.slice(-3))
            }`,
            { cause: e },
          );
        },
      );
      latencies.push(performance.now() - t0);
      const metrics = s.chat.metrics.slowDropped.value;
      dropped = metrics > 0;
    }
    await fast.until(
      () => s.chat.metrics.slowDropped.value === 1 || undefined,
      10_000,
    );
    expect(inGeneral(s, "sloth")).toBe(false);
    expect(fast.ws.readyState).toBe(WebSocket.OPEN);
    // Every message reached the reader that keeps up, none skipped.
    expect(fast.of("message").map((f) => f.id)).toEqual(
      latencies.map((_, i) => i + 1),
    );
    conn.close();
    await Promise.all([fast.close(), sender.close()]);
  });
});

Deno.test("chat - the original room endpoint keeps its exact format and crosses to native clients", async () => {
  await withServer({}, async (s) => {
    const native1 = await native(s, "ana", "general");
    const old = new Client(ws(s, `/ws/general/${encodeURIComponent("민수")}`), {
      json: false,
    });
    await old.opened;
    await old.until(() =>
      old.frames.includes(
        '{"sender":"시스템","message":"민수님이 입장했습니다.","room_id":"general"}',
      )
    );
    // Native clients see the connection as a person online in the room.
    await native1.next(
      "presence",
      (f) => (f.changes as Frame[]).some((c) => c.name === "민수"),
    );
    old.send("안녕하세요");
    // (After "ana joined": her join, still in its window, is written first.)
    expect(await native1.next("message", (f) => f.event === undefined))
      .toMatchObject({
        user: "민수",
        text: "안녕하세요",
        room: "general",
      });
    await old.until(() =>
      old.frames.includes(
        '{"sender":"민수","message":"안녕하세요","room_id":"general"}',
      )
    );
    native1.send({
      type: "send",
      room: "general",
      text: "hi 민수",
      clientId: "n1",
    });
    await old.until(() =>
      old.frames.includes(
        '{"sender":"ana","message":"hi 민수","room_id":"general"}',
      )
    );
    const other = new Client(ws(s, `/ws/general/jisu`), { json: false });
    await old.until(() =>
      old.frames.includes(
        '{"sender":"시스템","message":"jisu님이 입장했습니다.","room_id":"general"}',
      )
    );
    await other.close();
    await old.until(() =>
      old.frames.includes(
        '{"sender":"시스템","message":"jisu님이 퇴장했습니다.","room_id":"general"}',
      )
    );
    const missing = await fetch(`${s.url}/ws/nowhere/someone`, {
      headers: { upgrade: "websocket" },
    });
    expect(missing.status).toBe(403);
    await missing.body?.cancel();
    const dup = new Client(ws(s, `/ws/general/${encodeURIComponent("민수")}`), {
      json: false,
    });
    const closed = await dup.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/taken/);
    await Promise.all([native1.close(), old.close()]);
  });
});

Deno.test("chat - the original client endpoint broadcasts 'client_id: text' to its clients", async () => {
  await withServer({}, async (s) => {
    const one = new Client(ws(s, "/ws/alice"), { json: false });
    const two = new Client(ws(s, "/ws/bob"), { json: false });
    await Promise.all([one.opened, two.opened]);
    await new Promise((r) => setTimeout(r, 100));
    one.send("hello everyone");
    await two.until(() => two.frames.includes("alice: hello everyone"));
    await one.until(() => one.frames.includes("alice: hello everyone"));
    const history = await (await fetch(`${s.url}/api/rooms/general/messages`))
      .json();
    expect(
      history.messages.map((m: { user: string; text: string }) =>
        `${m.user}: ${m.text}`
      ),
    )
      .toEqual(["alice: hello everyone"]);
    await Promise.all([one.close(), two.close()]);
  });
});

Deno.test("chat - an original endpoint's message that is not stored is answered 'Not sent' in its own format, not only logged", async () => {
  await withServer({}, async (s) => {
    const room = new Client(ws(s, "/ws/general/mina"), { json: false });
    const client = new Client(ws(s, "/ws/jun"), { json: false });
    await Promise.all([room.opened, client.opened]);
    await room.until(() =>
      room.frames.some((f) => String(f).includes("mina님이 입장했습니다."))
    );
    await new Promise((r) => setTimeout(r, 100));
    // Sending breaks in a way nobody foresaw (not a ChatError).
    const send = s.chat.send;
    s.chat.send = () => Promise.reject(new TypeError("a bug"));
    client.send("lost too?");
    room.send("and this?");
    await client.until(() =>
      client.frames.includes(
        "시스템: Not sent: The message could not be stored; send it again",
      )
    );
    await room.until(() =>
      room.frames.includes(
        '{"sender":"시스템","message":"Not sent: The message could not be stored; send it again","room_id":"general"}',
      )
    );
    s.chat.send = send;
    // The store fails: refused as not stored, without the native protocol's
    // advice to resend a clientId (this wire format has none).
    const append = s.chat.store.append;
    s.chat.store.append = () => Promise.reject(new Error("disk on fire"));
    room.send("lost?");
    await room.until(() =>
      room.frames.filter((f) => String(f).includes("Not sent")).length === 2
    );
    expect(room.frames.filter((f) => String(f).includes("Not sent"))).toEqual(
      Array(2).fill(
        '{"sender":"시스템","message":"Not sent: The message could not be stored; send it again","room_id":"general"}',
      ),
    );
    s.chat.store.append = append;
    // Nothing was stored or echoed; the sockets still work.
    client.send("now it goes");
    await client.until(() => client.frames.includes("jun: now it goes"));
    expect(
      client.frames.concat(room.frames).filter((f) =>
        /lost|this\?/.test(String(f)) && !String(f).includes("Not sent")
      ),
    ).toEqual([]);
    await Promise.all([room.close(), client.close()]);
  });
});

Deno.test("chat - history pages return every message once and bad parameters get 400", async () => {
  await withServer(
    { RATE_PER_SECOND: "1000", RATE_BURST: "1000" },
    async (s) => {
      const a = await native(s, "ana", "general");
      for (let i = 1; i <= 120; i++) {
        a.send({
          type: "send",
          room: "general",
          text: `m${i}`,
          clientId: `c${i}`,
        });
      }
      await a.until(() => a.of("ack").length === 120, 20_000);
      const seen: number[] = [];
      let before: number | undefined;
      for (;;) {
        const res = await fetch(
          `${s.url}/api/rooms/general/messages?limit=50${
            before ? `&before=${before}` : ""
          }`,
        );
        const page = await res.json();
        seen.unshift(...page.messages.map((m: { id: number }) => m.id));
        if (!page.hasMore) break;
        before = page.messages[0].id;
      }
      // Id 1 is "ana joined", told before her first message.
      expect(seen).toEqual(Array.from({ length: 121 }, (_, i) => i + 1));
      for (
        const q of [
          "limit=0",
          "limit=201",
          "limit=abc",
          "before=-1",
          "before=1.5",
        ]
      ) {
        const res = await fetch(`${s.url}/api/rooms/general/messages?${q}`);
        expect(res.status).toBe(400);
        expect((await res.json()).error.status).toBe(400);
      }
      const unknown = await fetch(`${s.url}/api/rooms/nowhere/messages`);
      expect(unknown.status).toBe(404);
      await unknown.body?.cancel();
      await a.close();
    },
  );
});

Deno.test("chat - a client cut off for a while receives exactly the missed messages", async () => {
  await withServer({}, async (s) => {
    const a = await native(s, "ana", "general");
    const b = await native(s, "bo", "general");
    for (let i = 1; i <= 5; i++) {
      a.send({
        type: "send",
        room: "general",
        text: `m${i}`,
        clientId: `a${i}`,
      });
    }
    // The five, after "ana and bo joined" (told before ana's first).
    await b.until(() => b.of("message").length === 6);
    const seen = b.of("message").at(-1)!.id as number;
    const token = b.of("welcome")[0].token as string;
    await b.close();
    for (let i = 6; i <= 12; i++) {
      a.send({
        type: "send",
        room: "general",
        text: `m${i}`,
        clientId: `a${i}`,
      });
    }
    await a.until(() => a.of("ack").length === 12);
    const back = new Client(ws(s, `/ws?name=bo&token=${token}`));
    await back.next("welcome");
    back.send({ type: "join", room: "general", since: seen });
    await back.until(() => back.of("message").length >= 7);
    a.send({ type: "send", room: "general", text: "live", clientId: "a13" });
    await back.until(() => back.of("message").length >= 8);
    await new Promise((r) => setTimeout(r, 100));
    expect(back.of("message").map((f) => f.id)).toEqual(
      Array.from({ length: 8 }, (_, i) => seen + 1 + i),
    );
    await Promise.all([a.close(), back.close()]);
  });
});

Deno.test("chat - shutdown closes sockets with 1001", async () => {
  await withServer({}, async (server) => {
    const a = await native(server, "ana", "general");
    await server.shutdown();
    expect((await a.closed).code).toBe(1001);
  });
});

Deno.test("chat - a peer that stops answering pings is closed after IDLE_TIMEOUT_S", async () => {
  await withServer({ IDLE_TIMEOUT_S: "5" }, async (s) => {
    // Upgrades, reads the handshake, then goes silent: no pongs.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await conn.write(new TextEncoder().encode(
      `GET /ws?name=ghost HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nUpgrade: websocket\r\n` +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ));
    await conn.read(new Uint8Array(4096));
    // A live client on the same server answers pings (the runtime does) and stays.
    const alive = new Client(ws(s, "/ws?name=alive"));
    await alive.next("welcome");
    // Two connections: the silent peer and the live client.
    const connections = () => s.chat.metrics.connections.value;
    await alive.until(() => connections() === 2 || undefined);
    const started = Date.now();
    while (connections() === 2) {
      if (Date.now() - started > 15_000) {
        throw new Error("the silent peer was never closed");
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    expect(connections()).toBe(1);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    conn.close();
    await alive.close();
  });
});

Deno.test("chat - a welcome that fails (the store away) leaves nobody behind: the socket is closed 1011 and its person is not online", async () => {
  await withServer({}, async (s) => {
    const first = new Client(ws(s, "/ws?name=mina"));
    const token = (await first.next("welcome")).token as string;
    await first.close();
    await until(() => !inGeneral(s, "mina"));
    // Coming back, the read marks can't be read.
    const reads = s.chat.store.reads;
    const get = reads.get.bind(reads);
    reads.get = () =>
      Promise.reject(new StoreUnavailableError("PostgreSQL is unreachable"));
    try {
      const again = new Client(ws(s, `/ws?name=mina&token=${token}`));
      expect((await again.closed).code).toBe(1011);
    } finally {
      reads.get = get;
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(inGeneral(s, "mina")).toBe(false);
    expect(s.chat.metrics.connections.value).toBe(0);
  });
});

Deno.test("chat - a client endpoint's connection is a person in the first default room to the room endpoint: announced in and out, counted in users_count", async () => {
  await withServer({}, async (s) => {
    const room = new Client(ws(s, "/ws/general/mina"), { json: false });
    await room.until(() =>
      room.frames.some((f) => String(f).includes("mina님이 입장했습니다."))
    );
    const count = async () =>
      (await (await fetch(`${s.url}/api/rooms`)).json()).rooms.find((
        r: { id: string },
      ) => r.id === "general").users_count;
    expect(await count()).toBe(1);
    const client = new Client(ws(s, "/ws/jun"), { json: false });
    await room.until(() =>
      room.frames.includes(
        '{"sender":"시스템","message":"jun님이 입장했습니다.","room_id":"general"}',
      )
    );
    expect(await count()).toBe(2);
    await client.close();
    await room.until(() =>
      room.frames.includes(
        '{"sender":"시스템","message":"jun님이 퇴장했습니다.","room_id":"general"}',
      )
    );
    expect(await count()).toBe(1);
    await room.close();
  });
});
