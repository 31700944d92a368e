import { expect } from "expect";
import process from "node:process";
import { upgradeWebSocket } from "@/lib/fresh/upgrade.ts";
import {
  type Handler,
  type ListenerOptions,
  listenNode,
} from "./node_listener.ts";
import { frameHeader, rawUpgrade, readToEnd } from "@/tests/helpers/raw_ws.ts";
import type { Logger } from "@/lib/server/log.ts";

const encoder = new TextEncoder();

async function withListener(
  handler: Handler,
  options: Partial<ListenerOptions>,
  fn: (port: number) => Promise<void>,
) {
  const listener = await listenNode(handler, {
    hostname: "127.0.0.1",
    port: 0,
    headerTimeoutMs: 10_000,
    maxFrameBytes: 1024,
    closeTimeoutMs: 500,
    ...options,
  });
  try {
    await fn(listener.port);
  } finally {
    await listener.shutdown(0);
  }
}

const ok: Handler = () => new Response("ok");

Deno.test("listener - a connection that doesn't finish its headers in time is closed; others are served", async () => {
  await withListener(ok, { headerTimeoutMs: 300 }, async (port) => {
    const silent = await Deno.connect({ hostname: "127.0.0.1", port });
    const partial = await Deno.connect({ hostname: "127.0.0.1", port });
    await partial.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n"));
    expect(await readToEnd(silent, 5000)).not.toBe("timeout");
    expect(await readToEnd(partial, 5000)).not.toBe("timeout");
    silent.close();
    partial.close();
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe("ok");
  });
});

Deno.test("listener - past maxSockets the oldest connection waiting for headers is shed, not the newcomer", async () => {
  await withListener(ok, { maxSockets: 3 }, async (port) => {
    const idle: Deno.Conn[] = [];
    for (let i = 0; i < 3; i++) {
      idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    }
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe("ok");
    expect(await readToEnd(idle[0], 5000)).not.toBe("timeout");
    for (const c of idle) c.close();
  });
});

Deno.test("listener - method, body, status, headers and several cookies pass both ways", async () => {
  const echo: Handler = async (req, info) => {
    const headers = new Headers({ "x-method": req.method });
    headers.append("set-cookie", "a=1; Path=/");
    headers.append("set-cookie", "b=2; Path=/");
    headers.set("x-remote", info.remoteAddr.hostname);
    headers.set("x-url", req.url);
    return new Response(await req.text() + "!", { status: 201, headers });
  };
  await withListener(echo, {}, async (port) => {
    const res = await fetch(`http://127.0.0.1:${port}/p?q=1`, {
      method: "POST",
      body: "hello",
    });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("hello!");
    expect(res.headers.get("x-method")).toBe("POST");
    expect(res.headers.get("x-remote")).toBe("127.0.0.1");
    expect(res.headers.get("x-url")).toBe(`http://127.0.0.1:${port}/p?q=1`);
    expect(res.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
  });
});

Deno.test("listener - an upgrade the app refuses gets its response; one it accepts is a WebSocket that echoes", async () => {
  const handler: Handler = (req) => {
    if (new URL(req.url).pathname === "/no") {
      return Response.json({ error: "No" }, { status: 429 });
    }
    const { socket, response } = upgradeWebSocket(req, { idleTimeout: 30 });
    socket.onmessage = (e) => socket.send(`echo ${e.data}`);
    return response;
  };
  await withListener(handler, {}, async (port) => {
    const refused = await fetch(`http://127.0.0.1:${port}/no`, {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
      },
    });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: "No" });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/yes`);
    const reply = new Promise<string>((r) => ws.onmessage = (e) => r(e.data));
    await new Promise((r) => ws.onopen = r);
    ws.send("hi");
    expect(await reply).toBe("echo hi");
    const closed = new Promise((r) => ws.onclose = r);
    ws.close();
    await closed;
  });
});

Deno.test("listener - a frame announced over maxFrameBytes is refused from its header with 1009", async () => {
  const closes: number[] = [];
  const handler: Handler = (req) => {
    const { socket, response } = upgradeWebSocket(req);
    socket.onclose = (e) => closes.push(e.code);
    return response;
  };
  await withListener(handler, { maxFrameBytes: 1024 }, async (port) => {
    const { conn, status } = await rawUpgrade(port, "/");
    expect(status).toBe("HTTP/1.1 101 Switching Protocols");
    // Only the header of a 1 GiB frame: refused before any payload arrives.
    await conn.write(frameHeader(2 ** 30));
    const got = new Uint8Array(64);
    const n = await conn.read(got);
    // A close frame with code 1009.
    expect([got[0], (got[2] << 8) | got[3]]).toEqual([0x88, 1009]);
    expect(n).toBeGreaterThanOrEqual(4);
    expect(await readToEnd(conn, 5000)).not.toBe("timeout");
    conn.close();
    // The app hears of the end once (1006: the peer never answered).
    const deadline = Date.now() + 5000;
    while (closes.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(closes.length).toBe(1);
  });
});

/** Everything the server sends on `conn` until it closes it. */
async function wholeResponse(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  return new TextDecoder().decode(
    new Uint8Array(chunks.flatMap((c) => [...c])),
  );
}

Deno.test("listener - a request the parser refuses gets 400 and is closed", async () => {
  await withListener(ok, {}, async (port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(encoder.encode("NOT HTTP AT ALL\r\n\r\n"));
    const answer = await wholeResponse(conn);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.split("\r\n\r\n")[1])).toEqual({
      error: { status: 400, message: "Malformed HTTP request" },
    });
    conn.close();
  });
});

Deno.test("listener - a bad Host or a target that isn't a path gets 400 and the server lives on", async () => {
  const urls: string[] = [];
  const handler: Handler = (req) => {
    urls.push(req.url);
    return new Response("ok");
  };
  await withListener(handler, {}, async (port) => {
    for (
      const head of [
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: evil.example/@x\r\n\r\n",
        "GET http://evil.example/ HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nhost: evil.example\r\n\r\n",
      ]
    ) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(encoder.encode(head));
      const answer = await wholeResponse(conn);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(answer.split("\r\n\r\n")[1]).error.status).toBe(400);
      conn.close();
    }
    // A path starting with "//" stays a path on this host.
    const res = await fetch(`http://127.0.0.1:${port}//evil.example/x`);
    expect(await res.text()).toBe("ok");
    expect(urls).toEqual([`http://127.0.0.1:${port}//evil.example/x`]);
  });
});

Deno.test("listener - CONNECT, TRACE and TRACK get a JSON 405 with Allow, nothing is logged as an error, and the server lives on", async () => {
  const lines: string[] = [];
  const line = (level: string) => (message: string) =>
    lines.push(`${level} ${message}`);
  const log = {
    error: line("error"),
    warn: line("warn"),
    info: line("info"),
    debug: () => {},
  } as unknown as Logger;
  const seen: string[] = [];
  const handler: Handler = (req) => {
    seen.push(req.method);
    return new Response("ok");
  };
  await withListener(handler, { log }, async (port) => {
    for (
      const [method, head] of [
        ["TRACE", "TRACE / HTTP/1.1\r\nHost: x\r\n\r\n"],
        [
          "TRACE",
          "TRACE /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        ],
        ["TRACK", "TRACK / HTTP/1.1\r\nHost: x\r\n\r\n"],
        ["CONNECT", "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n"],
        [
          "TRACE",
          "TRACE /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        ],
      ]
    ) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(encoder.encode(head));
      const answer = await wholeResponse(conn);
      conn.close();
      expect(answer).toMatch(/^HTTP\/1\.1 405 /);
      expect(answer).toMatch(
        /\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n/i,
      );
      expect(answer).toMatch(/\r\ncontent-type: application\/json\r\n/i);
      expect(JSON.parse(answer.split("\r\n\r\n")[1])).toEqual({
        error: { status: 405, message: `Method not allowed: ${method}` },
      });
    }
    expect(seen).toEqual([]);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("ok");
  });
  expect(lines.filter((l) => l.startsWith("error"))).toEqual([]);
});

Deno.test("listener - an idle keep-alive connection is kept for headerTimeoutMs, not Node's 5 s, is told so, and is closed after it", async () => {
  await withListener(ok, { headerTimeoutMs: 7000 }, async (port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    const head = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).toMatch(/\r\nkeep-alive: timeout=7\r\n/i);
    const idleSince = Date.now();
    const closed = conn.read(buf).then(
      () => Date.now() - idleSince,
      () => Date.now() - idleSince,
    );
    const early = await Promise.race([
      closed,
      new Promise<"open">((r) => setTimeout(() => r("open"), 6500)),
    ]);
    expect(early).toBe("open");
    // Closed by the header timer, well before Node's own would act.
    expect(await closed).toBeLessThan(7900);
    conn.close();
  });
});

Deno.test("listener - a long streamed response waits for the client without piling up listeners", async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on("warning", onWarning);
  const piece = new Uint8Array(64 * 1024);
  const long: Handler = () =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (let i = 0; i < 256; i++) controller.enqueue(piece);
          controller.close();
        },
      }),
    );
  try {
    await withListener(long, {}, async (port) => {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      let n = 0;
      for await (const part of res.body!) {
        n += part.length;
        // A client slower than the server: the server waits for drain.
        if (n % (1024 * 1024) < part.length) {
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      expect(n).toBe(256 * piece.length);
    });
    expect(warnings).toEqual([]);
  } finally {
    process.off("warning", onWarning);
  }
});

Deno.test("listener - a connection the server was too busy to read in time is served, not shed as slow", async () => {
  let blocked = false;
  const busyOnce: Handler = () => {
    if (!blocked) {
      blocked = true;
      // The event loop is stuck well past the header timeout.
      const until = performance.now() + 1500;
      while (performance.now() < until) { /* busy */ }
    }
    return new Response("ok");
  };
  await withListener(busyOnce, { headerTimeoutMs: 300 }, async (port) => {
    const waiter = await Deno.connect({ hostname: "127.0.0.1", port });
    await new Promise((r) => setTimeout(r, 100)); // accepted, its timer set
    const blocker = fetch(`http://127.0.0.1:${port}/`);
    await new Promise((r) => setTimeout(r, 100));
    // Sent in time; only the server is late reading it.
    await waiter.write(
      encoder.encode("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    expect(await (await blocker).text()).toBe("ok");
    const buf = new Uint8Array(4096);
    const n = await waiter.read(buf);
    expect(new TextDecoder().decode(buf.subarray(0, n ?? 0))).toMatch(
      /^HTTP\/1\.1 200/,
    );
    waiter.close();
  });
});

Deno.test("listener - a burst of connections while the server is busy waits in its accept queue, none dropped for a SYN retry a second later", async () => {
  const listener = await listenNode(ok, {
    hostname: "127.0.0.1",
    port: 0,
    headerTimeoutMs: 10_000,
    maxFrameBytes: 1024,
    closeTimeoutMs: 500,
  });
  // As deep as the descriptors allow (4096 with plenty): where they allow
  // it, a burst of 1,000, twice what Node's usual 511 would queue.
  const maxFiles = Number(
    new TextDecoder().decode(
      (await new Deno.Command("bash", { args: ["-c", "ulimit -n"] }).output())
        .stdout,
    ).trim(),
  );
  const burst = maxFiles >= 16_384 ? 1000 : listener.stats().backlog - 10;
  // The connections come from another process while this one is stuck.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const n = ${burst}, port = ${listener.port};
      console.log("ready");
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      const conns = await Promise.all(Array.from({ length: n }, async () => {
        const c = await Deno.connect({ hostname: "127.0.0.1", port });
        return { c, ms: performance.now() - t0 };
      }));
      console.log(JSON.stringify(conns.map((x) => x.ms)));
      for (const { c } of conns) c.close();`,
    ],
    stdout: "piped",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    while (!out.includes("ready")) out += (await reader.read()).value ?? "";
    // Busy for 1.5 s, as in a storm: only the kernel's queue takes them.
    const until = performance.now() + 1500;
    while (performance.now() < until) { /* busy */ }
    while (!out.trim().endsWith("]")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const times: number[] = JSON.parse(out.slice(out.indexOf("[")));
    expect(times.length).toBe(burst);
    // Each connected while the server was stuck; a dropped SYN comes back
    // only after a second (and again after three).
    expect(times.filter((ms) => ms > 900).length).toBe(0);
  } finally {
    await child.status;
    await listener.shutdown(0);
  }
});

/**
 * A listener in a process of its own under `ulimit -n 128`, driven by lines
 * on its stdin: `fill` takes every free descriptor (as files opened
 * elsewhere in the app would), `free` gives them back, `stats` prints the
 * listener's counts. Each answer is one JSON line.
 */
const HOG = `
// As the app does at start: the runtime sets up signal handling lazily
// otherwise, and that fails without a descriptor to spare.
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
const { listenNode } = await import(${
  JSON.stringify(new URL("./node_listener.ts", import.meta.url).href)
});
const listener = await listenNode(() => new Response("ok"), {
  hostname: "127.0.0.1", port: 0, headerTimeoutMs: 10_000,
  maxFrameBytes: 1024, closeTimeoutMs: 500, watchdogMs: 200,
});
const say = (o) => console.log(JSON.stringify(o));
say({ port: listener.port });
const held = [];
for await (const line of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  for (const command of line.trim().split("\\n")) {
    if (command === "fill") {
      try {
        for (;;) held.push(Deno.openSync("/dev/null"));
      } catch {
        say({ held: held.length });
      }
    } else if (command === "free") {
      for (const file of held.splice(0)) file.close();
      say({ freed: true });
    } else if (command === "stats") say(listener.stats());
  }
}`;

/** A plain GET on a new connection: its status line, or why there is none. */
async function statusLine(port: number, ms: number): Promise<string> {
  let conn: Deno.Conn | undefined;
  const timer = setTimeout(() => conn?.close(), ms);
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(
      encoder.encode("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    const buf = new Uint8Array(1024);
    const n = await conn.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\r\n")[0];
  } catch (error) {
    return String(error);
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch { /* closed by the timer */ }
  }
}

Deno.test("listener - when accepting stalls for want of descriptors, the port is listened on again and new connections are served", async () => {
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -n 128 && exec "$0" eval --config "$1" "$2"`,
      Deno.execPath(),
      new URL("../../../deno.json", import.meta.url).pathname,
      HOG,
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const input = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  const ask = async (command: string) => {
    await input.write(encoder.encode(command + "\n"));
    return await answer();
  };
  const answer = async (): Promise<Record<string, number>> => {
    const deadline = setTimeout(() => lines.cancel(), 10_000);
    try {
      while (!pending.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) throw new Error("the listener's process ended");
        pending += value;
      }
    } finally {
      clearTimeout(deadline);
    }
    const end = pending.indexOf("\n");
    const line = pending.slice(0, end);
    pending = pending.slice(end + 1);
    return JSON.parse(line);
  };
  try {
    const { port } = await answer();
    expect(await statusLine(port, 2000)).toBe("HTTP/1.1 200 OK");
    expect((await ask("fill")).held).toBeGreaterThan(50);
    // Queued by the kernel; the listener's accept fails for want of a
    // descriptor, and the runtime's accept loop doesn't try again.
    const queued = statusLine(port, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    await ask("free");
    const freedAt = performance.now();
    let served = "";
    while (performance.now() - freedAt < 8000) {
      served = await statusLine(port, 1000);
      if (served === "HTTP/1.1 200 OK") break;
    }
    expect(served).toBe("HTTP/1.1 200 OK");
    // The probe notices within its period and a second.
    expect(performance.now() - freedAt).toBeLessThan(5000);
    expect((await ask("stats")).relistens).toBeGreaterThanOrEqual(1);
    // The one queued on the stalled socket went with it (its client
    // reconnects, as a browser's socket does).
    await queued;
  } finally {
    child.kill();
    await child.status;
    await lines.cancel().catch(() => {});
    await input.close().catch(() => {});
  }
});
