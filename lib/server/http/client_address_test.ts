import { expect } from "expect";
import { clientAddress } from "./client_address.ts";
import { loadConfig } from "@/lib/server/config.ts";

const info = {
  remoteAddr: { transport: "tcp", hostname: "10.0.0.7", port: 5000 },
  completed: Promise.resolve(),
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

Deno.test("client address - the socket's unless a proxy is trusted, then the proxy's entry", () => {
  const req = new Request("http://chat.example/ws", {
    headers: { "x-forwarded-for": "6.6.6.6, 203.0.113.9" },
  });
  expect(clientAddress(req, info, loadConfig({}))).toBe("10.0.0.7");
  // The client wrote the first entry; the proxy appended the last.
  expect(clientAddress(req, info, loadConfig({ TRUST_PROXY: "true" }))).toBe(
    "203.0.113.9",
  );
});
