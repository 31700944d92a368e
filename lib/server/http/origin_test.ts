import { expect } from "expect";
import { isSameOrigin, originAllowed } from "./origin.ts";
import { loadConfig } from "@/lib/server/config.ts";

const at = (origin?: string, host?: string) =>
  new Request("http://chat.example/ws", {
    headers: { ...(origin ? { origin } : {}), ...(host ? { host } : {}) },
  });

Deno.test("origin - own, allowed, none; others refused", () => {
  const config = loadConfig({ ALLOWED_ORIGINS: "https://app.example" });
  expect(originAllowed(at(), config)).toBe(true);
  expect(originAllowed(at("https://app.example"), config)).toBe(true);
  expect(originAllowed(at("https://evil.example"), config)).toBe(false);
  expect(originAllowed(at("null"), config)).toBe(false);
  // Unconfigured, the Host's own origin is accepted.
  expect(originAllowed(at("http://chat.example"), loadConfig({}))).toBe(true);
});

Deno.test("origin - with PUBLIC_URL or ALLOWED_ORIGINS set, an origin equal to the Host is not trusted (DNS rebinding)", () => {
  // The attacker's name resolves to this server: Host and Origin agree.
  const rebound = new Request("http://rebind.evil.example/ws", {
    headers: {
      origin: "http://rebind.evil.example",
      host: "rebind.evil.example",
    },
  });
  for (
    const env of [
      { PUBLIC_URL: "https://chat.example" },
      { ALLOWED_ORIGINS: "https://chat.example" },
    ]
  ) {
    expect(originAllowed(rebound, loadConfig(env))).toBe(false);
  }
  const real = new Request("http://10.0.0.1:8000/ws", {
    headers: { origin: "https://chat.example" },
  });
  expect(
    originAllowed(real, loadConfig({ PUBLIC_URL: "https://chat.example/" })),
  )
    .toBe(true);
});

Deno.test("origin - same origin: none, the URL's, or the Host header's behind a proxy", () => {
  expect(isSameOrigin(at())).toBe(true);
  expect(isSameOrigin(at("http://chat.example"))).toBe(true);
  expect(isSameOrigin(at("https://chat.example:8443", "chat.example:8443")))
    .toBe(true);
  expect(isSameOrigin(at("https://app.example"))).toBe(false);
  expect(isSameOrigin(at("null"))).toBe(false);
});
