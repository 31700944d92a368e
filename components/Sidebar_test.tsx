import { expect } from "expect";
import { renderToString } from "preact-render-to-string";
import type { MyRoom } from "@/lib/shared/protocol.ts";
import { roomLabel, Sidebar, unreadElsewhere } from "./Sidebar.tsx";

const room = (id: string, over: Partial<MyRoom> = {}): MyRoom => ({
  id,
  name: id,
  kind: "public",
  members: 2,
  online: 1,
  lastId: 5,
  lastRead: 5,
  unread: 0,
  mentions: 0,
  ...over,
});

Deno.test("Sidebar - rooms and DMs in their own sections, badges from the server's counts, none on the open room", () => {
  const html = renderToString(
    <Sidebar
      current="general"
      rooms={[
        room("general", { unread: 4 }),
        room("ops", { kind: "private", unread: 2, mentions: 1 }),
        room("dm-abc", { kind: "dm", name: "ben", unread: 1 }),
      ]}
    />,
  );
  const [rooms, dms] = html.split('id="dms-title"');
  expect(rooms).toContain('data-room="general"');
  expect(rooms).toContain('data-room="ops"');
  expect(rooms).not.toContain("dm-abc");
  expect(dms).toContain('data-room="dm-abc"');
  expect(dms).toContain("@ ben");
  expect(html).toContain('aria-label="2 unread, 1 mention">@1</span>');
  expect(html).toContain('aria-label="1 unread">1</span>');
  // The open room is being read: no badge.
  expect(html).not.toContain("4 unread");
  expect(html).toContain("Browse rooms");
  expect(html).toContain('name="private"');
});

Deno.test("Sidebar - rooms are named by kind", () => {
  expect(roomLabel({ kind: "public", name: "a" })).toBe("# a");
  expect(roomLabel({ kind: "private", name: "a" })).toBe("🔒 a");
  expect(roomLabel({ kind: "dm", name: "ben" })).toBe("@ ben");
});

Deno.test("Sidebar - what is unread elsewhere: rooms but the open one, those with a mention or a DM for the reader", () => {
  const rooms = [
    room("general", { unread: 4, mentions: 1 }),
    room("ops", { unread: 2 }),
    room("quiet"),
    room("dm-abc", { kind: "dm", name: "ben", unread: 1 }),
    room("design", { unread: 3, mentions: 2 }),
  ];
  expect(unreadElsewhere(rooms, "general")).toEqual({ rooms: 3, forYou: 2 });
  expect(unreadElsewhere(rooms.slice(0, 3), "general")).toEqual({
    rooms: 1,
    forYou: 0,
  });
  expect(unreadElsewhere([room("general")], "general")).toEqual({
    rooms: 0,
    forYou: 0,
  });
});

Deno.test("Sidebar - a closed DM is left out until a newer message, but for the open room; each DM has its close button", () => {
  const dms = (current: string) =>
    renderToString(
      <Sidebar
        current={current}
        onCloseDm={() => {}}
        rooms={[
          room("general"),
          room("dm-a", { kind: "dm", name: "ann", closed: 5 }),
          room("dm-b", { kind: "dm", name: "ben", closed: 4, unread: 1 }),
          room("dm-c", { kind: "dm", name: "cy" }),
        ]}
      />,
    ).split('id="dms-title"')[1];
  const shown = dms("general");
  expect(shown).not.toContain('data-room="dm-a"');
  expect(shown).toContain('data-room="dm-b"');
  expect(shown).toContain('data-room="dm-c"');
  expect(shown).toContain('aria-label="Close the conversation with ben"');
  expect(shown).toContain('aria-label="Close the conversation with cy"');
  // Opened by its link: shown while it is the open room.
  expect(dms("dm-a")).toContain('data-room="dm-a"');
});
