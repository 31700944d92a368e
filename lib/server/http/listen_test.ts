import { expect } from "expect";
import { listen, listenError, listenUrl } from "./listen.ts";
import { StartError } from "@/lib/server/start_error.ts";
import { loadConfig } from "@/lib/server/config.ts";
import { openServices } from "@/lib/server/services.ts";

Deno.test("listen - the Listening on URL is loopback for a wildcard and valid for IPv6", () => {
  expect(listenUrl("0.0.0.0", 8000)).toBe("http://127.0.0.1:8000");
  expect(listenUrl("::", 8000)).toBe("http://[::1]:8000");
  expect(listenUrl("::1", 8001)).toBe("http://[::1]:8001");
  expect(listenUrl("fd00::5", 80)).toBe("http://[fd00::5]:80");
  expect(listenUrl("127.0.0.1", 8000)).toBe("http://127.0.0.1:8000");
  expect(listenUrl("chat.example", 8000)).toBe("http://chat.example:8000");
  for (const host of ["0.0.0.0", "::", "::1", "fd00::5"]) {
    // Each parses as a URL with that port.
    expect(new URL(listenUrl(host, 8123)).port).toBe("8123");
  }
});

Deno.test("listen - a server on IPv6 loopback answers at the URL it reports", async () => {
  for (const listener of ["node", "deno"]) {
    const services = await openServices(loadConfig({
      HOSTNAME: "::1",
      PORT: "0",
      KV_PATH: ":memory:",
      LISTENER: listener,
    }));
    const server = await listen(() => new Response("here"), services);
    try {
      expect(server.url).toBe(`http://[::1]:${server.port}`);
      const res = await fetch(server.url);
      expect(await res.text()).toBe("here");
    } finally {
      await server.shutdown();
    }
  }
});

Deno.test("listen - a port in use is a one-line StartError naming PORT, with either listener", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  for (const listener of ["node", "deno"]) {
    const services = await openServices(loadConfig({
      HOSTNAME: "127.0.0.1",
      PORT: String(taken.addr.port),
      KV_PATH: ":memory:",
      LISTENER: listener,
    }));
    try {
      const error = await listen(() => new Response(), services)
        .catch((e) => e);
      expect(error).toBeInstanceOf(StartError);
      expect(error.message).toBe(
        `PORT: cannot listen on 127.0.0.1:${taken.addr.port}: the port is in use`,
      );
    } finally {
      await services.close();
    }
  }
});

Deno.test("listen - why listening failed names the setting to change", () => {
  const coded = (code: string, message: string) =>
    Object.assign(new Error(message), { code });
  expect(
    listenError(
      coded("ENOTFOUND", "getaddrinfo ENOTFOUND x.invalid"),
      "x.invalid",
      80,
    ).message,
  )
    .toBe(
      "HOSTNAME: cannot listen on x.invalid: the name does not resolve (getaddrinfo ENOTFOUND x.invalid)",
    );
  expect(
    listenError(new Deno.errors.AddrNotAvailable("no"), "10.9.9.9", 80).message,
  )
    .toBe(
      "HOSTNAME: cannot listen on 10.9.9.9: not an address of this machine",
    );
  expect(listenError(new Deno.errors.PermissionDenied("no"), "::", 80).message)
    .toMatch(/^PORT: cannot listen on \[::\]:80: permission denied/);
  const refused = Object.assign(new Error("odd\nmore"), { code: "EODD" });
  expect(listenError(refused, "127.0.0.1", 1).message)
    .toBe("PORT, HOSTNAME: cannot listen on 127.0.0.1:1: odd");
  // A bug is no start error: it keeps its stack.
  const bug = new TypeError("x is not a function");
  expect(() => listenError(bug, "127.0.0.1", 1)).toThrow(bug);
});
