/**
 * Rooms can be deleted by their owner or an admin, and guests' rooms in
 * which nothing was written expire, over real sockets against a real server.
 */
import { expect } from "expect";
import { type Server, withServer, wsUrl } from "@/tests/helpers/server.ts";
import { Client, type Frame } from "@/tests/helpers/ws_client.ts";
import { testOnBothBackends } from "@/tests/helpers/postgres.ts";
import * as people from "@/tests/helpers/members.ts";

const PASSWORD = "correct horse battery staple";

async function connect(
  s: Server,
  name: string,
  account = false,
): Promise<Client> {
  let headers: Record<string, string> | undefined;
  if (account) {
    await s.auth.accounts.register(name, PASSWORD);
    headers = { cookie: `sid=${(await s.auth.sessions.create(name)).id}` };
  }
  const c = new Client(wsUrl(s, `/ws?name=${name}`), { headers });
  await c.next("welcome");
  return c;
}

async function join(c: Client, room: string): Promise<void> {
  c.send({ type: "join", room });
  await c.next("joined", (f) => f.room === room);
}

async function create(c: Client, room: string): Promise<void> {
  c.send({ type: "create", room });
  await c.next("room", (f) => (f.room as { id: string }).id === room);
}

const errorFor = (c: Client, type: string, room: string) =>
  c.next("error", (f) => {
    const ref = f.frame as { type?: string; room?: string };
    return ref?.type === type && ref.room === room;
  });

async function roomIds(s: Server): Promise<string[]> {
  const { rooms } = await (await fetch(`${s.url}/api/rooms`)).json();
  return rooms.map((r: { id: string }) => r.id).sort();
}

Deno.test("rooms - the owner or an admin deletes a room with its history; guests and configured rooms can't be", async () => {
  await withServer({}, async (s) => {
    const owner = await connect(s, "owner", true);
    await create(owner, "team");
    await join(owner, "team");
    const gus = await connect(s, "gus");
    await join(gus, "team");
    gus.send({ type: "send", room: "team", text: "hello", clientId: "g1" });
    await gus.next("ack");

    gus.send({ type: "delete_room", room: "team" });
    expect((await errorFor(gus, "delete_room", "team")).code).toBe(
      "forbidden",
    );
    owner.send({ type: "delete_room", room: "general" });
    expect((await errorFor(owner, "delete_room", "general")).code).toBe(
      "forbidden",
    );

    owner.send({ type: "delete_room", room: "team" });
    expect(await gus.next("left", (f) => f.room === "team")).toMatchObject({
      reason: "deleted",
    });
    await gus.next("room_deleted", (f) => f.room === "team");
    expect(await roomIds(s)).toEqual(["general", "random"]);
    const history = await fetch(`${s.url}/api/rooms/team/messages`);
    expect(history.status).toBe(404);
    await history.body?.cancel();
    gus.send({ type: "join", room: "team" });
    expect((await errorFor(gus, "join", "team")).code).toBe("no_such_room");

    // An admin deletes a room it doesn't own.
    await create(gus, "guestroom");
    const root = await connect(s, "root", true);
    await s.auth.roles.grant("root");
    root.send({ type: "delete_room", room: "guestroom" });
    await root.next("room_deleted", (f) => f.room === "guestroom");
    await Promise.all([owner, gus, root].map((c) => c.close()));
  });
});

Deno.test("rooms - a guest's room in which nothing was written expires; used or occupied rooms stay", async () => {
  await withServer({
    EMPTY_ROOM_TTL_MS: "1000",
    MEMBERSHIP_EVENT_WINDOW_MS: "50",
  }, async (s) => {
    const gus = await connect(s, "gus");
    for (const room of ["spam1", "spam2", "used", "occupied"]) {
      await create(gus, room);
    }
    await join(gus, "used");
    gus.send({ type: "send", room: "used", text: "real talk", clientId: "u" });
    await gus.next("ack");
    gus.send({ type: "leave", room: "used" });
    await gus.next("left", (f) => f.room === "used");
    // Joined by someone else (a stored event): in use.
    const ivy = await connect(s, "ivy");
    await join(ivy, "occupied");
    await gus.until(
      () =>
        gus.of("room_deleted").length >= 2 &&
        gus.of("room_deleted").map((f: Frame) => f.room).sort(),
      15_000,
    );
    expect(gus.of("room_deleted").map((f) => f.room).sort()).toEqual([
      "spam1",
      "spam2",
    ]);
    expect(await roomIds(s)).toEqual([
      "general",
      "occupied",
      "random",
      "used",
    ]);
    await Promise.all([gus.close(), ivy.close()]);
  });
});

testOnBothBackends(
  "rooms - sends racing their room's deletion are stored before it (and go with it) or refused; the deletion isn't refused, and a room made again under its id starts empty",
  async (env) => {
    await withServer(
      { RATE_PER_SECOND: "1000", RATE_BURST: "1000", ...env },
      async (s) => {
        const cookie = await people.account(s, "owner");
        const owner = await people.open(s, "owner", { cookie });
        owner.send({ type: "create", room: "secret", private: true });
        await owner.next("room", (f) => (f.room as Frame).id === "secret");
        await people.join(owner, "secret");
        // A second tab of the owner writes all along.
        const tab = await people.open(s, "owner", { cookie });
        await people.join(tab, "secret");
        let writing = true;
        let sent = 0;
        const writer = (async () => {
          while (writing) {
            tab.send({
              type: "send",
              room: "secret",
              text: `private ${sent}`,
              clientId: `c${sent++}`,
            });
            await new Promise((r) => setTimeout(r, 1));
          }
        })();
        await tab.next("ack", (f) => f.clientId === "c20");
        owner.send({ type: "delete_room", room: "secret" });
        const answer = await owner.next("left", (f) => f.room === "secret")
          .then(() => "deleted", (e) => String(e));
        expect(owner.of("error")).toEqual([]);
        expect(answer).toBe("deleted");
        await new Promise((r) => setTimeout(r, 100));
        writing = false;
        await writer;
        // Every send is answered: an ack, or an error once the room went.
        const answered = () =>
          new Set(
            [...tab.of("ack"), ...tab.of("error")].map((f) =>
              f.clientId ?? (f.frame as Frame | undefined)?.clientId
            ),
          ).size;
        const until = Date.now() + 10_000;
        while (answered() < sent && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(answered()).toBe(sent);
        // Nothing of the deleted room is left behind.
        expect(await s.chat.store.lastId("secret")).toBe(0);
        expect(await s.chat.store.range("secret", 0)).toEqual([]);
        // Someone else makes a public room under the id: it starts empty.
        const zedCookie = await people.account(s, "zed");
        const zed = await people.open(s, "zed", { cookie: zedCookie });
        zed.send({ type: "create", room: "secret" });
        await zed.next("room", (f) => (f.room as Frame).id === "secret");
        await people.join(zed, "secret");
        zed.send({ type: "send", room: "secret", text: "new", clientId: "z1" });
        const ack = await zed.next("ack", (f) => f.clientId === "z1");
        const page = await people.history(s, "secret", { cookie: zedCookie });
        expect(
          page.messages.filter((m: Frame) => m.user === "owner"),
        ).toEqual([]);
        expect(ack.id).toBe(
          Math.max(...page.messages.map((m: Frame) => m.id as number)),
        );
        for (const c of [owner, tab, zed]) await c.close();
      },
    );
  },
);
