import { expect } from "expect";
import { asHistoryPage, isPending, isServerFrame } from "./guards.ts";

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
