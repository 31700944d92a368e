import { expect } from "expect";
import { parseRange, RangeNotSatisfiableError } from "./ranges.ts";

Deno.test("ranges - a download's one range is honoured: from, to, the last n bytes, cut at the end", () => {
  expect(parseRange("bytes=100-199", 1000)).toEqual([100, 200]);
  expect(parseRange("bytes=100-", 1000)).toEqual([100, 1000]);
  expect(parseRange("bytes=-100", 1000)).toEqual([900, 1000]);
  expect(parseRange("bytes=-5000", 1000)).toEqual([0, 1000]);
  expect(parseRange("bytes=900-5000", 1000)).toEqual([900, 1000]);
  expect(parseRange("bytes=3-3", 1000)).toEqual([3, 4]);
});

Deno.test("ranges - an invalid or unparsed Range is ignored: the whole file (RFC 9110, 14.2)", () => {
  for (
    const header of [
      null,
      "bytes=5-3",
      "bytes=1000-0",
      "bytes=-",
      "bytes=0-1,5-6",
      "items=0-5",
      "bytes=a-b",
    ]
  ) {
    expect(parseRange(header, 1000)).toBeNull();
  }
});

Deno.test("ranges - a range past the end is a 416 that knows the file's size", () => {
  for (
    const [header, size] of [
      ["bytes=1000-", 1000],
      ["bytes=1000-2000", 1000],
      ["bytes=-0", 1000],
      ["bytes=0-", 0],
    ] as const
  ) {
    let error: unknown;
    try {
      parseRange(header, size);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeNotSatisfiableError);
    expect((error as RangeNotSatisfiableError).status).toBe(416);
    expect((error as RangeNotSatisfiableError).size).toBe(size);
  }
});
