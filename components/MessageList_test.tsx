import { expect } from "expect";
import { renderToString } from "preact-render-to-string";
import { MessageList } from "./MessageList.tsx";
import type { Item } from "@/lib/client/chat_store.ts";

Deno.test("MessageList - a guest's name is marked as a guest's and isolated; an account's is not marked", () => {
  const ts = Date.UTC(2026, 0, 1, 12);
  const items: Item[] = [
    { kind: "message", id: 1, room: "r", user: "dave", text: "hi", ts },
    {
      kind: "message",
      id: 2,
      room: "r",
      user: "bob",
      text: "hi",
      ts: ts + 600_000,
      guest: true,
    },
  ];
  const html = renderToString(
    <MessageList items={items} pending={[]} me="me" />,
  );
  expect(html).toMatch(
    /<bdi class="user">dave<\/bdi>(?!<span class="tag">guest)/,
  );
  expect(html).toContain(
    '<bdi class="user">bob</bdi><span class="tag">guest</span>',
  );
});

Deno.test("MessageList - the New divider, membership events as lines, mentions of the reader on the whole row", () => {
  const ts = Date.UTC(2026, 0, 1, 12);
  const items: Item[] = [
    { kind: "message", id: 1, room: "r", user: "dave", text: "hi", ts },
    {
      kind: "message",
      id: 2,
      room: "r",
      user: "",
      text: "mina and 2 others joined",
      ts,
      event: { kind: "joined", users: ["mina", "bo", "cy"], count: 3 },
    },
    { kind: "message", id: 3, room: "r", user: "dave", text: "hey @me", ts },
  ];
  const html = renderToString(
    <MessageList items={items} pending={[]} me="me" newAfter={1} />,
  );
  expect(html).toMatch(
    /data-id="1".*<li class="notice event" data-id="2">mina and 2 others joined .*<li class="new-divider" id="new-divider"><span>New<\/span><\/li><li class="msg mentions-me" data-id="3"/,
  );
  expect(html).toContain('class="msg mentions-me" data-id="3"');
  expect(html).not.toContain('<bdi class="user"></bdi>');
  const read = renderToString(
    <MessageList items={items} pending={[]} me="me" newAfter={3} />,
  );
  expect(read).not.toContain("new-divider");
  // Only membership events unread: no divider.
  const events = renderToString(
    <MessageList items={items.slice(0, 2)} pending={[]} me="me" newAfter={1} />,
  );
  expect(events).not.toContain("new-divider");
});

Deno.test("MessageList - a file's message shows its name on its card only; a text beside a file shows too", () => {
  const ts = Date.UTC(2026, 0, 1, 12);
  const file = {
    id: "f1",
    name: "report.pdf",
    size: 2048,
    type: "application/pdf",
  };
  const items: Item[] = [
    {
      kind: "message",
      id: 1,
      room: "r",
      user: "ana",
      text: file.name,
      ts,
      file,
    },
    {
      kind: "message",
      id: 2,
      room: "r",
      user: "ana",
      text: "see the report",
      ts,
      file: { ...file, id: "f2" },
    },
  ];
  const html = renderToString(
    <MessageList items={items} pending={[]} me="me" />,
  );
  const [first, second] = html.split('data-id="2"');
  expect(first).toContain('<span class="body"></span>');
  expect(first).toContain("/api/files/f1");
  expect(second).toMatch(/<span class="body">[^]*see the report[^]*<\/span>/);
  expect(second).toContain("/api/files/f2");
});
