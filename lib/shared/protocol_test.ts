import { expect } from "expect";
import {
  clientFrame,
  parseClientFrame,
  parseSend,
  serverFrame,
  utf8Length,
} from "./protocol.ts";

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

Deno.test("protocol - the hand check of send agrees with the schema on valid and broken sends", () => {
  // Each field's candidates, valid and not; every combination is tried.
  const rooms = [
    undefined,
    "general",
    "a",
    "x".repeat(32),
    "x".repeat(33),
    "Gen",
    "-a",
    7,
    null,
  ];
  const texts = [undefined, "", "hi", "안녕 👋", "a\u0000b", 5, null];
  const clientIds = [
    undefined,
    "",
    "c",
    "k".repeat(64),
    "k".repeat(65),
    1,
    null,
  ];
  const parents = [
    undefined,
    1,
    42,
    0,
    -3,
    1.5,
    2 ** 53,
    Number.MAX_SAFE_INTEGER,
    "4",
    null,
  ];
  const alsos = [undefined, true, false, "yes", 0, null];
  const extras = [{}, { extra: 1 }, { type: "join" }];
  let accepted = 0, tried = 0;
  for (const room of rooms) {
    for (const text of texts) {
      for (const clientId of clientIds) {
        for (const parent of parents) {
          for (const alsoInRoom of alsos) {
            for (const extra of extras) {
              const raw = JSON.parse(JSON.stringify({
                type: "send",
                room,
                text,
                clientId,
                parent,
                alsoInRoom,
                ...extra,
              }));
              const schema = clientFrame.safeParse(raw);
              const quick = parseSend(raw);
              tried++;
              if (quick) accepted++;
              // Accepted by hand exactly when the schema accepts, with the same frame.
              expect({ raw, quick }).toEqual({
                raw,
                quick: schema.success && schema.data.type === "send"
                  ? schema.data
                  : undefined,
              });
              expect(parseClientFrame(JSON.stringify(raw))).toEqual(
                schema.success
                  ? { ok: true, frame: schema.data }
                  : expect.objectContaining({ ok: false }),
              );
            }
          }
        }
      }
    }
  }
  expect(tried).toBe(9 * 7 * 7 * 10 * 6 * 3);
  expect(accepted).toBeGreaterThan(500);
  expect(parseSend(null)).toBeUndefined();
  expect(parseSend([])).toBeUndefined();
});

Deno.test("protocol - a clientId with control characters or broken UTF-16 is refused, by hand and by the schema", () => {
  const send = (clientId: string) =>
    JSON.stringify({ type: "send", room: "general", text: "hi", clientId });
  for (
    const bad of [
      "a\u0000b",
      "tab\there",
      "\u007f",
      "\u0085",
      "\ud800",
      "x\udc00y",
    ]
  ) {
    expect(parseSend(JSON.parse(send(bad)))).toBeUndefined();
    const r = parseClientFrame(send(bad));
    expect(r.ok ? null : r.error).toEqual(expect.objectContaining({
      code: "invalid_frame",
      message: expect.stringContaining("clientId may not hold control"),
    }));
  }
  for (const good of ["c1", "😀é-안녕", "k".repeat(64)]) {
    expect(parseSend(JSON.parse(send(good)))?.clientId).toBe(good);
  }
});

Deno.test("protocol - a members cursor with control characters or broken UTF-16 is refused, a normal one passes", () => {
  const members = (cursor: string) =>
    parseClientFrame(
      JSON.stringify({ type: "members", room: "general", cursor }),
    );
  for (const bad of ["m\u0000", "o1\n", "m\u0085x", "m\ud800", "m\udc00x"]) {
    const r = members(bad);
    expect(r.ok ? null : r.error).toEqual(expect.objectContaining({
      code: "invalid_frame",
      message: expect.stringContaining("Invalid field cursor"),
    }));
  }
  expect(members("m" + "k".repeat(200)).ok).toBe(false);
  for (const good of ["o50", "maccount:mina", "mguest:a1B2-_c3.d4"]) {
    expect(members(good)).toEqual({
      ok: true,
      frame: { type: "members", room: "general", cursor: good },
    });
  }
});
