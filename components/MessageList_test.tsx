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
