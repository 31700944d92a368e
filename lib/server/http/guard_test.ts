import { expect } from "expect";
import { clientAddress, ConnectionLimiter, originAllowed } from "./guard.ts";
import { loadConfig } from "@/lib/server/config.ts";

const info = {
  remoteAddr: { transport: "tcp", hostname: "10.0.0.7", port: 5000 },
  completed: Promise.resolve(),
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

Deno.test("guard - the client address is the socket's unless a proxy is trusted, then the proxy's entry", () => {
  const req = new Request("http://chat.example/ws", {
    headers: { "x-forwarded-for": "6.6.6.6, 203.0.113.9" },
  });
  expect(clientAddress(req, info, loadConfig({}))).toBe("10.0.0.7");
  // The client wrote the first entry; the proxy appended the last.
  expect(clientAddress(req, info, loadConfig({ TRUST_PROXY: "true" }))).toBe(
    "203.0.113.9",
  );
});

Deno.test("guard - origins: own, allowed, none; others refused", () => {
  const config = loadConfig({ ALLOWED_ORIGINS: "https://app.example" });
  const at = (origin?: string) =>
    new Request("http://chat.example/ws", {
      headers: origin ? { origin } : {},
    });
  expect(originAllowed(at(), config)).toBe(true);
  expect(originAllowed(at("https://app.example"), config)).toBe(true);
  expect(originAllowed(at("https://evil.example"), config)).toBe(false);
  expect(originAllowed(at("null"), config)).toBe(false);
  // Unconfigured, the Host's own origin is accepted.
  expect(originAllowed(at("http://chat.example"), loadConfig({}))).toBe(true);
});

Deno.test("guard - with PUBLIC_URL or ALLOWED_ORIGINS set, an origin equal to the Host is not trusted (DNS rebinding)", () => {
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

Deno.test("guard - connection slots are counted per address and given back", () => {
  const limiter = new ConnectionLimiter(2);
  expect(limiter.acquire("a")).toBe(true);
  expect(limiter.acquire("a")).toBe(true);
  expect(limiter.acquire("a")).toBe(false);
  expect(limiter.acquire("b")).toBe(true);
  limiter.release("a");
  expect(limiter.acquire("a")).toBe(true);
});
