import { expect } from "expect";
import { asSearchResponse, highlighted } from "./search.ts";

Deno.test("client search - text is cut into plain and marked parts", () => {
  expect(highlighted("서울역에서 만나요", [[0, 2], [6, 9]])).toEqual([
    { text: "서울", mark: true },
    { text: "역에서 ", mark: false },
    { text: "만나요", mark: true },
  ]);
  // Spans out of order or out of range are ignored, never thrown on.
  expect(highlighted("abc", [[2, 3], [0, 1], [1, 9]])).toEqual([
    { text: "ab", mark: false },
    { text: "c", mark: true },
  ]);
});

Deno.test("client search - a malformed answer is refused", () => {
  const result = {
    room: "general",
    id: 3,
    user: "mina",
    ts: 1,
    text: "hi",
    highlights: [[0, 2]],
  };
  expect(asSearchResponse({ results: [result], next: "1.3.general" }))
    .toEqual({ results: [result], next: "1.3.general" });
  expect(asSearchResponse({ results: [{ ...result, highlights: [[0]] }] }))
    .toBe(null);
  expect(asSearchResponse({ results: "no" })).toBe(null);
  expect(asSearchResponse(null)).toBe(null);
});
