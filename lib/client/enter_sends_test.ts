import { expect } from "expect";
import { enterSends } from "./enter_sends.ts";

Deno.test("enter sends - Enter sends with a keyboard; Shift+Enter, composing text and a touch screen break the line", () => {
  const key = (k: string, shiftKey = false, isComposing = false) => ({
    key: k,
    shiftKey,
    isComposing,
  });
  expect(enterSends(key("Enter"), false)).toBe(true);
  expect(enterSends(key("Enter", true), false)).toBe(false);
  expect(enterSends(key("Enter", false, true), false)).toBe(false);
  expect(enterSends(key("Enter"), true)).toBe(false);
  expect(enterSends(key("a"), false)).toBe(false);
});
