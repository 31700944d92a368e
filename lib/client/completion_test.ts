import { expect } from "expect";
import { findTrigger } from "./completion.ts";

Deno.test("completion - @, # and : tokens at the caret, with where they start", () => {
  expect(findTrigger("hi @mi", 6)).toEqual({
    kind: "@",
    query: "mi",
    start: 3,
    end: 6,
  });
  expect(findTrigger("@", 1)).toEqual({
    kind: "@",
    query: "",
    start: 0,
    end: 1,
  });
  expect(findTrigger("안녕 @민", 5)).toMatchObject({ kind: "@", query: "민" });
  expect(findTrigger("see #ra and", 7)).toMatchObject({
    kind: "#",
    query: "ra",
    start: 4,
  });
  expect(findTrigger("ok :smi", 7)).toMatchObject({
    kind: ":",
    query: "smi",
    start: 3,
  });
  expect(findTrigger("(:+1", 4)).toMatchObject({ kind: ":", query: "+1" });
  // The caret in the middle of a text: only what is before it counts.
  expect(findTrigger("@mina hello", 3)).toMatchObject({ query: "mi" });
});

Deno.test("completion - mail addresses, times, short colons and ended tokens are not tokens", () => {
  expect(findTrigger("ana@x", 5)).toBeNull();
  expect(findTrigger("at 10:30", 8)).toBeNull();
  expect(findTrigger("note :a", 7)).toBeNull();
  expect(findTrigger("note: ", 6)).toBeNull();
  expect(findTrigger("@mina ", 6)).toBeNull();
  expect(findTrigger("#Room", 5)).toBeNull();
  expect(findTrigger("x".repeat(50) + " @" + "m".repeat(45), 97)).toBeNull();
});
