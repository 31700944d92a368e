import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import type {
  DirectoryRoom,
  MemberEntry,
  MyRoom,
} from "@/lib/shared/protocol.ts";
import {
  ASK_AFTER_MS,
  type Sources,
  suggest,
  type Suggestion,
  suggestMembers,
  suggestRooms,
} from "./suggest.ts";

const member = (
  name: string,
  status: MemberEntry["status"] = "online",
): MemberEntry => ({ name, guest: true, status });
const room = (
  id: string,
  kind: MyRoom["kind"] = "public",
  members = 2,
): MyRoom => ({
  id,
  name: id,
  kind,
  members,
  online: 1,
  lastId: 0,
  lastRead: 0,
  unread: 0,
  mentions: 0,
});
const sources: Sources = {
  room: "general",
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
  directory: () => Promise.resolve({ rooms: [] }),
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

Deno.test("suggest - a query with - or . still matches: names hold them", () => {
  const hyphens = {
    ...sources,
    members: [member("zed-x"), member("ana-2"), member("mary.jane")],
  };
  expect(suggestMembers(hyphens, "zed-").map((s) => s.label)).toEqual([
    "zed-x",
  ]);
  expect(suggestMembers(hyphens, "-2").map((s) => s.label)).toEqual([
    "ana-2",
  ]);
  expect(suggestMembers(hyphens, ".jane").map((s) => s.label)).toEqual([
    "mary.jane",
  ]);
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

/** Runs `fn` with fake timers and `fetch` answering `answer(url)`; returns the URLs asked. */
async function withServer(
  answer: (url: URL) => unknown,
  fn: (clock: ReturnType<typeof FakeTimers.install>) => Promise<void>,
): Promise<string[]> {
  const asked: string[] = [];
  const real = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request) => {
    const url = new URL(String(input), "http://chat.test");
    asked.push(url.pathname + url.search);
    return Promise.resolve(Response.json(answer(url)));
  };
  const clock = FakeTimers.install({
    toFake: ["setTimeout", "clearTimeout", "Date"],
  });
  try {
    await fn(clock);
  } finally {
    clock.uninstall();
    globalThis.fetch = real;
  }
  return asked;
}

Deno.test("suggest - a room bigger than its loaded members asks the server once typing pauses, and merges the answer", async () => {
  const big: Sources = {
    ...sources,
    room: "big",
    rooms: [room("big", "public", 300)],
    members: [member("zed"), member("bo")],
  };
  const zara = { name: "Zara", guest: false, status: "offline" };
  const asked = await withServer(
    (url) => ({
      users: url.searchParams.get("prefix") === "za"
        ? [zara, { name: "zed", guest: true, status: "online" }, { bad: 1 }]
        : [],
    }),
    async (clock) => {
      const more: Suggestion[][] = [];
      const type = (query: string) =>
        suggest(
          { kind: "@", query, start: 0, end: query.length + 1 },
          big,
          (items) => more.push(items),
        );
      // Typed fast: one request, for what was typed last.
      expect((await type("z")).map((s) => s.label)).toEqual(["zed"]);
      clock.tick(ASK_AFTER_MS / 2);
      expect(await type("za")).toEqual([]);
      await clock.tickAsync(ASK_AFTER_MS);
      expect(more.length).toBe(1);
      expect(more[0].map((s) => [s.label, s.hint])).toEqual([
        ["Zara", "offline"],
      ]);
      // Its answer held every match: a longer prefix needs no request.
      expect((await type("ZAR")).map((s) => s.label)).toEqual(["Zara"]);
      expect((await type("zax")).map((s) => s.label)).toEqual([]);
      await clock.tickAsync(ASK_AFTER_MS * 2);
      expect(more.length).toBe(1);
    },
  );
  expect(asked).toEqual(["/api/rooms/big/members?prefix=za&limit=8"]);
});

Deno.test("suggest - a room whose members are all loaded, or a bare @, asks nothing", async () => {
  const asked = await withServer(() => ({ users: [] }), async (clock) => {
    const all = { ...sources, rooms: [room("general", "public", 5)] };
    await suggest({ kind: "@", query: "mi", start: 0, end: 3 }, all);
    const big = { ...sources, rooms: [room("general", "public", 500)] };
    await suggest({ kind: "@", query: "", start: 0, end: 1 }, big);
    await clock.tickAsync(ASK_AFTER_MS * 2);
  });
  expect(asked).toEqual([]);
});

Deno.test("suggest - # asks the directory by prefix when it has more rooms than its first page", async () => {
  const calls: unknown[][] = [];
  const dev = (id: string): DirectoryRoom => ({
    id,
    name: id,
    members: 1,
    online: 0,
  });
  const long: Sources = {
    ...sources,
    rooms: [],
    directory: (...args) => {
      calls.push(args);
      return Promise.resolve(
        args[2] === "zz"
          ? { rooms: [dev("zz-last")] }
          : { rooms: [dev("alpha"), dev("zz-first")], next: "zz-first" },
      );
    },
  };
  await withServer(() => ({}), async (clock) => {
    const more: Suggestion[][] = [];
    const list = await suggest(
      { kind: "#", query: "zz", start: 0, end: 3 },
      long,
      (items) => more.push(items),
    );
    expect(list.map((s) => s.label)).toEqual(["#zz-first"]);
    await clock.tickAsync(ASK_AFTER_MS);
    expect(more[0].map((s) => s.label)).toEqual(["#zz-first", "#zz-last"]);
  });
  expect(calls).toEqual([[undefined, 200], [undefined, 8, "zz"]]);
});
