import { expect } from "expect";
import { atMost, ratio, shown } from "./targets.ts";

Deno.test("targets - a figure at or under its limit holds, over it fails", () => {
  expect(atMost("t", 3, 3, "×", "").pass).toBe(true);
  expect(atMost("t", 3.01, 3, "×", "").pass).toBe(false);
  expect(atMost("lost", 0, 0, "", "").pass).toBe(true);
  expect(atMost("lost", 1, 0, "", "").pass).toBe(false);
});

Deno.test("targets - a ratio over a baseline of zero cannot hold", () => {
  expect(ratio(1, 0)).toBeNaN();
  expect(atMost("t", ratio(1, 0), 3, "×", "").pass).toBe(false);
  expect(ratio(3, 2)).toBe(1.5);
});

Deno.test("targets - a figure shown without a target has no limit", () => {
  expect(shown("settle", 2.5, "×", "")).toMatchObject({
    limit: null,
    pass: true,
  });
});
