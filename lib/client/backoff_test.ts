import { expect } from "expect";
import { BACKOFF, backoffDelay } from "./backoff.ts";

Deno.test("backoff - doubles from 0.5 s to a 5 s cap, jittered within the upper half", () => {
  const low = () => 0;
  const high = () => 1;
  expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelay(a, high))).toEqual([
    500,
    1000,
    2000,
    4000,
    5000,
    5000,
    5000,
    5000,
  ]);
  expect(backoffDelay(0, low)).toBe(250);
  expect(backoffDelay(10, low)).toBe(BACKOFF.maxMs / 2);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(3);
    expect(d).toBeGreaterThanOrEqual(2000);
    expect(d).toBeLessThanOrEqual(4000);
  }
});
