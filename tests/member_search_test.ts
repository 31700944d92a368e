/**
 * `@` and `#` completion in rooms too big to load, over a real server: the
 * member search (`GET /api/rooms/{room}/members?prefix=`) finds a member of
 * a room of hundreds whom the first page of `members` left out, online
 * members first, on Deno KV and on PostgreSQL; a private room's members
 * only; the directory finds rooms by the start of their id past the 200 a
 * page holds; bad input is a 400 that says what was expected.
 */
import { expect } from "expect";
import { withServer } from "@/tests/helpers/server.ts";
import type { Frame } from "@/tests/helpers/ws_client.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";
import { account, join, open, welcome } from "@/tests/helpers/members.ts";

/** The member search's answer for `query` in `room`, with the status. */
async function search(
  s: { url: string },
  room: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Frame }> {
  const res = await fetch(`${s.url}/api/rooms/${room}/members?${query}`, {
    headers,
  });
  return { status: res.status, body: await res.json() };
}

const names = (body: Frame) => (body.users as Frame[]).map((u) => u.name);

async function bigRoom(env: Record<string, string>) {
  await withServer(env, async (s) => {
    const cookie = await account(s, "owner");
    const owner = await open(s, "owner", { cookie });
    owner.send({ type: "create", room: "big" });
    await owner.next("room", (f) => (f.room as Frame).id === "big");
    // 300 members who joined earlier; keys sort "zara" and "zed" last.
    await Promise.all([
      ...Array.from({ length: 300 }, (_, i) =>
        s.chat.store.members.add("big", {
          key: `k${String(i).padStart(3, "0")}`,
          name: `user${i}`,
          guest: false,
        })),
      s.chat.store.members.add("big", {
        key: "zz-zara",
        name: "Zara",
        guest: false,
      }),
      s.chat.store.members.add("big", {
        key: "zz-zebra",
        name: "zebra",
        guest: true,
      }),
    ]);
    // zed comes online as a member (a guest, joining over the socket).
    const zed = await open(s, "zed");
    await join(zed, "big");
    owner.send({ type: "members", room: "big" });
    const page = await owner.next("members", (f) => f.room === "big");
    expect(page.total).toBe(304);
    const firstPage = (page.users as Frame[]).map((u) => u.name);
    expect(firstPage.length).toBe(50);
    expect(firstPage).not.toContain("Zara");
    expect(firstPage).not.toContain("zebra");

    // Found by the start of the name, in any case or width.
    for (const prefix of ["zar", "ZAR", "ｚａｒ", "Zara"]) {
      const { status, body } = await search(
        s,
        "big",
        `prefix=${encodeURIComponent(prefix)}`,
      );
      expect(status).toBe(200);
      expect(body).toEqual({
        users: [{ name: "Zara", guest: false, status: "offline" }],
      });
    }
    // Online first ("zed" before "zebra"), however the names sort.
    expect((await search(s, "big", "prefix=ze")).body.users).toEqual([
      { name: "zed", guest: true, status: "online" },
      { name: "zebra", guest: true, status: "offline" },
    ]);
    // The name typed in full comes first, online or not.
    expect(names((await search(s, "big", "prefix=zebra")).body)).toEqual([
      "zebra",
    ]);
    // At most `limit` (default 8), in name order.
    expect(names((await search(s, "big", "prefix=user29")).body)).toEqual([
      "user29",
      "user290",
      "user291",
      "user292",
      "user293",
      "user294",
      "user295",
      "user296",
    ]);
    expect(names((await search(s, "big", "prefix=user1&limit=2")).body))
      .toEqual(["user1", "user10"]);
    expect((await search(s, "big", "prefix=nobody")).body).toEqual({
      users: [],
    });
    await Promise.all([owner.close(), zed.close()]);
  });
}

Deno.test("member search - a room of 300: a prefix finds members the first page left out, online first (Deno KV)", async () => {
  await bigRoom({});
});

Deno.test("member search - a room of 300: a prefix finds members the first page left out, online first (PostgreSQL)", async () => {
  await using pg = await startPostgres();
  await bigRoom({ DATABASE_URL: await pg.createDatabase("member_search") });
});

Deno.test("member search - a private room answers its members only; bad input is a 400 saying what was expected", async () => {
  await withServer({}, async (s) => {
    const ownerCookie = await account(s, "owner");
    const owner = await open(s, "owner", { cookie: ownerCookie });
    owner.send({ type: "create", room: "secret", private: true });
    await owner.next("room", (f) => (f.room as Frame).id === "secret");
    const eveCookie = await account(s, "eve");
    const gus = await open(s, "gus");
    const gusToken = welcome(gus).token as string;
    const outsiders: Record<string, string>[] = [
      {},
      { cookie: eveCookie },
      { "x-guest-token": gusToken },
    ];
    for (const headers of outsiders) {
      const { status, body } = await search(s, "secret", "prefix=o", headers);
      expect(status).toBe(404);
      expect(body.error).toEqual({
        status: 404,
        message: "No such room: secret",
      });
    }
    expect((await search(s, "nowhere", "prefix=o")).status).toBe(404);
    const own = await search(s, "secret", "prefix=o", { cookie: ownerCookie });
    expect(own.status).toBe(200);
    expect(names(own.body)).toEqual(["owner"]);
    owner.send({ type: "invite", room: "secret", user: "gus" });
    await gus.next("room", (f) => (f.room as Frame).id === "secret");
    const invited = await search(s, "secret", "prefix=", {
      "x-guest-token": gusToken,
    });
    expect(names(invited.body).sort()).toEqual(["gus", "owner"]);

    const bad: [string, string][] = [
      ["", "Missing prefix: the start of a name"],
      [
        `prefix=${"a".repeat(33)}`,
        "Invalid prefix: longer than 32 characters",
      ],
      [
        "prefix=a%20b",
        "Invalid prefix: names hold letters, digits, _, - and . only",
      ],
      [
        "prefix=%3Cb%3E",
        "Invalid prefix: names hold letters, digits, _, - and . only",
      ],
      ["prefix=a&limit=0", "Invalid limit: expected an integer from 1 to 20"],
      ["prefix=a&limit=21", "Invalid limit: expected an integer from 1 to 20"],
      ["prefix=a&limit=x", "Invalid limit: expected an integer from 1 to 20"],
    ];
    for (const [query, message] of bad) {
      const { status, body } = await search(s, "general", query);
      expect({ query, status, body }).toEqual({
        query,
        status: 400,
        body: { error: { status: 400, message } },
      });
    }
    await Promise.all([owner.close(), gus.close()]);
  });
});

Deno.test("directory - a prefix finds public rooms past the first 200, by the start of their id, paged", async () => {
  await withServer({}, async (s) => {
    for (let i = 0; i < 250; i++) {
      await s.chat.store.createRoom(`room-${String(i).padStart(3, "0")}`);
    }
    await s.chat.store.createRoom("zz-last");
    await s.chat.store.createRoom("zz-hidden", {}, { kind: "private" });
    const get = async (query: string) => {
      const res = await fetch(`${s.url}/api/directory?${query}`);
      return { status: res.status, body: await res.json() };
    };
    const first = await get("limit=200");
    expect(first.body.rooms.map((r: Frame) => r.id)).not.toContain("zz-last");
    expect((await get("prefix=zz&limit=8")).body).toEqual({
      rooms: [{ id: "zz-last", name: "zz-last", members: 0, online: 0 }],
    });
    expect((await get("prefix=ZZ")).body.rooms.map((r: Frame) => r.id))
      .toEqual(["zz-last"]);
    const page = await get("prefix=room-24&limit=5");
    expect(page.body.rooms.map((r: Frame) => r.id)).toEqual([
      "room-240",
      "room-241",
      "room-242",
      "room-243",
      "room-244",
    ]);
    const rest = await get(`prefix=room-24&limit=5&cursor=${page.body.next}`);
    expect(rest.body.rooms.map((r: Frame) => r.id)).toEqual([
      "room-245",
      "room-246",
      "room-247",
      "room-248",
      "room-249",
    ]);
    expect(rest.body.next).toBeUndefined();
    for (const prefix of ["a%20b", "%23dev", "x".repeat(33)]) {
      const { status, body } = await get(`prefix=${prefix}`);
      expect(status).toBe(400);
      expect(body.error.message).toBe(
        "Invalid prefix: room ids hold up to 32 of a-z, 0-9, _ and -",
      );
    }
  });
});
