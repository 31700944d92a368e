/**
 * Transport hardening through real sockets and real processes: running out
 * of descriptors, connections that never finish their headers, oversized
 * WebSocket frames, and slow readers that never answer a close.
 */
import { expect } from "expect";
import { freePort, spawnServer } from "@/tests/helpers/process.ts";
import { withServer, wsUrl } from "@/tests/helpers/server.ts";
import { Client } from "@/tests/helpers/ws_client.ts";
import { until } from "@/tests/helpers/until.ts";
import {
  rawUpgrade,
  readToEnd,
  textFrame,
  writeHugeFrame,
} from "@/tests/helpers/raw_ws.ts";
import { openFilesLimit } from "@/lib/server/http/open_files.ts";

const encoder = new TextEncoder();

/**
 * A TCP connection to `port`, tried again when the connect itself fails: a
 * machine busy with other work can leave a flood's SYNs unanswered for
 * long. The server's own failure to accept shows in what follows.
 */
async function connectPatiently(port: number): Promise<Deno.Conn> {
  for (let attempt = 1;; attempt++) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** A guest that joined `general` and got its welcome. */
async function guest(url: string, name: string): Promise<Client> {
  const c = new Client(wsUrl({ url }, `/ws?name=${name}`));
  await c.next("welcome");
  c.send({ type: "join", room: "general" });
  await c.next("joined");
  return c;
}

/** Peak resident memory of a process, from /proc, in bytes. */
function peakRss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb) * 1024;
}

Deno.test({
  name:
    "transport - 600 silent and trickling connections under `ulimit -n 256` neither kill the server nor lock out a real client",
  sanitizeResources: false,
  async fn() {
    const port = freePort();
    const server = await spawnServer(port, { HEADER_TIMEOUT_MS: "1500" }, {
      ulimit: "-n 256",
    });
    const idle: Deno.Conn[] = [];
    const trickling: Deno.Conn[] = [];
    let dripping = true;
    try {
      for (let i = 0; i < 600; i++) {
        idle.push(await connectPatiently(port));
      }
      // Headers one byte at a time, never finished.
      for (let i = 0; i < 20; i++) {
        const c = await connectPatiently(port);
        await c.write(encoder.encode("GET / HTTP/1.1\r\n"));
        trickling.push(c);
      }
      const drip = (async () => {
        while (dripping) {
          for (const c of trickling) {
            await c.write(encoder.encode("X")).catch(() => {});
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      // With every descriptor taken, a real request still gets through.
      const res = await fetch(`${server.url}/api/rooms`);
      expect(res.status).toBe(200);
      await res.body?.cancel();
      // Every silent and trickling connection is closed, none left hanging.
      const ends = await Promise.all(
        [...idle, ...trickling].map((c) => readToEnd(c, 15_000)),
      );
      dripping = false;
      await drip;
      expect(ends.filter((e) => e === "timeout")).toEqual([]);
      // The process lived through it and serves sockets again.
      const c = await guest(server.url, "after");
      c.send({
        type: "send",
        room: "general",
        text: "still here",
        clientId: "a1",
      });
      await c.next("ack");
      await c.close();
    } finally {
      dripping = false;
      for (const c of [...idle, ...trickling]) {
        try {
          c.close();
        } catch { /* closed by the server */ }
      }
      const status = await server.stop();
      // SIGTERM ends a live server cleanly; a crash would show another code.
      expect(server.stderr()).not.toContain("Too many open files");
      expect(status.code).toBe(0);
    }
  },
});

Deno.test({
  name:
    "transport - with LISTENER=deno (as on real Fresh) running out of descriptors doesn't kill the server; it serves again",
  sanitizeResources: false,
  async fn() {
    const port = freePort();
    const server = await spawnServer(port, { LISTENER: "deno" }, {
      ulimit: "-n 256",
    });
    const idle: Deno.Conn[] = [];
    try {
      for (let i = 0; i < 600; i++) {
        // Refused while the port is being served again: that's the point.
        await Deno.connect({ hostname: "127.0.0.1", port }).then(
          (c) => idle.push(c),
          () => {},
        );
      }
      for (const c of idle.splice(0)) c.close();
      let status = 0;
      const deadline = Date.now() + 15_000;
      while (status !== 200 && Date.now() < deadline) {
        status = await fetch(`${server.url}/api/rooms`, {
          signal: AbortSignal.timeout(2000),
        }).then(async (r) => (await r.body?.cancel(), r.status), () => 0);
      }
      expect(status).toBe(200);
    } finally {
      for (const c of idle) c.close();
      const status = await server.stop();
      expect(status.code).toBe(0);
    }
  },
});

Deno.test("transport - the start raises the soft open-files limit to the hard one and logs it", async () => {
  const hard = openFilesLimit()!.hard;
  const server = await spawnServer(freePort(), { LOG_LEVEL: "info" }, {
    ulimit: "-S -n 256",
  });
  try {
    await until(() => server.stdout().includes("Open files limit"), {
      ms: 10_000,
      what: "the limit in the log",
    });
    expect(server.stdout()).toContain(
      `Open files limit: ${hard} (hard ${hard})`,
    );
  } finally {
    await server.stop();
  }
});

Deno.test({
  name:
    "transport - 16 frames of 63 MB from one address are refused from their header; memory stays bounded and a neighbour keeps chatting",
  sanitizeResources: false,
  async fn() {
    const port = freePort();
    const server = await spawnServer(port, {});
    try {
      const neighbour = await guest(server.url, "neighbour");
      const acks: number[] = [];
      let sending = true;
      const chat = (async () => {
        for (let i = 0; sending; i++) {
          const t = performance.now();
          neighbour.send({
            type: "send",
            room: "general",
            text: `hello ${i}`,
            clientId: `n${i}`,
          });
          await neighbour.until(
            () => neighbour.of("ack").find((f) => f.clientId === `n${i}`),
            30_000,
          );
          acks.push(performance.now() - t);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const attackers = await Promise.all(
        Array.from(
          { length: 16 },
          (_, i) => rawUpgrade(port, `/ws?name=big${i}`),
        ),
      );
      expect(attackers.map((a) => a.status)).toEqual(
        attackers.map(() => "HTTP/1.1 101 Switching Protocols"),
      );
      const sent = await Promise.all(
        attackers.map((a) => writeHugeFrame(a.conn, 63 * 2 ** 20)),
      );
      for (const a of attackers) {
        try {
          a.conn.close();
        } catch { /* closed by the server */ }
      }
      sending = false;
      await chat;
      const peak = peakRss(server.child.pid);
      acks.sort((a, b) => a - b);
      const p99 = acks[Math.floor(acks.length * 0.99)];
      console.log(
        `peak RSS ${
          (peak / 2 ** 20).toFixed(0)
        } MiB; neighbour: ${acks.length} acks, p99 ${
          p99.toFixed(0)
        } ms; attackers wrote ${
          (sent.reduce((a, b) => a + b, 0) / 2 ** 20).toFixed(0)
        } MiB before the cut`,
      );
      expect(peak).toBeLessThan(300 * 2 ** 20);
      // Every attacker was cut off long before its frame was through.
      expect(sent.every((n) => n < 63 * 2 ** 20)).toBe(true);
      await neighbour.close();
    } finally {
      await server.stop();
    }
  },
});

Deno.test("transport - a dropped slow reader is reset within seconds and its slot is free at once", async () => {
  await withServer({
    MAX_CONNECTIONS_PER_IP: "4",
    SLOW_CLIENT_BYTES: "65536",
    SLOW_CLIENT_GRACE_MS: "300",
    WS_CLOSE_TIMEOUT_MS: "1000",
    RATE_PER_SECOND: "10000",
    RATE_BURST: "100000",
    MAX_TEXT_BYTES: "60000",
  }, async (s) => {
    const slow = await Promise.all(
      [0, 1].map((i) => rawUpgrade(s.port, `/ws?name=slow${i}`)),
    );
    for (const { conn } of slow) {
      await conn.write(
        textFrame(JSON.stringify({ type: "join", room: "general" })),
      );
    }
    await until(() => s.chat.metrics.connections.value === 2, {
      ms: 5000,
      what: "the slow connections",
    });
    const sender = await guest(s.url, "sender");
    await until(
      () => s.chat.online("general").length === 3,
      { ms: 5000, what: "every join" },
    );
    const text = "x".repeat(50_000);
    for (let i = 0; s.chat.metrics.slowDropped.value < 2; i++) {
      sender.send({ type: "send", room: "general", text, clientId: `s${i}` });
      await sender.until(
        () => sender.of("ack").find((f) => f.clientId === `s${i}`),
        10_000,
      );
      if (i > 2000) throw new Error("the slow readers were never dropped");
    }
    // Their connections are reset, not left open with data queued...
    const ends = await Promise.all(
      slow.map(({ conn }) => readToEnd(conn, 10_000)),
    );
    expect(ends).toEqual(["reset", "reset"]);
    // ...and their slots came back: four new connections fit again.
    await sender.close();
    const fresh = await Promise.all(
      [0, 1, 2, 3].map((i) => guest(s.url, `fresh${i}`)),
    );
    for (const c of fresh) await c.close();
  });
});

Deno.test("transport - an original-protocol client that sends and never reads is dropped as slow, its notices not buffered without end", async () => {
  await withServer({
    SLOW_CLIENT_BYTES: "1024",
    SLOW_CLIENT_GRACE_MS: "0",
    RATE_PER_SECOND: "10000",
    RATE_BURST: "100000",
  }, async (s) => {
    const { conn } = await rawUpgrade(s.port, "/ws/general/sender");
    await until(() => s.chat.online("general").length === 1, {
      what: "the join",
    });
    // Blank messages, each refused with a notice (about 90 bytes) that
    // this client never reads.
    const blank = textFrame(" ");
    const batch = new Uint8Array(blank.length * 1000);
    for (let i = 0; i < 1000; i++) batch.set(blank, i * blank.length);
    for (let i = 0; i < 150 && s.chat.metrics.slowDropped.value === 0; i++) {
      try {
        for (let off = 0; off < batch.length;) {
          off += await conn.write(batch.subarray(off));
        }
      } catch {
        break; // reset: dropped
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => s.chat.metrics.slowDropped.value === 1, {
      what: "the client dropped as slow",
    });
    try {
      conn.close();
    } catch { /* reset already */ }
  });
});

/**
 * Sends `head` and the first bytes of a body on a new connection to `port`,
 * then nothing more; resolves to what the server answered (up to its end
 * of the connection) and how the connection ended, once it did or `ms`
 * passed.
 */
async function trickle(
  port: number,
  head: string,
  start: string,
  ms: number,
): Promise<
  { answer: string; ended: "eof" | "reset" | "timeout"; after: number }
> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const t0 = Date.now();
  await conn.write(encoder.encode(head + start));
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(1 << 14);
  let ended: "eof" | "reset" | "timeout" = "timeout";
  const deadline = Date.now() + ms;
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const read = conn.read(buf);
      read.catch(() => {});
      const n = await Promise.race([
        read,
        new Promise<"timeout">((r) =>
          timer = setTimeout(() => r("timeout"), left)
        ),
      ]);
      clearTimeout(timer);
      if (n === "timeout") break;
      if (n === null) {
        ended = "eof";
        break;
      }
      chunks.push(buf.slice(0, n));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
    ended = "reset";
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
  const answer = new TextDecoder().decode(
    chunks.reduce((all, c) => {
      const out = new Uint8Array(all.length + c.length);
      out.set(all);
      out.set(c, all.length);
      return out;
    }, new Uint8Array(0)),
  );
  return { answer, ended, after: Date.now() - t0 };
}

Deno.test({
  name:
    "transport - a JSON call or form post whose body trickles is answered 408 within 10 s and its connection closed; a client hanging up mid-body logs no error",
  sanitizeResources: false,
  async fn() {
    const port = freePort();
    const server = await spawnServer(port, { LOG_LEVEL: "warning" });
    try {
      const json = await trickle(
        port,
        "POST /api/rooms/general/uploads HTTP/1.1\r\nhost: 127.0.0.1\r\n" +
          "content-type: application/json\r\ncontent-length: 1000\r\n\r\n",
        '{"name":',
        20_000,
      );
      expect(json.answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(json.answer).toMatch(/connection: close/i);
      expect(json.answer).toContain(
        `{"error":{"status":408,"message":"The request's body did not arrive within 10 s"}}`,
      );
      expect(json.ended).not.toBe("timeout");
      expect(json.after).toBeGreaterThanOrEqual(9_500);
      expect(json.after).toBeLessThan(15_000);
      const form = await trickle(
        port,
        "POST /login HTTP/1.1\r\nhost: 127.0.0.1\r\n" +
          "content-type: application/x-www-form-urlencoded\r\n" +
          "content-length: 1000\r\n\r\n",
        "username=a",
        20_000,
      );
      expect(form.answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(form.ended).not.toBe("timeout");
      // Hanging up halfway through a body is no server error.
      for (const path of ["/api/rooms/general/uploads", "/login"]) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        const type = path === "/login"
          ? "application/x-www-form-urlencoded"
          : "application/json";
        await conn.write(encoder.encode(
          `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: ${type}\r\n` +
            "content-length: 1000\r\n\r\nabc",
        ));
        await new Promise((r) => setTimeout(r, 300));
        conn.close();
      }
      await new Promise((r) => setTimeout(r, 1000));
      const logged = server.stdout() + server.stderr();
      expect(logged).not.toMatch(/ERROR|failed: .*aborted/i);
      // The server still serves.
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(200);
      await res.body?.cancel();
    } finally {
      await server.stop();
    }
  },
});
