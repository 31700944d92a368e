import { expect } from "expect";
import { foldTerm, indexTerms, runs } from "./search_tokens.ts";

Deno.test("search tokens - words are folded: case, width and ß", () => {
  expect(indexTerms("Hello, ＷＯＲＬＤ! Straße")).toEqual([
    "hello",
    "world",
    "strasse",
  ]);
  expect(foldTerm("STRASSE")).toBe(foldTerm("straße"));
});

Deno.test("search tokens - Korean, Japanese and Chinese runs give characters and neighbouring pairs", () => {
  expect(indexTerms("서울역")).toEqual(["서", "서울", "울", "울역", "역"]);
  expect(indexTerms("東京駅")).toEqual(["東", "東京", "京", "京駅", "駅"]);
  // Half-width kana with a voicing mark is one character, as its full form.
  expect(indexTerms("ｶﾞｽ")).toEqual(indexTerms("ガス"));
});

Deno.test("search tokens - a word next to a CJK run splits from it", () => {
  expect(runs("2024년 v2").map((r) => [r.cjk, r.units.map((u) => u.text)]))
    .toEqual([[false, ["2024"]], [true, ["년"]], [false, ["v2"]]]);
});

Deno.test("search tokens - offsets are the original text's, across surrogate pairs", () => {
  const text = "😀 Ｈi 𠀋京";
  const units = runs(text).flatMap((r) => r.units);
  expect(units.map((u) => text.slice(u.start, u.end))).toEqual([
    "Ｈi",
    "𠀋",
    "京",
  ]);
  expect(units.map((u) => u.text)).toEqual(["hi", "𠀋", "京"]);
});

Deno.test("search tokens - punctuation and symbols are not terms; long words are cut", () => {
  expect(indexTerms("!!! ... ---")).toEqual([]);
  const long = "a".repeat(100);
  expect(indexTerms(long)).toEqual(["a".repeat(64)]);
});

Deno.test("search tokens - compatibility characters that expand to spaces stay one term", () => {
  expect(indexTerms("ﷺ")[0]).not.toContain(" ");
});
