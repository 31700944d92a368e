import { expect } from "expect";
import { stepRoom } from "./use_shortcuts.ts";

Deno.test("shortcuts - stepping through rooms wraps, and can skip to unread ones", () => {
  const rooms = ["a", "b", "c", "d"];
  expect(stepRoom(rooms, "a", 1)).toBe("b");
  expect(stepRoom(rooms, "a", -1)).toBe("d");
  expect(stepRoom(rooms, "d", 1)).toBe("a");
  const unread = new Set(["c"]);
  expect(stepRoom(rooms, "a", 1, (r) => unread.has(r))).toBe("c");
  expect(stepRoom(rooms, "a", -1, (r) => unread.has(r))).toBe("c");
  expect(stepRoom(rooms, "c", 1, (r) => unread.has(r))).toBe(null);
  expect(stepRoom(["a"], "a", 1)).toBe(null);
});
