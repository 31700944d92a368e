import { expect } from "expect";
import { closeReason, MAX_CLOSE_REASON_BYTES } from "./close_reason.ts";

const bytes = (s: string) => new TextEncoder().encode(s).length;

Deno.test("close reason - a reason that fits is kept; a longer one is cut at a whole character with …", () => {
  expect(closeReason("Name taken")).toBe("Name taken");
  const ascii = "x".repeat(MAX_CLOSE_REASON_BYTES);
  expect(closeReason(ascii)).toBe(ascii);
  expect(closeReason(ascii + "y")).toBe("x".repeat(120) + "…");
  for (const unit of ["가", "é", "😀", "a가😀"]) {
    const cut = closeReason(`Name ${unit.repeat(60)} is too long`);
    expect(bytes(cut)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
    expect(cut.endsWith("…")).toBe(true);
    expect(cut.startsWith("Name ")).toBe(true);
    // No half of a surrogate pair is left at the cut.
    expect(cut.isWellFormed()).toBe(true);
  }
});
