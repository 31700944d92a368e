/**
 * Every abuse limit through the real path, each with its documented error:
 * Origin checks, messages per second, connections per address, rooms per
 * user; and the defaults leave a fast typist alone.
 */
import { expect } from "expect";
import { type Server, withServer, wsUrl } from "@/tests/helpers/server.ts";
import { Client, type Frame } from "@/tests/helpers/ws_client.ts";
import { rawUpgrade, readToEnd } from "@/tests/helpers/raw_ws.ts";

/** An admin account, as the server sees it. */
const ADMIN = { name: "admin", guest: false };

/** The status of a raw upgrade request with `headers`. */
async function upgradeStatus(
  s: Server,
  path: string,
  headers: Record<string, string>,
) {
  const res = await fetch(s.url + path, {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
      ...headers,
    },
  });
  const body = res.status === 101 ? null : await res.json();
  await res.body?.cancel().catch(() => {});
  return { status: res.status, body };
}

/**
 * The status of upgrading `path`, asked again until it is 101 or `ms` have
 * passed (a slot comes back a moment after its socket goes).
 */
async function upgradedWithin(s: Server, path: string, ms: number) {
  const deadline = Date.now() + ms;
  let answer = await upgradeStatus(s, path, {});
  while (answer.status !== 101 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    answer = await upgradeStatus(s, path, {});
  }
  return answer.status;
}

async function joined(s: Server, name: string): Promise<Client> {
  const c = new Client(wsUrl(s, `/ws?name=${name}`));
  await c.next("welcome");
  c.send({ type: "join", room: "general" });
  await c.next("joined");
  return c;
}

Deno.test("limits - a foreign Origin is refused with 403 before the upgrade", async () => {
  await withServer({ ALLOWED_ORIGINS: "https://chat.example" }, async (s) => {
    const foreign = await upgradeStatus(s, "/ws?name=eve", {
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.message).toContain("Origin not allowed");
    const original = await upgradeStatus(s, "/ws/general/eve", {
      origin: "https://evil.example",
    });
    expect(original.status).toBe(403);
    // With ALLOWED_ORIGINS set, an Origin equal to the Host is not trusted
    // (DNS rebinding); see tests/http_hardening_test.ts for PUBLIC_URL.
    const own = await upgradeStatus(s, "/ws?name=eve", { origin: s.url });
    expect(own.status).toBe(403);
    // An allowed origin and none at all (a non-browser client) pass.
    for (const origin of ["https://chat.example", undefined]) {
      const c = new Client(wsUrl(s, "/ws?name=ok"), {
        headers: origin ? { origin } : {},
      });
      await c.next("welcome");
      await c.close();
    }
  });
  // Unconfigured, the server's own origin (from the Host) passes.
  await withServer({}, async (s) => {
    const c = new Client(wsUrl(s, "/ws?name=ok"), {
      headers: { origin: s.url },
    });
    await c.next("welcome");
    await c.close();
  });
});

Deno.test("limits - over the message rate: rate_limited errors, nothing stored; sustained abuse closes 1008", async () => {
  await withServer({ RATE_PER_SECOND: "1", RATE_BURST: "3" }, async (s) => {
    const c = await joined(s, "spammer"); // Joins have their own budget; sends get 3.
    for (let i = 0; i < 5; i++) {
      c.send({
        type: "send",
        room: "general",
        text: `m${i}`,
        clientId: `c${i}`,
      });
    }
    await c.until(() =>
      c.of("ack").length + c.of("error").length === 5 || undefined
    );
    expect(c.of("ack").length).toBe(3);
    const limited = c.of("error");
    expect(limited.map((e) => e.code)).toEqual([
      "rate_limited",
      "rate_limited",
    ]);
    expect(limited.map((e) => (e.frame as { clientId: string }).clientId))
      .toEqual(["c3", "c4"]);
    const history = await (await fetch(`${s.url}/api/rooms/general/messages`))
      .json();
    // The three, after "spammer joined" (told before the first).
    expect(history.messages.map((m: { text: string }) => m.text)).toEqual([
      "spammer joined",
      "m0",
      "m1",
      "m2",
    ]);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    // Going on without waiting for tokens: closed as abuse after 50 in a row.
    // (One frame in flight at a time, so the close frame isn't lost to a reset.)
    let open = true;
    c.closed.then(() => open = false);
    for (let i = 0; open && i < 60; i++) {
      const errors = c.of("error").length;
      c.send({ type: "send", room: "general", text: "x", clientId: `z${i}` });
      await c.until(() => !open || c.of("error").length > errors || undefined);
    }
    const closed = await c.closed;
    expect(closed).toEqual({
      code: 1008,
      reason: "Rate limit exceeded repeatedly",
    });
  });
});

for (
  const [kind, frame] of [
    ["pings", JSON.stringify({ type: "ping" })],
    ["frames that are not JSON", "{"],
    ["frames the schema refuses", JSON.stringify({ type: "send", room: "x" })],
  ] as const
) {
  Deno.test(`limits - ${kind} spend the message budget too: a flood of them is answered rate_limited, then closed 1008`, async () => {
    await withServer({ RATE_PER_SECOND: "1", RATE_BURST: "1" }, async (s) => {
      const c = await joined(s, "flooder");
      let open = true;
      c.closed.then(() => open = false);
      // One frame in flight at a time, so the close frame isn't lost to a reset.
      for (let i = 0; open && i < 80; i++) {
        const before = c.frames.length;
        c.send(frame);
        await c.until(() => !open || c.frames.length > before || undefined);
      }
      expect(c.of("error").some((e) => e.code === "rate_limited")).toBe(true);
      expect(await c.closed).toEqual({
        code: 1008,
        reason: "Rate limit exceeded repeatedly",
      });
    });
  });
}

Deno.test("limits - the original room endpoint answers a message over the rate with its 'Not sent' notice; the others go out", async () => {
  await withServer({ RATE_PER_SECOND: "1", RATE_BURST: "2" }, async (s) => {
    const reader = new Client(wsUrl(s, "/ws/general/reader"));
    // The reader is in the room before the writer comes, so it sees the writer join.
    await reader.until(() => reader.frames.length >= 1 || undefined);
    const writer = new Client(wsUrl(s, "/ws/general/writer"));
    await writer.opened;
    await reader.until(() => reader.frames.length >= 2 || undefined); // join notices
    for (let i = 0; i < 4; i++) writer.send(`line ${i}`);
    const lines = (c: Client, sender: string) =>
      c.frames.filter((f): f is Frame =>
        typeof f === "object" && f.sender === sender
      ).map((f) => f.message);
    const refusal = {
      sender: "시스템",
      message: "Not sent: Too many messages; slow down",
      room_id: "general",
    };
    // The writer is told of each of the two refused, in its own format.
    await writer.until(() =>
      writer.frames.filter((f) => JSON.stringify(f) === JSON.stringify(refusal))
          .length === 2 || undefined
    );
    await reader.until(() => lines(reader, "writer").length >= 2 || undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(lines(reader, "writer")).toEqual(["line 0", "line 1"]);
    // Only the writer hears of its refusals.
    expect(lines(reader, "시스템").filter((m) => /Not sent/.test(String(m))))
      .toEqual([]);
    await Promise.all([reader.close(), writer.close()]);
  });
});

Deno.test("limits - the original client endpoint answers a message over the rate with its 'Not sent' notice", async () => {
  await withServer({ RATE_PER_SECOND: "1", RATE_BURST: "2" }, async (s) => {
    const writer = new Client(wsUrl(s, "/ws/scribe"), { json: false });
    await writer.opened;
    for (let i = 0; i < 3; i++) writer.send(`line ${i}`);
    await writer.until(() =>
      writer.frames.includes("시스템: Not sent: Too many messages; slow down")
    );
    await writer.until(() => writer.frames.includes("scribe: line 1"));
    await new Promise((r) => setTimeout(r, 300));
    expect(
      writer.frames.filter((f) => String(f).startsWith("시스템: Not sent")),
    ).toEqual(["시스템: Not sent: Too many messages; slow down"]);
    expect(writer.frames.filter((f) => String(f).startsWith("scribe:")))
      .toEqual(["scribe: line 0", "scribe: line 1"]);
    await writer.close();
  });
});

Deno.test("limits - connections per address: the one over MAX_CONNECTIONS_PER_IP gets 429", async () => {
  await withServer({ MAX_CONNECTIONS_PER_IP: "2" }, async (s) => {
    const a = new Client(wsUrl(s, "/ws?name=a"));
    const b = new Client(wsUrl(s, "/ws?name=b"));
    await Promise.all([a.next("welcome"), b.next("welcome")]);
    const third = await upgradeStatus(s, "/ws?name=c", {});
    expect(third.status).toBe(429);
    expect(third.body.error.message).toContain("Too many connections");
    await a.close();
    // The slot comes back when a socket closes.
    expect(await upgradedWithin(s, "/ws?name=c", 2000)).toBe(101);
    await b.close();
  });
});

Deno.test("limits - a connection the server closed counts against the address until it is gone", async () => {
  await withServer({
    MAX_CONNECTIONS_PER_IP: "2",
    WS_CLOSE_TIMEOUT_MS: "1500",
  }, async (s) => {
    // The original endpoint accepts the upgrade, then closes with 1008 a
    // name nobody may take; these clients never answer the close.
    const refused = await Promise.all(
      [1, 2].map((i) => rawUpgrade(s.port, `/ws/general/bad%20name${i}`)),
    );
    expect(refused.map((r) => r.status.split(" ")[1])).toEqual(["101", "101"]);
    await new Promise((r) => setTimeout(r, 300));
    // Both are still open, unanswered: the address has no slot left.
    const third = await upgradeStatus(s, "/ws?name=c", {});
    expect(third.status).toBe(429);
    // Reset after WS_CLOSE_TIMEOUT_MS: the slots come back.
    expect(await Promise.all(refused.map((r) => readToEnd(r.conn, 5_000))))
      .toEqual(["reset", "reset"]);
    expect(await upgradedWithin(s, "/ws?name=c", 2000)).toBe(101);
    for (const r of refused) {
      try {
        r.conn.close();
      } catch { /* reset already */ }
    }
  });
});

Deno.test("limits - rooms per user: over MAX_ROOMS_PER_USER gets room_limit", async () => {
  await withServer({ MAX_ROOMS_PER_USER: "1" }, async (s) => {
    const c = await joined(s, "maker");
    c.send({ type: "create", room: "first" });
    await c.next("room", (f) => (f.room as { id: string }).id === "first");
    c.send({ type: "create", room: "second" });
    const err = await c.next(
      "error",
      (f) => (f.frame as { type?: string })?.type === "create",
    );
    expect(err.code).toBe("room_limit");
    await c.close();
  });
});

Deno.test("limits - with the defaults a fast typist pasting lines is never limited", async () => {
  await withServer({}, async (s) => {
    const c = await joined(s, "typist");
    // A paste of 25 lines at once, then a message every 150 ms for 3 s.
    for (let i = 0; i < 25; i++) {
      c.send({
        type: "send",
        room: "general",
        text: `paste ${i}`,
        clientId: `p${i}`,
      });
    }
    for (let i = 0; i < 20; i++) {
      c.send({
        type: "send",
        room: "general",
        text: `typed ${i}`,
        clientId: `t${i}`,
      });
      await new Promise((r) => setTimeout(r, 150));
    }
    await c.until(() => c.of("ack").length === 45 || undefined, 10_000);
    expect(c.of("error")).toEqual([]);
    await c.close();
  });
});

Deno.test("limits - room quotas hold against a burst: creates sent all at once from many sockets", async () => {
  await withServer({
    MAX_ROOMS_PER_USER: "1",
    MAX_ROOMS: "8",
    MAX_CONNECTIONS_PER_IP: "100",
  }, async (s) => {
    const makers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const c = new Client(wsUrl(s, `/ws?name=burst${i}`));
        await c.next("welcome");
        return c;
      }),
    );
    // All at once: none waits for an answer before the next is sent.
    makers.forEach((c, i) => c.send({ type: "create", room: `burst-${i}` }));
    const answers = await Promise.all(
      makers.map((c, i) =>
        c.until(() =>
          c.of("room").find((f) =>
            (f.room as { id: string }).id === `burst-${i}`
          ) ??
            c.of("error").find((f) =>
              (f.frame as { type?: string })?.type === "create"
            )
        )
      ),
    );
    const created = answers.filter((a) => a.type === "room").length;
    // One address: 3 × MAX_ROOMS_PER_USER, whatever the names.
    expect(created).toBe(3);
    expect(answers.filter((a) => a.code === "room_limit").length).toBe(17);
    await Promise.all(makers.map((c) => c.close()));
  });
});

Deno.test("limits - room quotas hold per address across guest names (an account from there has its own), and in total", async () => {
  await withServer({ MAX_ROOMS_PER_USER: "1", MAX_ROOMS: "7" }, async (s) => {
    // An account's room from the same address counts for the account alone.
    const account = { name: "worker", guest: false };
    await s.chat.createRoom(account, "team", { address: "127.0.0.1" });
    // One address, many guest names: at most 3 × MAX_ROOMS_PER_USER rooms.
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await joined(s, `maker${i}`);
      c.send({ type: "create", room: `made-${i}` });
      const answer = await c.until(() =>
        c.of("room").find((f) =>
          (f.room as { id: string }).id === `made-${i}`
        ) ??
          c.of("error").find((f) =>
            (f.frame as { type?: string })?.type === "create"
          )
      );
      codes.push(answer.type === "room" ? "created" : answer.code as string);
      await c.close();
    }
    expect(codes).toEqual(["created", "created", "created", "room_limit"]);
    const guest = { name: "maker9", guest: true };
    const refused = await s.chat.createRoom(guest, "made-9", {
      address: "127.0.0.1",
    }).catch((e) => e);
    expect(refused.message).toBe(
      "Room limit reached: 3 rooms were created from your network address, the most for guests; log in to create more",
    );
    // The account's own quota holds, and says so.
    const own = await s.chat.createRoom(account, "team2", {
      address: "127.0.0.1",
    }).catch((e) => e);
    expect(own.message).toBe(
      "Room limit reached: you have created 1 room, the most allowed",
    );
    // The server-wide cap: general, random, three made rooms and team, one
    // more allowed.
    await s.chat.createRoom(ADMIN, "sixth");
    const err = await s.chat.createRoom(ADMIN, "seventh").catch((e) => e);
    expect(err.code).toBe("room_limit");
  });
});

Deno.test("limits - joining many rooms at once neither eats the message budget nor counts as abuse", async () => {
  await withServer({
    RATE_PER_SECOND: "1",
    RATE_BURST: "2",
    MAX_ROOMS: "100",
    MAX_ROOMS_PER_USER: "100",
  }, async (s) => {
    for (let i = 0; i < 60; i++) await s.chat.createRoom(ADMIN, `room-${i}`);
    const c = new Client(wsUrl(s, "/ws?name=reader"));
    await c.next("welcome");
    for (let i = 0; i < 60; i++) c.send({ type: "join", room: `room-${i}` });
    await c.until(() => c.of("joined").length === 60 || undefined);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.send({
      type: "send",
      room: "room-0",
      text: "still allowed",
      clientId: "s1",
    });
    await c.next("ack");
    await c.close();
  });
});

Deno.test("limits - asks for reactions and pins have a budget of their own, counted by the ids asked: a flood is answered rate_limited, then closed 1008; sends are untouched", async () => {
  await withServer({ RATE_PER_SECOND: "1", RATE_BURST: "10" }, async (s) => {
    const c = await joined(s, "asker");
    const ids = Array.from({ length: 500 }, (_, i) => i + 1);
    // Asks get RATE_BURST at once; 500 ids count five: two such frames
    // spend the budget.
    for (let i = 0; i < 3; i++) {
      c.send({ type: "reactions", room: "general", ids });
    }
    await c.until(() =>
      c.of("reactions").length + c.of("error").length === 3 || undefined
    );
    expect(c.of("reactions").length).toBe(2);
    expect(c.of("error").map((e) => e.code)).toEqual(["rate_limited"]);
    // The message budget is whole: two sends go through.
    for (const id of ["s1", "s2"]) {
      c.send({ type: "send", room: "general", text: id, clientId: id });
    }
    await c.until(() => c.of("ack").length === 2 || undefined);
    // Going on without waiting for the budget: closed as abuse after 50.
    let open = true;
    c.closed.then(() => open = false);
    for (let i = 0; open && i < 80; i++) {
      const before = c.frames.length;
      c.send({ type: "pins", room: "general" });
      await c.until(() => !open || c.frames.length > before || undefined);
    }
    expect(await c.closed).toEqual({
      code: 1008,
      reason: "Rate limit exceeded repeatedly",
    });
  });
});

Deno.test("limits - messages the original room endpoint took within the budget are stored even when the flood after them closes the connection", async () => {
  await withServer({ RATE_PER_SECOND: "1", RATE_BURST: "5" }, async (s) => {
    const writer = new Client(wsUrl(s, "/ws/general/flooder"));
    await writer.opened;
    await writer.until(() => writer.frames.length >= 1 || undefined);
    // All at once: 5 within the budget, then enough refusals to be closed.
    for (let i = 0; i < 70; i++) writer.send(`line ${i}`);
    expect(await writer.closed).toEqual({
      code: 1008,
      reason: "Rate limit exceeded repeatedly",
    });
    const stored = async () => {
      const res = await fetch(`${s.url}/api/rooms/general/messages`);
      return ((await res.json()).messages as { user: string; text: string }[])
        .filter((m) => m.user === "flooder").map((m) => m.text);
    };
    let texts: string[] = [];
    for (let i = 0; i < 50 && texts.length < 5; i++) {
      texts = await stored();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(texts).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
  });
});
