import { expect } from "expect";
import {
  asDirectoryPage,
  asHistoryPage,
  isPending,
  isServerFrame,
} from "./guards.ts";

const message = { id: 1, room: "general", user: "ana", text: "hi", ts: 1 };

Deno.test("guards - frames and pages are checked before the page trusts them", () => {
  expect(isServerFrame({ type: "message", ...message })).toBe(true);
  expect(isServerFrame({ type: "message", ...message, id: "1" })).toBe(false);
  expect(isServerFrame({ type: "pong", serverTime: 1 })).toBe(true);
  expect(isServerFrame([1, 2])).toBe(false);
  expect(isServerFrame(null)).toBe(false);
  expect(asHistoryPage({ messages: [message], hasMore: true })).toEqual({
    messages: [message],
    hasMore: true,
  });
  expect(asHistoryPage({ messages: [{ ...message, text: 5 }] })).toBe(null);
  expect(asHistoryPage({ error: { status: 404 } })).toBe(null);
});

Deno.test("guards - a stored outbox keeps only well-formed entries", () => {
  expect(isPending({ room: "r", text: "t", clientId: "c", ts: 1 })).toBe(true);
  expect(isPending({ room: "r", text: "t", clientId: "c", ts: 1, error: "x" }))
    .toBe(true);
  expect(isPending({ room: "r", text: 1, clientId: "c", ts: 1 })).toBe(false);
  expect(isPending("oops")).toBe(false);
});

Deno.test("guards - a directory page keeps its rooms and cursor, or is refused whole", () => {
  const room = { id: "design", name: "design", members: 3, online: 1 };
  expect(asDirectoryPage({ rooms: [room], next: "design" })).toEqual({
    rooms: [room],
    next: "design",
  });
  expect(asDirectoryPage({ rooms: [] })).toEqual({ rooms: [] });
  expect(asDirectoryPage({ rooms: [{ ...room, members: "3" }] })).toBe(null);
  expect(asDirectoryPage({ error: "nope" })).toBe(null);
});
