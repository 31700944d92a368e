import { expect } from "expect";
import { escapeRegExp } from "./escape_regexp.ts";

Deno.test("escapeRegExp - any text matches itself alone, with and without the u flag", () => {
  const texts = [
    "ana-2",
    "mary-jane",
    "a.b",
    "x*y+z?",
    "^$",
    "(a|b)",
    "[c]",
    "{1,2}",
    "back\\slash",
    "a/b",
    "민아-2",
  ];
  for (const text of texts) {
    for (const flags of ["u", "", "iu"]) {
      const re = new RegExp(`^${escapeRegExp(text)}$`, flags);
      expect(re.test(text)).toBe(true);
      expect(re.test(`${text}x`)).toBe(false);
    }
  }
  expect(new RegExp(escapeRegExp("a.b"), "u").test("axb")).toBe(false);
});
