import { expect } from "expect";
import { compareNewestFirst, match, parseQuery } from "./search_match.ts";

Deno.test("search match - every word must be there, highlighted where it is", () => {
  const q = parseQuery("deploy Friday");
  const text = "We deploy on friday, not Friday-ish";
  expect(match(q, text)).toEqual([[3, 9], [13, 19], [25, 31]]);
  expect(match(q, "we deploy on monday")).toBe(null);
});

Deno.test("search match - words match whole words, not parts", () => {
  expect(match(parseQuery("cat"), "concatenate")).toBe(null);
  expect(match(parseQuery("cat"), "a cat.")).toEqual([[2, 5]]);
});

Deno.test("search match - a CJK query matches its characters standing together", () => {
  const q = parseQuery("서울");
  expect(match(q, "서울역에서 만나요")).toEqual([[0, 2]]);
  expect(match(q, "서쪽 울산")).toBe(null);
  expect(match(parseQuery("東京"), "東の京")).toBe(null);
  expect(match(parseQuery("京"), "東京駅")).toEqual([[1, 2]]);
});

Deno.test("search match - overlapping highlights merge", () => {
  expect(match(parseQuery("서울 울역"), "서울역")).toEqual([[0, 3]]);
});

Deno.test("search match - a query without letters or digits matches nothing", () => {
  expect(parseQuery("?!").lookup).toEqual([]);
  expect(match(parseQuery("?!"), "?!")).toBe(null);
});

Deno.test("search match - results order newest first, then room and id descending", () => {
  const xs = [
    { ts: 1, room: "a", id: 1 },
    { ts: 2, room: "a", id: 2 },
    { ts: 2, room: "b", id: 1 },
    { ts: 2, room: "b", id: 3 },
  ];
  expect(xs.sort(compareNewestFirst)).toEqual([
    { ts: 2, room: "b", id: 3 },
    { ts: 2, room: "b", id: 1 },
    { ts: 2, room: "a", id: 2 },
    { ts: 1, room: "a", id: 1 },
  ]);
});
