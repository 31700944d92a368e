/**
 * Private rooms, direct messages and read state over real sockets: a
 * non-member can't read a private room through the history API or the
 * socket; its owner invites and removes; a DM between two accounts is
 * started, written, counted unread and read; reading in one tab clears the
 * count in the person's other tabs.
 */
import { expect } from "expect";
import { withServer } from "@/tests/helpers/server.ts";
import { dmRoomId } from "@/lib/server/chat/dm.ts";
import type { Client, Frame } from "@/tests/helpers/ws_client.ts";
import {
  account,
  createPrivate,
  errorFor,
  history,
  invite,
  join,
  open,
  say,
  welcome,
  welcomeRooms,
} from "@/tests/helpers/members.ts";

Deno.test("private rooms - non-members get 404 from the history API and no_such_room on the socket, as for no room; invite and remove", async () => {
  await withServer({}, async (s) => {
    const ownerCookie = await account(s, "owner");
    const owner = await open(s, "owner", { cookie: ownerCookie });
    owner.send({ type: "create", room: "secret", private: true });
    const made = await owner.next(
      "room",
      (f) => (f.room as Frame).id === "secret",
    );
    expect(made.room).toMatchObject({ kind: "private", members: 1 });
    await join(owner, "secret");
    await say(owner, "secret", "the plan");

    const eveCookie = await account(s, "eve");
    const eve = await open(s, "eve", { cookie: eveCookie });
    const gus = await open(s, "gus");
    const gusToken = welcome(gus).token as string;
    const outsiders: Record<string, string>[] = [
      {},
      { cookie: eveCookie },
      { "x-guest-token": gusToken },
    ];
    for (const headers of outsiders) {
      const page = await history(s, "secret", headers);
      expect(page.status).toBe(404);
      expect(page.messages).toEqual([]);
    }
    expect((await history(s, "secret", { cookie: ownerCookie })).status).toBe(
      200,
    );
    // Nor does the room's page carry its messages.
    for (const cookie of [undefined, eveCookie]) {
      const res = await fetch(`${s.url}/rooms/secret`, {
        headers: cookie ? { cookie } : {},
      });
      expect(await res.text()).not.toContain("the plan");
    }
    const own = await fetch(`${s.url}/rooms/secret`, {
      headers: { cookie: ownerCookie },
    });
    expect(await own.text()).toContain("the plan");
    const refused: Frame[] = [
      { type: "join", room: "secret" },
      { type: "view", room: "secret" },
      { type: "members", room: "secret" },
      { type: "send", room: "secret", text: "let me in", clientId: "e1" },
      { type: "typing", room: "secret", typing: true },
      { type: "edit", room: "secret", id: 1, text: "mine now" },
      { type: "delete", room: "secret", id: 1 },
    ];
    for (const frame of refused) {
      eve.send(frame);
      expect((await errorFor(eve, frame.type!, "secret")).code).toBe(
        "no_such_room",
      );
    }
    expect(eve.of("message")).toEqual([]);
    const listed = await (await fetch(`${s.url}/api/rooms`)).json();
    expect(listed.rooms.some((r: Frame) => r.id === "secret")).toBe(false);

    // Only the owner (or a moderator) invites; a guest is invited by name.
    // To eve, outside it, the room doesn't exist.
    eve.send({ type: "invite", room: "secret", user: "gus" });
    expect((await errorFor(eve, "invite")).code).toBe("no_such_room");
    owner.send({ type: "invite", room: "secret", user: "nobody" });
    expect((await errorFor(owner, "invite")).code).toBe("no_such_user");
    owner.send({ type: "invite", room: "secret", user: "eve" });
    owner.send({ type: "invite", room: "secret", user: "gus" });
    const invited = await eve.next(
      "room",
      (f) => (f.room as Frame).id === "secret",
    );
    expect(invited.room).toMatchObject({ kind: "private", unread: 0 });
    await gus.next("room", (f) => (f.room as Frame).id === "secret");
    expect((await history(s, "secret", { cookie: eveCookie })).status).toBe(
      200,
    );
    expect(
      (await history(s, "secret", { "x-guest-token": gusToken })).status,
    ).toBe(200);
    await join(eve, "secret");
    await say(eve, "secret", "thanks");
    eve.send({ type: "members", room: "secret" });
    const members = await eve.next("members");
    expect(members.total).toBe(3);
    expect((members.users as Frame[]).map((u) => u.name).sort()).toEqual([
      "eve",
      "gus",
      "owner",
    ]);

    // Removed: told so, and locked out again, on every tab.
    const eveTab = await open(s, "eve", { cookie: eveCookie });
    expect(welcomeRooms(eveTab).has("secret")).toBe(true);
    owner.send({ type: "remove", room: "secret", user: "eve" });
    expect(await eve.next("left", (f) => f.room === "secret")).toMatchObject({
      reason: "removed",
    });
    await say(owner, "secret", "eve is gone");
    eve.send({ type: "send", room: "secret", text: "hey", clientId: "e2" });
    expect((await errorFor(eve, "send", "secret")).code).toBe("no_such_room");
    expect(eve.of("message").some((m) => m.text === "eve is gone")).toBe(
      false,
    );
    expect((await history(s, "secret", { cookie: eveCookie })).status).toBe(
      404,
    );
    eveTab.send({ type: "join", room: "secret" });
    expect((await errorFor(eveTab, "join", "secret")).code).toBe(
      "no_such_room",
    );
    expect(
      welcomeRooms(await open(s, "eve", { cookie: eveCookie })).has("secret"),
    )
      .toBe(false);
    owner.send({ type: "remove", room: "secret", user: "eve" });
    expect((await errorFor(owner, "remove")).code).toBe("not_member");
    // The owner may leave and come back; nobody invites into a public room.
    owner.send({ type: "leave", room: "secret" });
    await owner.next("left", (f) => f.room === "secret");
    await join(owner, "secret");
    owner.send({ type: "invite", room: "general", user: "eve" });
    expect((await errorFor(owner, "invite", "general")).code).toBe(
      "forbidden",
    );
    await Promise.all([owner, eve, eveTab, gus].map((c) => c.close()));
  });
});

Deno.test("private rooms - every frame naming a room that does not exist answers no_such_room, as join does, and so does one naming a private room to someone outside it", async () => {
  await withServer(
    { RATE_PER_SECOND: "1000", RATE_BURST: "1000" },
    async (s) => {
      const ownerCookie = await account(s, "owner");
      const owner = await open(s, "owner", { cookie: ownerCookie });
      owner.send({ type: "create", room: "secret", private: true });
      await owner.next("room", (f) => (f.room as Frame).id === "secret");
      const eve = await open(s, "eve", { cookie: await account(s, "eve") });
      const frames = (room: string): Frame[] => [
        { type: "send", room, text: "hi", clientId: `c-${room}` },
        { type: "edit", room, id: 1, text: "x" },
        { type: "typing", room, typing: true },
        { type: "delete", room, id: 1 },
        { type: "react", room, id: 1, emoji: "👍" },
        { type: "unreact", room, id: 1, emoji: "👍" },
        { type: "reactions", room, ids: [1] },
        { type: "pin", room, id: 1 },
        { type: "unpin", room, id: 1 },
        { type: "pins", room },
        { type: "topic", room, topic: "t" },
        { type: "thread", room, id: 1 },
        { type: "join", room },
        { type: "view", room },
        { type: "members", room },
        { type: "read", room, id: 1 },
        { type: "kick", room, user: "owner" },
        { type: "invite", room, user: "eve" },
        { type: "remove", room, user: "owner" },
        { type: "delete_room", room },
      ];
      const answers = async (room: string) => {
        const out: Record<string, unknown> = {};
        for (const frame of frames(room)) {
          eve.send(frame);
          const e = await errorFor(eve, frame.type as string, room);
          out[frame.type as string] = e.code;
          eve.frames.splice(eve.frames.indexOf(e), 1);
        }
        return out;
      };
      const everyOne = (code: string) =>
        Object.fromEntries(frames("x").map((f) => [f.type, code]));
      expect(await answers("nowhere")).toEqual(everyOne("no_such_room"));
      // A private room is one that doesn't exist to those outside it, and
      // so is a DM (whose id anyone can work out).
      expect(await answers("secret")).toEqual(everyOne("no_such_room"));
      const bo = await open(s, "bo", { cookie: await account(s, "bo") });
      owner.send({ type: "dm", user: "bo" });
      const dm =
        ((await owner.next("room", (f) => (f.room as Frame).kind === "dm"))
          .room as Frame).id as string;
      expect(await answers(dm)).toEqual(everyOne("no_such_room"));
      eve.send({ type: "leave", room: dm });
      expect((await errorFor(eve, "leave", dm)).code).toBe("no_such_room");
      await Promise.all([owner.close(), eve.close(), bo.close()]);
    },
  );
});

Deno.test("dm - start, send, unread on the other side, read clears it; accounts only", async () => {
  await withServer({}, async (s) => {
    const anaCookie = await account(s, "ana");
    const boCookie = await account(s, "bo");
    const ana = await open(s, "ana", { cookie: anaCookie });
    const bo = await open(s, "bo", { cookie: boCookie });
    ana.send({ type: "dm", user: "BO" });
    const mine = (await ana.next("room", (f) =>
      (f.room as Frame).kind === "dm")).room as Frame;
    const theirs = (await bo.next("room", (f) =>
      (f.room as Frame).kind === "dm")).room as Frame;
    expect(mine.id).toBe(theirs.id);
    expect(mine.id).toMatch(/^dm-[a-z2-7]{24}$/);
    expect(mine).toMatchObject({ name: "bo", members: 2 });
    expect(theirs).toMatchObject({ name: "ana", members: 2 });
    const dm = mine.id as string;
    await join(ana, dm);
    await say(ana, dm, "hi bo");
    await say(ana, dm, "are you there?");
    // Bo reconnects: the DM is listed with both messages unread.
    await bo.close();
    const bo2 = await open(s, "bo", { cookie: boCookie });
    expect(welcomeRooms(bo2).get(dm)).toMatchObject({
      kind: "dm",
      name: "ana",
      lastId: 2,
      lastRead: 0,
      unread: 2,
    });
    await join(bo2, dm);
    bo2.send({ type: "read", room: dm, id: 2 });
    expect(
      await bo2.next("read", (f) =>
        f.room === dm),
    ).toEqual({
      type: "read",
      room: dm,
      lastRead: 2,
      unread: 0,
      mentions: 0,
      lastId: 2,
    });
    // Opening it again finds the same room, and nobody else can read it.
    ana.send({ type: "dm", user: "bo" });
    const reopened = await ana.until(() =>
      ana.of("room").filter((f) =>
        (f.room as Frame).id === dm
      )[1]
    );
    expect((reopened.room as Frame).unread).toBe(0);
    const eveCookie = await account(s, "eve");
    expect((await history(s, dm, { cookie: eveCookie })).status).toBe(404);
    const gus = await open(s, "gus");
    gus.send({ type: "dm", user: "ana" });
    expect((await errorFor(gus, "dm")).code).toBe("forbidden");
    ana.send({ type: "dm", user: "gus" });
    expect((await errorFor(ana, "dm")).code).toBe("no_such_user");
    // A DM can't be left: bo stays in it and gets what ana writes next,
    // and it is still named after ana for him.
    bo2.send({ type: "leave", room: dm });
    expect(await errorFor(bo2, "leave", dm)).toMatchObject({
      code: "forbidden",
      message:
        "A direct message can't be left: it stays between the two of you (close it to take it out of your list)",
    });
    await say(ana, dm, "still here?");
    await bo2.next("message", (f) => f.text === "still here?");
    const bo3 = await open(s, "bo", { cookie: boCookie });
    expect(welcomeRooms(bo3).get(dm)).toMatchObject({ name: "ana" });
    await Promise.all([ana.close(), bo2.close(), bo3.close(), gus.close()]);
  });
});

Deno.test("dm - closing a DM reads it and takes it out of the person's list on every tab; a newer message or opening it again brings it back; only DMs close", async () => {
  await withServer({}, async (s) => {
    const anaCookie = await account(s, "ana");
    const boCookie = await account(s, "bo");
    const ana = await open(s, "ana", { cookie: anaCookie });
    const tab2 = await open(s, "ana", { cookie: anaCookie });
    const bo = await open(s, "bo", { cookie: boCookie });
    ana.send({ type: "dm", user: "bo" });
    const dm = ((await ana.next("room", (f) => (f.room as Frame).kind === "dm"))
      .room as Frame).id as string;
    await join(bo, dm);
    await join(ana, dm);
    const hi = await say(bo, dm, "hi ana");
    // How a new tab of `cookie`'s account lists the DM.
    const listed = async (cookie: string) => {
      const c = await open(s, "x", { cookie });
      const room = welcomeRooms(c).get(dm);
      await c.close();
      return room;
    };
    const dmRooms = (c: Client) =>
      c.of("room").map((f) => f.room as Frame).filter((r) => r.id === dm);
    // Closed in one tab: read, and closed at its newest message in both.
    ana.send({ type: "close_dm", room: dm });
    for (const c of [ana, tab2]) {
      const closed = await c.until(() =>
        dmRooms(c).find((r) => r.closed !== undefined)
      );
      expect(closed).toMatchObject({ closed: hi, lastId: hi, unread: 0 });
      await c.next("read", (f) => f.room === dm && f.lastRead === hi);
    }
    expect(await listed(anaCookie))
      .toMatchObject({ closed: hi, lastId: hi, unread: 0 });
    // Bo's side is his own: still listed, not closed.
    const bos = await listed(boCookie);
    expect(bos).toMatchObject({ kind: "dm", lastId: hi });
    expect(bos).not.toHaveProperty("closed");
    // A newer message still reaches the tab (its list shows the DM again).
    const again = await say(bo, dm, "you there?");
    await ana.next("message", (f) => f.room === dm && f.id === again);
    expect(await listed(anaCookie))
      .toMatchObject({ closed: hi, lastId: again, unread: 1 });
    // Opened again by ana: no longer closed, in every tab.
    const told = dmRooms(tab2).length;
    ana.send({ type: "dm", user: "bo" });
    const reopened = await tab2.until(() => dmRooms(tab2)[told]);
    expect(reopened).not.toHaveProperty("closed");
    const opened = await listed(anaCookie);
    expect(opened).toMatchObject({ kind: "dm", lastId: again });
    expect(opened).not.toHaveProperty("closed");
    // Only DMs close; a DM is none to those outside it.
    ana.send({ type: "close_dm", room: "general" });
    expect(await errorFor(ana, "close_dm", "general")).toMatchObject({
      code: "forbidden",
      message: "Only a direct message can be closed: leave a room instead",
    });
    const eve = await open(s, "eve", { cookie: await account(s, "eve") });
    const gus = await open(s, "gus");
    for (const c of [eve, gus]) {
      for (const room of [dm, "nowhere"]) {
        c.send({ type: "close_dm", room });
        expect((await errorFor(c, "close_dm", room)).code).toBe(
          "no_such_room",
        );
      }
    }
    await Promise.all(
      [ana, tab2, bo, eve, gus].map((c) => c.close()),
    );
  });
});

Deno.test("dm - a DM's id can't be taken by creating a room under it; one made so before is never used as the DM", async () => {
  await withServer({}, async (s) => {
    const anaCookie = await account(s, "ana");
    await account(s, "bo");
    const ana = await open(s, "ana", { cookie: anaCookie });
    const mallory = await open(s, "mallory");
    const id = dmRoomId("account:ana", "account:bo");
    for (const room of [id, "dm-lobby"]) {
      mallory.send({ type: "create", room });
      const refused = await errorFor(mallory, "create");
      expect(refused.code).toBe("invalid_frame");
      expect(refused.message).toContain('"dm-" starts direct messages only');
    }
    expect((await history(s, id)).status).toBe(404);
    // A public room under that id, as a server without the check made it.
    await s.chat.store.createRoom(id, { owner: null, name: "mallory" }, {
      kind: "public",
    });
    ana.send({ type: "dm", user: "bo" });
    expect((await errorFor(ana, "dm")).code).toBe("forbidden");
    expect(ana.of("room").some((f) => (f.room as Frame).id === id)).toBe(
      false,
    );
    await Promise.all([ana.close(), mallory.close()]);
  });
});

Deno.test("dm - DMs don't count toward MAX_ROOMS; new DMs per account are limited, reopening one is not", async () => {
  await withServer({
    CHAT_ROOMS: "lobby",
    MAX_ROOMS: "2",
    MAX_NEW_DMS_PER_HOUR: "3",
  }, async (s) => {
    const anaCookie = await account(s, "ana");
    for (const name of ["bo", "cy", "di", "ed"]) await account(s, name);
    const ana = await open(s, "ana", { cookie: anaCookie });
    const dmWith = async (name: string) => {
      const id = dmRoomId("account:ana", `account:${name}`);
      ana.send({ type: "dm", user: name });
      await ana.next("room", (f) => (f.room as Frame).id === id);
      return id;
    };
    // Three DMs and a configured room: still room for one more room.
    const first = await dmWith("bo");
    await dmWith("cy");
    await dmWith("di");
    ana.send({ type: "create", room: "plans" });
    await ana.next("room", (f) => (f.room as Frame).id === "plans");
    ana.send({ type: "create", room: "more-plans" });
    expect((await errorFor(ana, "create")).code).toBe("room_limit");
    // The hour's three new DMs are spent; opening an existing one is free.
    ana.send({ type: "dm", user: "ed" });
    const refused = await errorFor(ana, "dm");
    expect(refused.code).toBe("rate_limited");
    expect(refused.message).toContain("3 new direct messages an hour");
    ana.send({ type: "dm", user: "bo" });
    await ana.until(() =>
      ana.of("room").filter((f) => (f.room as Frame).id === first)[1]
    );
    // The original listing shows rooms, never DMs.
    const { rooms } = await (await fetch(`${s.url}/api/rooms`)).json();
    expect(rooms.map((r: { id: string }) => r.id).sort()).toEqual([
      "lobby",
      "plans",
    ]);
    await ana.close();
  });
});

Deno.test("read state - reading in one tab clears the count in the other tabs of an account and of a guest token", async () => {
  await withServer({}, async (s) => {
    const cookie = await account(s, "ana");
    const tab1 = await open(s, "ana", { cookie });
    const tab2 = await open(s, "ana", { cookie });
    const gus1 = await open(s, "gus");
    const token = welcome(gus1).token as string;
    const gus2 = await open(s, "gus", { token });
    const bo = await open(s, "bo");
    for (const c of [tab1, tab2, gus1, gus2, bo]) await join(c, "general");
    for (const text of ["one", "two @ana", "three @gus"]) {
      await say(bo, "general", text);
    }
    // Id 1 is "ana, gus and bo joined", told before bo's first message.
    await tab2.until(() => tab2.of("message").length === 4);
    tab1.send({ type: "read", room: "general", id: 3 });
    expect(await tab2.next("read")).toEqual({
      type: "read",
      room: "general",
      lastRead: 3,
      unread: 1,
      mentions: 0,
      lastId: 4,
    });
    await tab1.next("read");
    // Read state never moves back; past the newest it stops at the newest.
    tab2.send({ type: "read", room: "general", id: 1 });
    expect(
      await tab1.until(() => tab1.of("read")[1]),
    ).toMatchObject({ lastRead: 3 });
    // A guest is mentioned by the name it joined under.
    const gusNow = await open(s, "gus", { token });
    expect(welcomeRooms(gusNow).get("general")).toMatchObject({
      lastRead: 0,
      unread: 3,
      mentions: 1,
    });
    await gusNow.close();
    gus2.send({ type: "read", room: "general", id: 99 });
    expect(await gus1.next("read")).toMatchObject({
      lastRead: 4,
      unread: 0,
      mentions: 0,
    });
    // Mentions count until read, across reconnects.
    const gus3 = await open(s, "gus", { token });
    expect(welcomeRooms(gus3).get("general")).toMatchObject({
      lastRead: 4,
      unread: 0,
    });
    const ana3 = await open(s, "ana", { cookie });
    expect(welcomeRooms(ana3).get("general")).toMatchObject({
      lastRead: 3,
      unread: 1,
      mentions: 0,
    });
    await say(bo, "general", "@ana still there?");
    const ana4 = await open(s, "ana", { cookie });
    expect(welcomeRooms(ana4).get("general")).toMatchObject({
      unread: 2,
      mentions: 1,
    });
    // One's own message is read at once, on every tab.
    await say(tab1, "general", "yes");
    expect(
      await tab2.until(() =>
        tab2.of("read").at(-1)?.lastRead === 6 &&
        tab2.of("read").at(-1)
      ),
    ).toMatchObject({ unread: 0, mentions: 0 });
    await Promise.all(
      [tab1, tab2, gus1, gus2, gus3, ana3, ana4, bo].map((c) => c.close()),
    );
  });
});

/** A room page as `headers` get it, with its room id and nonces blanked. */
async function roomPage(
  s: { url: string },
  room: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${s.url}/rooms/${room}`, { headers });
  const html = await res.text();
  return {
    status: res.status,
    cacheControl: res.headers.get("cache-control"),
    html,
    // What would tell two 404s apart, the room's id and the nonces aside.
    shape: html.replaceAll(room, "ROOM").replace(
      /nonce[-=]["']?[\w+/=-]+/g,
      "",
    ),
    headerNames: [...res.headers.keys()].filter((k) => k !== "date").sort(),
  };
}

Deno.test("private rooms - a private room's or DM's page is the same 404 as a missing room to anyone outside it, signed in or not; members read it, a guest by its cookie", async () => {
  await withServer({}, async (s) => {
    const ownerCookie = await account(s, "owner");
    const owner = await open(s, "owner", { cookie: ownerCookie });
    owner.send({ type: "create", room: "secret", private: true });
    await owner.next("room", (f) => (f.room as Frame).id === "secret");
    await join(owner, "secret");
    await say(owner, "secret", "the plan");
    const anaCookie = await account(s, "ana");
    await account(s, "bo");
    const ana = await open(s, "ana", { cookie: anaCookie });
    ana.send({ type: "dm", user: "bo" });
    const dm = ((await ana.next("room", (f) => (f.room as Frame).kind === "dm"))
      .room as Frame).id as string;
    expect(dm).toBe(dmRoomId("account:ana", "account:bo"));
    await join(ana, dm);
    await say(ana, dm, "psst");
    const gus = await open(s, "gus");
    const gusCookie = `guest=${welcome(gus).token}`;
    const eveCookie = await account(s, "eve");

    // Anyone outside: a DM id anyone can compute from two names, and a
    // private room, answer as a DM and a room that don't exist.
    const missingDm = dmRoomId("account:ana", "account:zed");
    const outsiders: Record<string, string>[] = [
      {},
      { cookie: gusCookie },
      { cookie: `guest=${crypto.randomUUID()}` },
      { cookie: eveCookie },
    ];
    for (const headers of outsiders) {
      for (const [room, missing] of [[dm, missingDm], ["secret", "secre7"]]) {
        const there = await roomPage(s, room, headers);
        const none = await roomPage(s, missing, headers);
        expect(there.status).toBe(404);
        expect(there.html).toContain(`No such room: ${room}`);
        expect(there.shape).toBe(none.shape);
        expect(there.headerNames).toEqual(none.headerNames);
        expect(there.cacheControl).toBe(none.cacheControl);
        expect(there.html).not.toContain("the plan");
        expect(there.html).not.toContain("psst");
      }
    }

    // Members read their pages, never cached: the owner, either side of
    // the DM, and a guest invited by name, by its guest cookie (a reload).
    owner.send({ type: "invite", room: "secret", user: "gus" });
    await gus.next("room", (f) => (f.room as Frame).id === "secret");
    const members: [string, string, string][] = [
      ["secret", ownerCookie, "the plan"],
      ["secret", gusCookie, "the plan"],
      [dm, anaCookie, "psst"],
    ];
    for (const [room, cookie, text] of members) {
      const page = await roomPage(s, room, { cookie });
      expect(page.status).toBe(200);
      expect(page.html).toContain(text);
    }
    await Promise.all([owner, ana, gus].map((c) => c.close()));
  });
});

Deno.test("private rooms - a private room's page and any page for a signed-in account are sent Cache-Control: private, no-store", async () => {
  await withServer({}, async (s) => {
    const ownerCookie = await account(s, "owner");
    const owner = await open(s, "owner", { cookie: ownerCookie });
    owner.send({ type: "create", room: "secret", private: true });
    await owner.next("room", (f) => (f.room as Frame).id === "secret");
    const gus = await open(s, "gus");
    owner.send({ type: "invite", room: "secret", user: "gus" });
    await gus.next("room", (f) => (f.room as Frame).id === "secret");
    // Member-only history, and (signed in) the logout form's token.
    for (const cookie of [ownerCookie, `guest=${welcome(gus).token}`]) {
      const page = await roomPage(s, "secret", { cookie });
      expect(page.status).toBe(200);
      expect(page.cacheControl).toBe("private, no-store");
    }
    const signedIn = await roomPage(s, "general", { cookie: ownerCookie });
    expect(signedIn.status).toBe(200);
    expect(signedIn.cacheControl).toBe("private, no-store");
    // A public room's page for nobody in particular holds neither.
    expect((await roomPage(s, "general")).cacheControl).toBeNull();
    await Promise.all([owner.close(), gus.close()]);
  });
});

Deno.test("private rooms - someone removed hears nothing more of the threads they took part in", async () => {
  await withServer({}, async (s) => {
    const owner = await open(s, "owner", { cookie: await account(s, "owner") });
    const bob = await open(s, "bob", { cookie: await account(s, "bob") });
    await createPrivate(owner, "inner");
    await invite(owner, "inner", "bob", bob);
    await join(bob, "inner");
    const root = await say(owner, "inner", "the plan");
    const reply = async (c: Client, text: string) => {
      const clientId = crypto.randomUUID();
      c.send({ type: "send", room: "inner", text, clientId, parent: root });
      await c.next("ack", (f) => f.clientId === clientId);
    };
    await reply(bob, "count me in");
    owner.send({ type: "remove", room: "inner", user: "bob" });
    await bob.next("left", (f) => f.room === "inner");
    const seen = bob.frames.length;
    await reply(owner, "the details, members only");
    // A frame bob does get, after anything the reply would have sent him.
    await join(owner, "general");
    await join(bob, "general");
    await say(owner, "general", "elsewhere");
    await bob.next("message", (f) => f.text === "elsewhere");
    const after = bob.frames.slice(seen).filter((f) =>
      typeof f !== "string" && f.room === "inner"
    );
    expect(after).toEqual([]);
    await Promise.all([owner.close(), bob.close()]);
  });
});

Deno.test("private rooms - someone removed, or kicked, from the room their page shows hears no more of its typing or presence; back in, they do again", async () => {
  await withServer({}, async (s) => {
    const owner = await open(s, "owner", { cookie: await account(s, "owner") });
    const bob = await open(s, "bob", { cookie: await account(s, "bob") });
    const cy = await open(s, "cy", { cookie: await account(s, "cy") });
    await createPrivate(owner, "inner");
    await invite(owner, "inner", "bob", bob);
    await join(bob, "inner");
    // bob's page shows the room.
    bob.send({ type: "view", room: "inner" });
    await bob.next("presence", (f) => f.room === "inner");
    owner.send({ type: "typing", room: "inner", typing: true });
    await bob.next("typing", (f) => f.room === "inner" && f.typing === true);
    owner.send({ type: "remove", room: "inner", user: "bob" });
    await bob.next("left", (f) => f.room === "inner");
    const seen = bob.frames.length;
    // cy comes in, online, and both type.
    await invite(owner, "inner", "cy", cy);
    await join(cy, "inner");
    cy.send({ type: "view", room: "inner" });
    cy.send({ type: "typing", room: "inner", typing: true });
    owner.send({ type: "typing", room: "inner", typing: false });
    owner.send({ type: "typing", room: "inner", typing: true });
    await owner.next("typing", (f) => f.user === "cy" && f.typing === true);
    // A frame bob does get, after anything the room would have sent him.
    await join(owner, "general");
    await join(bob, "general");
    await say(owner, "general", "elsewhere");
    await bob.next("message", (f) => f.text === "elsewhere");
    const about = (from: number) =>
      bob.frames.slice(from).filter((f) =>
        typeof f !== "string" && f.room === "inner"
      );
    expect(about(seen)).toEqual([]);
    // Invited back and joined: the room shown again brings them again.
    await invite(owner, "inner", "bob", bob);
    await join(bob, "inner");
    bob.send({ type: "view", room: "inner" });
    owner.send({ type: "typing", room: "inner", typing: false });
    owner.send({ type: "typing", room: "inner", typing: true });
    await bob.next("typing", (f) => f.room === "inner" && f.user === "owner");
    await Promise.all([owner.close(), bob.close(), cy.close()]);
  });
});

Deno.test("private rooms - someone removed while their socket was joining is taken out once it is in: no more messages, no sends", async () => {
  await withServer({}, async (s) => {
    const owner = await open(s, "owner", { cookie: await account(s, "owner") });
    const eve = await open(s, "eve", { cookie: await account(s, "eve") });
    await createPrivate(owner, "inner");
    await invite(owner, "inner", "eve", eve);
    // Eve's join waits in its read of her read mark (a slow store) while
    // the owner removes her; then it goes on.
    const reads = s.chat.store.reads;
    const read = reads.get.bind(reads);
    let parked!: () => void;
    const reached = new Promise<void>((r) => parked = r);
    let release!: () => void;
    const released = new Promise<void>((r) => release = r);
    reads.get = async (key, rooms) => {
      if (key === "account:eve" && rooms.includes("inner")) {
        parked();
        await released;
      }
      return read(key, rooms);
    };
    eve.send({ type: "join", room: "inner" });
    await reached;
    owner.send({ type: "remove", room: "inner", user: "eve" });
    while (await s.chat.store.members.get("inner", "account:eve")) {
      await new Promise((r) => setTimeout(r, 10));
    }
    reads.get = read;
    release();
    // Told of the removal (and why) as it happened, and out again once
    // the join went through.
    expect(await eve.next("left", (f) => f.room === "inner")).toMatchObject({
      reason: "removed",
    });
    await eve.next("joined", (f) => f.room === "inner");
    const after = eve.frames.findIndex((f) =>
      typeof f !== "string" && f.type === "joined"
    );
    const left = await eve.until(() =>
      eve.frames.slice(after).find((f) =>
        typeof f !== "string" && f.type === "left" && f.room === "inner"
      )
    );
    expect(left).toEqual({ type: "left", room: "inner" });
    await say(owner, "inner", "members only");
    eve.send({
      type: "send",
      room: "inner",
      text: "still here?",
      clientId: "e1",
    });
    expect((await errorFor(eve, "send", "inner")).code).toBe("no_such_room");
    expect(eve.of("message").filter((f) => f.room === "inner")).toEqual([]);
    await Promise.all([owner.close(), eve.close()]);
  });
});
