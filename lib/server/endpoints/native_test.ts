import { expect } from "expect";
import { serveV1 } from "./native.ts";
import { MAX_EARLY_FRAMES } from "./frame_guard.ts";
import type { Chat } from "@/lib/server/chat/chat.ts";
import { type Identity, NameError } from "@/lib/server/chat/identity.ts";
import { StoreUnavailableError } from "@/lib/server/store/store.ts";
import { CLOSE } from "@/lib/shared/protocol.ts";

/** What a fake chat was asked to do. */
interface Calls {
  connected: Identity[];
  released: Identity[];
}

/** A chat that records connects and releases; connecting fails with `fail`. */
function fakeChat(fail?: Error): { chat: Chat; calls: Calls } {
  const calls: Calls = { connected: [], released: [] };
  const chat = {
    config: { maxFrameBytes: 65_536, ratePerSecond: 10, rateBurst: 20 },
    identities: { release: (i: Identity) => calls.released.push(i) },
    connectMember: (_socket: WebSocket, identity: Identity) => {
      calls.connected.push(identity);
      return Promise.reject(fail ?? new Error("not in this test"));
    },
  };
  return { chat: chat as unknown as Chat, calls };
}

/** A socket the test opens and closes by hand, recording its close. */
function fakeSocket() {
  const socket = {
    readyState: WebSocket.CONNECTING as number,
    closed: undefined as { code?: number; reason?: string } | undefined,
    onopen: null as (() => Promise<void>) | null,
    onclose: null as ((e: CloseEvent) => void) | null,
    onmessage: null,
    onerror: null,
    close(code?: number, reason?: string) {
      socket.closed = { code, reason };
      socket.readyState = WebSocket.CLOSED;
    },
  };
  return socket;
}

const mina: Identity = { name: "mina", guest: true, token: "t" };

Deno.test("native endpoint - a name with no free variant left closes with 1008 before welcome", async () => {
  const { chat, calls } = fakeChat();
  const socket = fakeSocket();
  const claim = Promise.reject(new NameError("No free variant of the name x"));
  serveV1(chat, socket as unknown as WebSocket, claim);
  socket.readyState = WebSocket.OPEN;
  await socket.onopen!();
  expect(socket.closed).toEqual({
    code: CLOSE.policy,
    reason: "No free variant of the name x",
  });
  expect(calls.connected).toEqual([]);
  socket.onclose!(new CloseEvent("close", { code: CLOSE.policy }));
  await Promise.resolve();
  expect(calls.released).toEqual([]);
});

Deno.test("native endpoint - a socket closed while its name is claimed releases the name once claimed, and connects nothing", async () => {
  const { chat, calls } = fakeChat();
  const socket = fakeSocket();
  let land: (i: Identity) => void = () => {};
  serveV1(
    chat,
    socket as unknown as WebSocket,
    new Promise<Identity>((r) => land = r),
  );
  socket.readyState = WebSocket.OPEN;
  const opening = socket.onopen!();
  socket.readyState = WebSocket.CLOSED;
  socket.onclose!(new CloseEvent("close", { code: 1006 }));
  await new Promise((r) => setTimeout(r, 10));
  expect(calls.released).toEqual([]);
  land(mina);
  await opening;
  await new Promise((r) => setTimeout(r, 10));
  expect(calls.released).toEqual([mina]);
  expect(calls.connected).toEqual([]);
  expect(socket.closed).toBeUndefined();
});

Deno.test("native endpoint - the store unreachable while connecting closes with 1011; the name is released on close", async () => {
  const { chat, calls } = fakeChat(new StoreUnavailableError("down"));
  const socket = fakeSocket();
  serveV1(chat, socket as unknown as WebSocket, Promise.resolve(mina));
  socket.readyState = WebSocket.OPEN;
  await socket.onopen!();
  expect(calls.connected).toEqual([mina]);
  expect(socket.closed).toEqual({
    code: CLOSE.internal,
    reason: "The store is unavailable; reconnect later",
  });
  socket.onclose!(new CloseEvent("close", { code: CLOSE.internal }));
  await new Promise((r) => setTimeout(r, 0));
  expect(calls.released).toEqual([mina]);
});

Deno.test("native endpoint - frames before the welcome wait for it, up to a bound; one more closes 1008", () => {
  const { chat } = fakeChat();
  const socket = fakeSocket();
  // The name's claim never lands: the welcome waits (a slow store, say).
  serveV1(
    chat,
    socket as unknown as WebSocket,
    new Promise<Identity>(() => {}),
  );
  socket.readyState = WebSocket.OPEN;
  void socket.onopen!();
  const send = (socket as unknown as WebSocket).onmessage!;
  const frame = new MessageEvent("message", { data: '{"type":"ping"}' });
  for (let i = 0; i < MAX_EARLY_FRAMES; i++) send.call(socket as never, frame);
  expect(socket.closed).toBeUndefined();
  send.call(socket as never, frame);
  expect(socket.closed).toEqual({
    code: CLOSE.policy,
    reason: "Too many frames before the welcome",
  });
});
