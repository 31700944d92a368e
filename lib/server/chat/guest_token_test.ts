import { expect } from "expect";
import { guestKey, newGuestToken } from "./guest_token.ts";
import { isGuestToken } from "./identity.ts";

Deno.test("guest token - issued as a version 7 UUID: accepted back as a token, random after its time", () => {
  const now = Date.UTC(2026, 11, 3, 12, 0, 0);
  const a = newGuestToken(now);
  const b = newGuestToken(now);
  for (const t of [a, b]) {
    expect(isGuestToken(t)).toBe(true);
    expect(t[14]).toBe("7");
    expect("89ab").toContain(t[19]);
    // The first 48 bits are the time.
    expect(parseInt(t.slice(0, 8) + t.slice(9, 13), 16)).toBe(now);
  }
  expect(a).not.toBe(b);
});

Deno.test("guest token - keys of later tokens sort after earlier ones, never show the token, and tokens from before keep their keys", async () => {
  const tokens = [0, 1, 2, 1000, 86_400_000].map((dt) =>
    newGuestToken(Date.UTC(2026, 0, 1) + dt)
  );
  const keys = tokens.map(guestKey);
  expect([...keys].sort()).toEqual(keys);
  expect(new Set(keys).size).toBe(keys.length);
  for (const [i, key] of keys.entries()) {
    expect(key.startsWith("guest:")).toBe(true);
    expect(key).not.toContain(tokens[i].slice(14));
  }
  // A version 4 token (issued before) keeps the key it was stored under.
  const old = "3f2c1a9e-5b7d-4c8e-9a1b-2c3d4e5f6a7b";
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(old)),
  );
  const b64url = btoa(String.fromCharCode(...digest)).replaceAll("+", "-")
    .replaceAll("/", "_").replace(/=+$/, "");
  expect(guestKey(old)).toBe(`guest:${b64url}`);
});
