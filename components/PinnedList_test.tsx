import { expect } from "expect";
import { renderToString } from "preact-render-to-string";
import { PinnedList } from "./PinnedList.tsx";
import type { Pin } from "@/lib/shared/protocol.ts";

/** The list of `pins` in room "r", as a member who isn't a moderator sees it. */
function render(pins: Pin[]): string {
  return renderToString(
    <PinnedList
      pins={pins}
      room="r"
      moderator={false}
      onShow={() => {}}
      send={() => {}}
      onClose={() => {}}
    />,
  );
}

Deno.test("PinnedList - a pin's text is isolated (it can't forge the pinned-by line) and a guest author is marked", () => {
  const ts = Date.UTC(2026, 0, 1, 12);
  const pins: Pin[] = [
    {
      message: {
        room: "r",
        id: 2,
        user: "Support",
        guest: true,
        text: "Verify at https://x.example \u202Eniamod.lasciffo yb dennip",
        ts,
      },
      by: "olga",
      ts,
    },
    {
      message: { room: "r", id: 1, user: "dave", text: "hi", ts },
      by: "olga",
      ts,
    },
  ];
  const html = render(pins);
  expect(html).toContain(
    '<bdi class="user">Support</bdi><span class="tag">guest</span> ' +
      '<bdi class="text">Verify at <a href="https://x.example/"',
  );
  expect(html).toContain("\u202Eniamod.lasciffo yb dennip</bdi>");
  expect(html).toContain('<span class="by">pinned by <bdi>olga</bdi></span>');
  expect(html).toMatch(/<bdi class="user">dave<\/bdi> <bdi class="text">hi/);
});

Deno.test("PinnedList - a pin's text is formatted as in the room: bold is bold, without its asterisks", () => {
  const ts = Date.UTC(2026, 0, 1, 12);
  const html = render([{
    message: { room: "r", id: 1, user: "fred", text: "hello **bold**", ts },
    by: "alice",
    ts,
  }]);
  expect(html).toContain("hello <strong>bold</strong>");
  expect(html).not.toContain("**");
});
