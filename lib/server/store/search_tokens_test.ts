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

Deno.test("search tokens - ASCII text indexes as the Unicode path would", () => {
  // The terms runs() gives (the general path), each once.
  const general = (text: string) => [
    ...new Set(runs(text).flatMap((r) => r.units.map((u) => u.text))),
  ];
  const samples = [
    "Hello, World! hello_world HELLO",
    "snake_case and CamelCase2 v1.2.3 a-b c'd",
    "tab\tand\nnewline  x_ _ __",
    "x".repeat(70) + " " + "Y".repeat(64),
    "",
  ];
  // And random printable ASCII, with some letters, digits and `_`.
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let n = 0; n < 300; n++) {
    const length = Math.floor(random() * 80);
    samples.push(
      Array.from(
        { length },
        () => String.fromCharCode(32 + Math.floor(random() * 95)),
      ).join(""),
    );
  }
  for (const text of samples) {
    expect([text, indexTerms(text)]).toEqual([text, general(text)]);
  }
});
