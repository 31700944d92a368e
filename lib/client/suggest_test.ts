import { expect } from "expect";
import type { MemberEntry, MyRoom } from "@/lib/shared/protocol.ts";
import { suggest, suggestMembers, suggestRooms } from "./suggest.ts";

const member = (
  name: string,
  status: MemberEntry["status"] = "online",
): MemberEntry => ({ name, guest: true, status });
const room = (id: string, kind: MyRoom["kind"] = "public"): MyRoom => ({
  id,
  name: id,
  kind,
  members: 2,
  online: 1,
  lastId: 0,
  lastRead: 0,
  unread: 0,
  mentions: 0,
});
const sources = {
  members: [
    member("mina"),
    member("bo"),
    member("Minho", "away"),
    member("jimin", "offline"),
    member("민아"),
  ],
  rooms: [room("general"), room("random"), room("dm-abc", "dm")],
  me: "bo",
  online: 3,
  directory: () => Promise.resolve([]),
};

Deno.test("suggest - members starting with the query first (any case), then those holding it; never oneself", () => {
  expect(suggestMembers(sources, "mi").map((s) => s.label)).toEqual([
    "mina",
    "Minho",
    "jimin",
  ]);
  expect(suggestMembers(sources, "MIN")[1]).toEqual({
    key: "@Minho",
    label: "Minho",
    insert: "@Minho ",
    hint: "away, guest",
  });
  expect(suggestMembers(sources, "민").map((s) => s.label)).toEqual(["민아"]);
  expect(suggestMembers(sources, "b")).toEqual([]);
});

Deno.test("suggest - @here closes the list on a bare @ and leads once typed towards", () => {
  const all = suggestMembers(sources, "");
  expect(all.map((s) => s.label)).toEqual([
    "mina",
    "Minho",
    "jimin",
    "민아",
    "here",
  ]);
  expect(all.at(-1)).toMatchObject({
    insert: "@here ",
    hint: "notify the 3 online",
  });
  expect(suggestMembers(sources, "he")[0].label).toBe("here");
});

Deno.test("suggest - rooms: one's own first, then the directory's, no DMs", () => {
  const directory = [
    { id: "random", name: "random", members: 9, online: 1 },
    { id: "rust", name: "rust", topic: "crabs", members: 1, online: 0 },
    { id: "ops-ra", name: "ops-ra", members: 3, online: 0 },
  ];
  expect(suggestRooms(sources.rooms, directory, "r")).toEqual([
    { key: "#random", label: "#random", insert: "#random ", hint: "joined" },
    { key: "#rust", label: "#rust", insert: "#rust ", hint: "crabs" },
    { key: "#ops-ra", label: "#ops-ra", insert: "#ops-ra ", hint: "3 members" },
    { key: "#general", label: "#general", insert: "#general ", hint: "joined" },
  ]);
  expect(suggestRooms(sources.rooms, [], "dm")).toEqual([]);
});

Deno.test("suggest - :smi suggests emoji by shortcode, inserting the emoji", async () => {
  const list = await suggest(
    { kind: ":", query: "smi", start: 0, end: 4 },
    sources,
  );
  expect(list.length).toBe(8);
  expect(list[0]).toEqual({
    key: ":smile",
    label: ":smile:",
    insert: "😄",
    icon: "😄",
  });
});
