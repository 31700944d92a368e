import { expect } from "expect";
import { asSearchResponse, highlighted, readableHighlights } from "./search.ts";

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

Deno.test("readableHighlights - a hit reads without its formatting marks, its words still marked", () => {
  const text = "hello **bold** from `fred`";
  const at = text.indexOf("bold");
  expect(readableHighlights(text, [[at, at + 4]])).toEqual([
    { text: "hello ", mark: false },
    { text: "bold", mark: true },
    { text: " from fred", mark: false },
  ]);
  // Every place a marked word shows, in any case; a list reads as one line.
  expect(readableHighlights("- Tea\n- more tea", [[2, 5]])).toEqual([
    { text: "Tea", mark: true },
    { text: ", more ", mark: false },
    { text: "tea", mark: true },
  ]);
  // Korean, and spans the text doesn't have, are kept apart.
  expect(readableHighlights("> 서울역에서 만나요", [[2, 4], [50, 60]]))
    .toEqual([
      { text: "서울", mark: true },
      { text: "역에서 만나요", mark: false },
    ]);
});

Deno.test("readableHighlights - words are marked as words, not inside others, and stay in place after letters whose case changes length", () => {
  const text = "the cat sat on this concatenated mat";
  const at = text.indexOf("cat");
  expect(readableHighlights(text, [[at, at + 3]])).toEqual([
    { text: "the ", mark: false },
    { text: "cat", mark: true },
    { text: " sat on this concatenated mat", mark: false },
  ]);
  const tricky = "İİİİ hello world";
  const h = tricky.indexOf("hello");
  expect(readableHighlights(tricky, [[h, h + 5]])).toEqual([
    { text: "İİİİ ", mark: false },
    { text: "hello", mark: true },
    { text: " world", mark: false },
  ]);
  // A word with regular-expression characters is only text.
  expect(readableHighlights("price (usd)?", [[7, 10]])[1]).toEqual({
    text: "usd",
    mark: true,
  });
});

Deno.test("readableHighlights - word edges are the server's: a word beside Japanese is marked, one inside foo_bar, café or a longer Thai run is not", () => {
  const mark = (text: string, word: string) => {
    const at = text.indexOf(word);
    return readableHighlights(text, [[at, at + word.length]])
      .filter((p) => p.mark).length;
  };
  expect(mark("iPhoneを買った", "iPhone")).toBe(1);
  expect(mark("foo and foo_bar", "foo")).toBe(1);
  expect(mark("cafe and cafe\u0301", "cafe")).toBe(1);
  expect(mark("สวัสดี and สวัสดีครับ", "สวัสดี")).toBe(1);
  // Japanese and Korean runs match inside longer ones, as on the server.
  expect(mark("東京駅と東京", "東京")).toBe(2);
});
