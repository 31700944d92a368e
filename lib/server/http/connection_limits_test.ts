import { expect } from "expect";
import { ConnectionLimiter } from "./connection_limits.ts";

Deno.test("connection limits - slots are counted per address and given back", () => {
  const limiter = new ConnectionLimiter(2);
  expect(limiter.acquire("a")).toBe(true);
  expect(limiter.acquire("a")).toBe(true);
  expect(limiter.acquire("a")).toBe(false);
  expect(limiter.acquire("b")).toBe(true);
  limiter.release("a");
  expect(limiter.acquire("a")).toBe(true);
});
