import { expect } from "expect";
import { parseClientFrame, serverFrame, utf8Length } from "./protocol.ts";

Deno.test("protocol - a valid frame parses", () => {
  expect(
    parseClientFrame(
      '{"type":"send","room":"general","text":"hi","clientId":"c1"}',
    ),
  )
    .toEqual({
      ok: true,
      frame: { type: "send", room: "general", text: "hi", clientId: "c1" },
    });
});

Deno.test("protocol - each bad frame gets its error code and names the frame", () => {
  const code = (data: string) => {
    const r = parseClientFrame(data);
    return r.ok ? "ok" : r.error.code;
  };
  expect(code("{not json")).toBe("bad_json");
  expect(code('"just a string"')).toBe("unknown_type");
  expect(code('{"type":"shout","room":"general"}')).toBe("unknown_type");
  expect(code('{"type":"send","room":"general","text":"hi"}')).toBe(
    "invalid_frame",
  );
  expect(code('{"type":"join","room":"Not A Slug"}')).toBe("invalid_frame");
  expect(code('{"type":"typing","room":"general","typing":"yes"}')).toBe(
    "invalid_frame",
  );
  const r = parseClientFrame(
    '{"type":"send","room":"general","clientId":"c9"}',
  );
  expect(r.ok ? null : r.error.frame).toEqual({
    type: "send",
    room: "general",
    clientId: "c9",
  });
});

Deno.test("protocol - utf8Length counts bytes", () => {
  expect(utf8Length("abc")).toBe(3);
  expect(utf8Length("안녕")).toBe(6);
  expect(utf8Length("😀")).toBe(4);
  expect(utf8Length("é")).toBe(new TextEncoder().encode("é").length);
});

Deno.test("protocol - server frames are checked by their schema, guest flag included", () => {
  const message = {
    type: "message",
    id: 3,
    room: "general",
    user: "mina",
    text: "hi",
    ts: 1,
    guest: true,
  };
  expect(serverFrame.parse(message)).toEqual(message);
  expect(serverFrame.safeParse({ type: "ack", room: "general" }).success)
    .toBe(false);
  expect(
    serverFrame.safeParse({ type: "error", code: "no_such_code", message: "" })
      .success,
  ).toBe(false);
});
