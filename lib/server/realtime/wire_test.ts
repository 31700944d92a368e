import { expect } from "expect";
import { type ChatMessage, serverFrame } from "@/lib/shared/protocol.ts";
import { messageData } from "./wire.ts";

const messages: ChatMessage[] = [
  { id: 1, room: "general", user: "mina", text: "hi", ts: 1_700_000_000_000 },
  {
    id: 2,
    room: "general",
    user: "손님",
    text: '안녕 👋 "quoted" \\ back',
    ts: 1_700_000_000_001,
    clientId: "c-2",
    guest: true,
  },
  {
    id: 3,
    room: "dev",
    user: "",
    text: "",
    ts: 1_700_000_000_002,
    event: { kind: "joined", users: ["mina"], count: 1 },
  },
  {
    id: 9,
    room: "dev",
    user: "jo",
    text: "reply",
    ts: 1_700_000_000_003,
    parent: 3,
    alsoInRoom: true,
    edited: true,
  },
];

Deno.test("wire - a native message frame is the message with its type in front", () => {
  for (const m of messages) {
    const data = messageData("v1", m);
    expect(data).toBe(JSON.stringify({ type: "message", ...m }));
    expect(serverFrame.parse(JSON.parse(data))).toEqual({
      type: "message",
      ...m,
    });
  }
});

Deno.test("wire - the original formats carry sender, text and room", () => {
  const m = messages[1];
  expect(JSON.parse(messageData("original_room", m))).toEqual({
    sender: m.user,
    message: m.text,
    room_id: m.room,
  });
  expect(messageData("original_client", m)).toBe(`${m.user}: ${m.text}`);
});
