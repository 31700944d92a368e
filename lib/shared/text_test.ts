import { expect } from "expect";
import { cleanText, displayUrl, isBlank, withoutBidi } from "./text.ts";

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

Deno.test("text - a name loses the bidi controls that reorder it; direction marks and other characters are kept", () => {
  expect(withoutBidi("invoice\u202Efdp.exe")).toBe("invoicefdp.exe");
  expect(
    withoutBidi(
      "\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069שלום\u200E.txt",
    ),
  ).toBe("שלום\u200E.txt");
  expect(withoutBidi("\u200F\u061Cتقرير.pdf")).toBe("\u200F\u061Cتقرير.pdf");
  expect(withoutBidi("a\u200Bb")).toBe("a\u200Bb");
});

Deno.test("text - plain ASCII is kept as sent; only spaces are empty", () => {
  for (const text of ["hi", " spaced  out ", "~!@#$%^&*()_+{}|:<>?", "a"]) {
    expect(cleanText(text)).toEqual({ ok: true, text });
  }
  for (const text of ["", " ", "     "]) {
    expect(cleanText(text)).toMatchObject({ ok: false, problem: "empty" });
  }
  // Blank by another ASCII character takes the full path and agrees.
  expect(cleanText(" \t\n ")).toMatchObject({ ok: false, problem: "empty" });
  expect(cleanText("a\u0000")).toMatchObject({ ok: false, problem: "control" });
});
