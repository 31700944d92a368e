import { expect } from "expect";
import { HereLimit } from "./here_limit.ts";

Deno.test("here limit - one @here per person and room per period; others and other rooms are apart", () => {
  let now = 1_000;
  const limit = new HereLimit(30_000, () => now);
  expect(limit.take("account:ana", "general", "c1")).toBe(true);
  expect(limit.take("account:ana", "general", "c2")).toBe(false);
  expect(limit.take("account:ana", "general")).toBe(false);
  // A resend of the send that used it.
  expect(limit.take("account:ana", "general", "c1")).toBe(true);
  expect(limit.wait("account:ana", "general")).toBe(30_000);
  expect(limit.take("account:ana", "random")).toBe(true);
  expect(limit.take("account:bo", "general")).toBe(true);
  now += 29_999;
  expect(limit.take("account:ana", "general")).toBe(false);
  now += 1;
  expect(limit.wait("account:ana", "general")).toBe(0);
  expect(limit.take("account:ana", "general")).toBe(true);
  // A send refused before it was stored gives its @here back.
  expect(limit.take("account:bo", "random", "x1")).toBe(true);
  limit.release("account:bo", "random", "x1");
  expect(limit.take("account:bo", "random", "x2")).toBe(true);
  // Not someone else's, nor a later one.
  limit.release("account:bo", "random", "x1");
  expect(limit.take("account:bo", "random", "x3")).toBe(false);
});

Deno.test("here limit - an @here another instance stored counts here from when it came; a repeat of one's own changes nothing", () => {
  let now = 0;
  const limit = new HereLimit(30_000, () => now);
  limit.note("account:ana", "general", "c1");
  expect(limit.take("account:ana", "general", "c2")).toBe(false);
  // The send that used it, resent here, may go (it is that send again).
  expect(limit.take("account:ana", "general", "c1")).toBe(true);
  now = 20_000;
  // One's own send coming back on the bus doesn't start the wait again.
  limit.note("account:ana", "general", "c1");
  now = 30_000;
  expect(limit.take("account:ana", "general", "c3")).toBe(true);
  expect(limit.take("account:bo", "general", "c4")).toBe(true);
});
