import { expect } from "expect";
import { cleanText, displayUrl, isBlank } from "./text.ts";

Deno.test("text - blank means only spaces and invisible characters", () => {
  expect(isBlank(" \u3164\u200d\u2060\u115f\uffa0")).toBe(true);
  expect(isBlank("\u3164a")).toBe(false);
  expect(isBlank("안녕")).toBe(false);
});

Deno.test("text - cleaning keeps newline and tab and composes to NFC", () => {
  expect(cleanText("A\u030a\tb\r\nc")).toEqual({
    ok: true,
    text: "\u00c5\tb\nc",
  });
  expect(cleanText("\u007f")).toMatchObject({ ok: false, problem: "control" });
  expect(cleanText("\udc00")).toMatchObject({
    ok: false,
    problem: "surrogate",
  });
});

Deno.test("text - a link's bidi controls are shown encoded", () => {
  expect(displayUrl("https://x.example/\u202egnp.exe")).toBe(
    "https://x.example/%E2%80%AEgnp.exe",
  );
  expect(displayUrl("https://x.example/a")).toBe("https://x.example/a");
});
