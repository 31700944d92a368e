import { expect } from "expect";
import net from "node:net";
import type { Buffer } from "node:buffer";
import { upgradeWebSocket } from "@/lib/fresh/upgrade.ts";
import { speaksFirst, textFrame } from "./node_websocket.ts";
import { listenNode } from "./node_listener.ts";
import { rawUpgrade, readToEnd } from "@/tests/helpers/raw_ws.ts";

/**
 * Records every write the process's sockets make, as the chunks of each
 * call: "101" for a handshake's response, a short text frame's payload, or
 * anything else as it is. `restore` puts the socket's methods back.
 */
function recordWrites(): { calls: string[][]; restore: () => void } {
  const proto = net.Socket.prototype as unknown as {
    _write: (c: Buffer | string, e: string, cb: () => void) => void;
    _writev: (c: { chunk: Buffer | string }[], cb: () => void) => void;
  };
  const write = proto._write, writev = proto._writev;
  const calls: string[][] = [];
  const show = (c: Buffer | string) =>
    String(c).startsWith("HTTP/1.1 101")
      ? "101"
      : typeof c === "string"
      ? c
      : String(c.subarray(c[0] === 0x81 ? 2 : 0));
  proto._write = function (c, e, cb) {
    calls.push([show(c)]);
    return write.call(this, c, e, cb);
  };
  proto._writev = function (c, cb) {
    calls.push(c.map((x) => show(x.chunk)));
    return writev.call(this, c, cb);
  };
  return {
    calls,
    restore: () => {
      proto._write = write;
      proto._writev = writev;
    },
  };
}

Deno.test("node websocket - a text is framed once, with 7-, 16- and 64-bit lengths", () => {
  const short = textFrame("héllo");
  expect([...short.subarray(0, 2)]).toEqual([0x81, 6]);
  expect(new TextDecoder().decode(short.subarray(2))).toBe("héllo");
  // The same text again is the same bytes, not a copy: fan-out frames once.
  expect(textFrame("héllo")).toBe(short);
  const medium = textFrame("x".repeat(300));
  expect([...medium.subarray(0, 4)]).toEqual([0x81, 126, 1, 44]);
  expect(medium.length).toBe(304);
  const long = textFrame("y".repeat(70_000));
  expect([long[0], long[1]]).toEqual([0x81, 127]);
  expect(long.readBigUInt64BE(2)).toBe(70_000n);
  expect(long.length).toBe(70_010);
});

/** The listener the socket tests share: loopback, a short close timeout. */
const LISTEN = {
  hostname: "127.0.0.1",
  port: 0,
  headerTimeoutMs: 10_000,
  maxFrameBytes: 1024,
  closeTimeoutMs: 300,
};

Deno.test("node websocket - a close the peer never answers ends in a reset after the close timeout", async () => {
  const closes: number[] = [];
  const listener = await listenNode((req) => {
    const { socket, response } = upgradeWebSocket(req);
    socket.onopen = () => socket.close(1013, "Too slow");
    socket.onclose = (e) => closes.push(e.code);
    return response;
  }, LISTEN);
  try {
    const { conn } = await rawUpgrade(listener.port, "/");
    // The close frame arrives, the peer says nothing, the server resets.
    expect(await readToEnd(conn, 5000)).toBe("reset");
    conn.close();
    const deadline = Date.now() + 5000;
    while (closes.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(closes.length).toBe(1);
  } finally {
    await listener.shutdown(0);
  }
});

Deno.test("node websocket - the frames of one turn leave in one write, in order", async () => {
  const { calls, restore } = recordWrites();
  let sent = false;
  const listener = await listenNode((req) => {
    const { socket, response } = upgradeWebSocket(req);
    socket.onopen = () => {
      calls.length = 0;
      for (const text of ["message", "read", "ack"]) socket.send(text);
      setTimeout(() => {
        socket.send("later");
        sent = true;
      }, 20);
    };
    return response;
  }, LISTEN);
  try {
    const { conn } = await rawUpgrade(listener.port, "/");
    const deadline = Date.now() + 5000;
    while (!sent && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([["message", "read", "ack"], ["later"]]);
    conn.close();
  } finally {
    restore();
    await listener.shutdown(0);
  }
});

Deno.test("node websocket - where the server speaks first, the handshake leaves with its first frame; a first frame that doesn't come holds it two seconds at most", async () => {
  const { calls, restore } = recordWrites();
  const listener = await listenNode((req) => {
    const path = new URL(req.url).pathname;
    const { socket, response } = upgradeWebSocket(req);
    if (path !== "/plain") speaksFirst(socket);
    // "/silent" never speaks; the others after a while, as a welcome does.
    if (path !== "/silent") {
      socket.onopen = () => setTimeout(() => socket.send("welcome"), 150);
    }
    return response;
  }, LISTEN);
  const opened = async (path: string) => {
    const t0 = performance.now();
    const { conn, status } = await rawUpgrade(listener.port, path);
    return { conn, status, ms: performance.now() - t0 };
  };
  try {
    const first = await opened("/first");
    expect(first.status).toBe("HTTP/1.1 101 Switching Protocols");
    expect(first.ms).toBeGreaterThanOrEqual(140);
    expect(calls).toEqual([["101", "welcome"]]);
    first.conn.close();

    calls.length = 0;
    const plain = await opened("/plain");
    expect(plain.ms).toBeLessThan(140);
    await new Promise((r) => setTimeout(r, 250));
    expect(calls).toEqual([["101"], ["welcome"]]);
    plain.conn.close();

    calls.length = 0;
    const silent = await opened("/silent");
    expect(silent.status).toBe("HTTP/1.1 101 Switching Protocols");
    expect(silent.ms).toBeGreaterThanOrEqual(900);
    expect(silent.ms).toBeLessThan(2500);
    silent.conn.close();
  } finally {
    restore();
    await listener.shutdown(0);
  }
});

Deno.test("node websocket - listeners added with addEventListener get messages and the close, as the on- handlers do", async () => {
  const seen: string[] = [];
  const closed = Promise.withResolvers<void>();
  const listener = await listenNode((req) => {
    const { socket, response } = upgradeWebSocket(req);
    socket.addEventListener("message", (e) => seen.push(`listener ${e.data}`));
    socket.onmessage = (e) => {
      seen.push(`onmessage ${e.data}`);
      if (e.data === "two") socket.close(1000, "done");
    };
    socket.addEventListener("close", (e) => {
      seen.push(`listener close ${e.code}`);
      closed.resolve();
    });
    return response;
  }, LISTEN);
  try {
    const client = new WebSocket(`ws://127.0.0.1:${listener.port}/`);
    await new Promise((r) => client.onopen = r);
    const clientClosed = new Promise((r) => client.onclose = r);
    client.send("one");
    client.send("two");
    // The client sees the close either way; the server's listener may not.
    await clientClosed;
    await Promise.race([
      closed.promise,
      new Promise((r) => setTimeout(r, 500)),
    ]);
    expect(seen).toEqual([
      "listener one",
      "onmessage one",
      "listener two",
      "onmessage two",
      "listener close 1000",
    ]);
  } finally {
    await listener.shutdown(0);
  }
});
