import { expect } from "expect";
import { handshakeProblem } from "./handshake.ts";

const request = (headers: Record<string, string>) =>
  new Request("http://localhost/ws", { headers });

const GOOD = {
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};

Deno.test("handshake - a well-formed upgrade passes; no upgrade is the route's to answer", () => {
  expect(handshakeProblem(request(GOOD))).toBeNull();
  expect(handshakeProblem(request({ ...GOOD, upgrade: "WebSocket" })))
    .toBeNull();
  expect(handshakeProblem(request({}))).toBeNull();
});

Deno.test("handshake - another version is 426 naming 13; a missing or malformed key is 400", () => {
  for (const version of ["8", "", "13, 8"]) {
    expect(
      handshakeProblem(
        request({ ...GOOD, "sec-websocket-version": version }),
      ),
    ).toMatchObject({
      status: 426,
      headers: { "sec-websocket-version": "13" },
    });
  }
  const { "sec-websocket-key": _, ...keyless } = GOOD;
  for (
    const headers of [
      keyless,
      { ...GOOD, "sec-websocket-key": "short" },
      { ...GOOD, "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ" },
      // 17 bytes.
      { ...GOOD, "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZTE=" },
    ]
  ) {
    expect(handshakeProblem(request(headers))).toMatchObject({
      status: 400,
      message: "Missing or invalid Sec-WebSocket-Key header",
    });
  }
});
