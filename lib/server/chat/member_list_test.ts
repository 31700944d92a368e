import { expect } from "expect";
import type { PresenceStatus, PresenceUser } from "@/lib/shared/protocol.ts";
import type { Member, MemberRecords } from "@/lib/server/store/store.ts";
import {
  BadCursorError,
  memberPage,
  membersStartingWith,
  SEARCH_CANDIDATES,
} from "./member_list.ts";

/** Members k00…k(n-1) named u0…, in key order, as the store pages them. */
function records(n: number): MemberRecords {
  const all: Member[] = Array.from({ length: n }, (_, i) => ({
    key: `k${String(i).padStart(2, "0")}`,
    name: `u${i}`,
    guest: i % 2 === 1,
    joinedAt: i,
  }));
  const unused = () => Promise.reject(new Error("not used"));
  return {
    list: (_room, { after, limit }) => {
      const rest = all.filter((m) => after === undefined || m.key > after);
      const page = rest.slice(0, limit);
      return Promise.resolve({
        members: page,
        ...(rest.length > limit ? { next: page.at(-1)!.key } : {}),
      });
    },
    count: () => Promise.resolve(all.length),
    startingWith: (_room, prefix, limit) =>
      Promise.resolve(
        all.filter((m) => m.name.startsWith(prefix))
          .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
          .slice(0, limit),
      ),
    add: unused,
    remove: unused,
    get: unused,
    named: unused,
    roomsOf: unused,
  };
}

function presence(online: string[]) {
  return {
    onlineByName: (): PresenceUser[] =>
      online.map((name) => ({ name, guest: false })).sort((a, b) =>
        a.name < b.name ? -1 : 1
      ),
    status: (name: string): PresenceStatus =>
      name === "u7" ? "away" : online.includes(name) ? "online" : "offline",
  };
}

Deno.test("member list - online members first, then the others in key order, every member once across pages", async () => {
  const store = records(12);
  const view = presence(["u7", "u3", "u10"]);
  const seen: string[] = [];
  let cursor: string | undefined;
  const pages = [];
  do {
    const page = await memberPage(store, view, "r", cursor, 2);
    pages.push(page);
    expect(page.total).toBe(12);
    expect(page.online).toBe(3);
    seen.push(...page.users.map((u) => u.name));
    cursor = page.next;
  } while (cursor);
  expect(seen.slice(0, 3)).toEqual(["u10", "u3", "u7"]);
  expect(pages[0].users).toEqual([
    { name: "u10", guest: false, status: "online" },
    { name: "u3", guest: false, status: "online" },
  ]);
  expect(pages[1].users[0]).toMatchObject({ name: "u7", status: "away" });
  expect(pages[1].users[1]).toEqual({
    name: "u0",
    guest: false,
    status: "offline",
  });
  expect(seen.length).toBe(12);
  expect(new Set(seen).size).toBe(12);
  expect(pages.every((p) => p.users.length <= 2)).toBe(true);
});

Deno.test("member list - a cursor it did not make is refused", async () => {
  await expect(memberPage(records(3), presence([]), "r", "x1", 2)).rejects
    .toThrow(BadCursorError);
  const all = await memberPage(records(3), presence([]), "r", undefined, 50);
  expect(all.users.map((u) => u.name)).toEqual(["u0", "u1", "u2"]);
  expect(all.next).toBeUndefined();
});

Deno.test("member search - the name typed in full first, then online, away, offline, each in name order", async () => {
  const store = records(120);
  const view = presence(["u7", "u13", "u100"]);
  const names = async (prefix: string, limit: number) =>
    (await membersStartingWith(store, view, "r", prefix, limit)).map((u) =>
      `${u.name}:${u.status}`
    );
  expect(await names("u1", 5)).toEqual([
    "u1:offline",
    "u100:online",
    "u13:online",
    "u10:offline",
    "u101:offline",
  ]);
  expect(await names("u7", 3)).toEqual([
    "u7:away",
    "u70:offline",
    "u71:offline",
  ]);
  expect(await names("x", 5)).toEqual([]);
  // Only so many names are read and ranked, however many start so.
  let asked = 0;
  const counting: MemberRecords = {
    ...store,
    startingWith: (room, prefix, limit) => {
      asked = limit;
      return store.startingWith(room, prefix, limit);
    },
  };
  await membersStartingWith(counting, view, "r", "u", 8);
  expect(asked).toBe(SEARCH_CANDIDATES);
});

Deno.test("member list - a page the online members fill exactly goes on to the offline ones, whatever the page size", async () => {
  const store = records(12);
  const view = presence(["u7", "u3", "u10"]);
  for (const limit of [1, 3]) {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 20; n++) {
      const page = await memberPage(store, view, "r", cursor, limit);
      seen.push(...page.users.map((u) => u.name));
      cursor = page.next;
      if (cursor === undefined) break;
    }
    expect(seen.length).toBe(12);
    expect(new Set(seen).size).toBe(12);
    expect(seen.slice(0, 3)).toEqual(["u10", "u3", "u7"]);
  }
  // Everyone online: no page of nobody after them.
  const all = presence(Array.from({ length: 12 }, (_, i) => `u${i}`));
  const page = await memberPage(store, all, "r", "o9", 3);
  expect(page.users.length).toBe(3);
  expect(page.next).toBeUndefined();
});
