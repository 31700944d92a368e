import { expect } from "expect";
import { Outflow, type Socket } from "./backpressure.ts";

class FakeSocket implements Socket {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
}

function outflow(now: { t: number }) {
  const socket = new FakeSocket();
  const out = new Outflow(socket, {
    slowClientBytes: 800,
    slowClientGraceMs: 1000,
    now: () => now.t,
  });
  return { socket, out };
}

Deno.test("backpressure - a socket that keeps up gets every frame", () => {
  const { socket, out } = outflow({ t: 0 });
  for (let i = 0; i < 100; i++) expect(out.send("x".repeat(50))).toBe(true);
  expect(socket.sent.length).toBe(100);
  expect(out.keepsUp()).toBe(true);
});

Deno.test("backpressure - a backed-up socket gets frames during the grace period, then must go", () => {
  const now = { t: 10_000 };
  const { socket, out } = outflow(now);
  socket.bufferedAmount = 900;
  const frame = "x".repeat(200);
  expect(out.send(frame)).toBe(true);
  now.t = 11_000;
  expect(out.send(frame)).toBe(true);
  expect(out.keepsUp()).toBe(true);
  now.t = 11_001;
  expect(out.keepsUp()).toBe(false);
  expect(out.send(frame)).toBe(false);
  expect(socket.sent.length).toBe(2);
});

Deno.test("backpressure - a socket that drains within the grace period is forgiven", () => {
  const now = { t: 10_000 };
  const { socket, out } = outflow(now);
  socket.bufferedAmount = 900;
  out.send("x".repeat(200));
  socket.bufferedAmount = 0;
  now.t = 15_000;
  expect(out.keepsUp()).toBe(true);
  socket.bufferedAmount = 900;
  expect(out.send("x".repeat(200))).toBe(true);
});

Deno.test("backpressure - a buffer far over the limit must go at once", () => {
  const { socket, out } = outflow({ t: 10_000 });
  socket.bufferedAmount = 900;
  expect(out.send("x".repeat(200))).toBe(true);
  socket.bufferedAmount = 8 * 800 + 1;
  expect(out.send("x".repeat(200))).toBe(false);
});

Deno.test("backpressure - a closed socket is sent nothing", () => {
  const { socket, out } = outflow({ t: 0 });
  socket.readyState = 3;
  expect(out.send("x")).toBe(true);
  expect(socket.sent).toEqual([]);
});

Deno.test("backpressure - drained waits until the buffer is under the limit", async () => {
  const { socket, out } = outflow({ t: 0 });
  socket.bufferedAmount = 5000;
  let done = false;
  const waiting = out.drained(() => false).then(() => done = true);
  // Several polls pass while the buffer stays full.
  await new Promise((r) => setTimeout(r, 120));
  expect(done).toBe(false);
  socket.bufferedAmount = 100;
  await waiting;
  expect(done).toBe(true);
});
