/**
 * Editing and deleting messages, and moderators removing messages and users,
 * over real WebSockets against a real server.
 */
import { expect } from "expect";
import {
  type Server,
  withServer as withTestServer,
} from "@/tests/helpers/server.ts";
import { Client, type Frame } from "@/tests/helpers/ws_client.ts";
import { until } from "@/tests/helpers/until.ts";

/** A server with history in a KV file. */
const withServer = (fn: (s: Server) => Promise<void>) =>
  withTestServer({}, fn, { kvFile: true });

/** A guest, or an account when `account` is set, joined to `room`. */
async function connect(
  s: Server,
  name: string,
  room: string,
  account = false,
): Promise<Client> {
  let headers: Record<string, string> | undefined;
  if (account) {
    await s.auth.accounts.register(name, "correct horse battery staple");
    const session = await s.auth.sessions.create(name);
    headers = { cookie: `sid=${session.id}` };
  }
  const c = new Client(`${s.url.replace("http", "ws")}/ws?name=${name}`, {
    headers,
  });
  const welcome = await c.next("welcome");
  expect((welcome.user as { guest: boolean }).guest).toBe(!account);
  c.send({ type: "join", room });
  await c.next("joined", (f) => f.room === room);
  return c;
}

/** Creates `room` as `c` (its owner, when an account) and joins it. */
async function createAndJoin(c: Client, room: string): Promise<void> {
  c.send({ type: "create", room });
  await c.next("room", (f) => (f.room as { id: string }).id === room);
  c.send({ type: "join", room });
  await c.next("joined", (f) => f.room === room);
}

async function say(c: Client, room: string, text: string): Promise<number> {
  const clientId = crypto.randomUUID();
  c.send({ type: "send", room, text, clientId });
  return (await c.next("ack", (f) => f.clientId === clientId)).id as number;
}

async function history(s: Server, room: string): Promise<Frame[]> {
  return (await (await fetch(`${s.url}/api/rooms/${room}/messages`)).json())
    .messages;
}

const errorFor = (c: Client, type: string) =>
  c.next("error", (f) => (f.frame as { type?: string })?.type === type);

Deno.test("moderation - authors edit and delete their own messages, live and in history", async () => {
  await withServer(async (s) => {
    const ana = await connect(s, "ana", "general");
    const ben = await connect(s, "ben", "general");
    const id = await say(ana, "general", "helo");
    ana.send({ type: "edit", room: "general", id, text: "hello" });
    await ben.next("edited", (f) => f.id === id && f.text === "hello");
    expect((await history(s, "general")).find((m) => m.id === id))
      .toMatchObject({
        id,
        text: "hello",
        edited: true,
      });

    ben.send({ type: "edit", room: "general", id, text: "pwned" });
    expect((await errorFor(ben, "edit")).code).toBe("forbidden");
    ben.send({ type: "delete", room: "general", id });
    expect((await errorFor(ben, "delete")).code).toBe("forbidden");
    ana.send({ type: "edit", room: "general", id: 999, text: "x" });
    expect(
      (await ana.next(
        "error",
        (f) => (f.frame as { type?: string })?.type === "edit",
      )).code,
    ).toBe("not_found");

    ana.send({ type: "delete", room: "general", id });
    await ben.next("deleted", (f) => f.id === id);
    expect((await history(s, "general")).find((m) => m.id === id))
      .toMatchObject({
        id,
        text: "",
        deleted: true,
      });
    await Promise.all([ana.close(), ben.close()]);
  });
});

Deno.test("moderation - an edit or delete from a socket not in the room is answered all the same", async () => {
  await withServer(async (s) => {
    const ana = await connect(s, "ana", "random");
    const id = await say(ana, "random", "first  draft ");
    ana.send({ type: "leave", room: "random" });
    await ana.next("left", (f) => f.room === "random");
    ana.send({ type: "edit", room: "random", id, text: "second\r\ndraft" });
    expect(await ana.next("edited", (f) => f.id === id)).toEqual({
      type: "edited",
      room: "random",
      id,
      text: "second\ndraft",
    });
    ana.send({ type: "delete", room: "random", id });
    expect(await ana.next("deleted", (f) => f.id === id)).toEqual({
      type: "deleted",
      room: "random",
      id,
    });
    expect((await history(s, "random")).find((m) => m.id === id))
      .toMatchObject({ deleted: true });
    // In the room, the answer is the room's frame, once.
    const ben = await connect(s, "ben", "random");
    const mine = await say(ben, "random", "hi");
    ben.send({ type: "edit", room: "random", id: mine, text: "hi all" });
    await ben.next("edited", (f) => f.id === mine);
    await say(ben, "random", "after");
    expect(ben.of("edited")).toHaveLength(1);
    await Promise.all([ana.close(), ben.close()]);
  });
});

Deno.test("moderation - a room's creator and the admins remove messages and users; guests can't", async () => {
  await withServer(async (s) => {
    const owner = await connect(s, "owner", "general", true);
    await createAndJoin(owner, "team");
    const gus = await connect(s, "gus", "team");
    const guest = await connect(s, "guest", "team");

    const spam = await say(gus, "team", "spam");
    guest.send({ type: "delete", room: "team", id: spam });
    expect((await errorFor(guest, "delete")).code).toBe("forbidden");
    guest.send({ type: "kick", room: "team", user: "gus" });
    expect((await errorFor(guest, "kick")).code).toBe("forbidden");

    owner.send({ type: "delete", room: "team", id: spam });
    await gus.next("deleted", (f) => f.id === spam);

    owner.send({ type: "kick", room: "team", user: "gus" });
    await gus.next("left", (f) => f.room === "team" && f.reason === "kicked");
    gus.send({ type: "join", room: "team" });
    expect((await errorFor(gus, "join")).code).toBe("forbidden");
    // Nor may a kicked user watch the room without being a member.
    gus.send({ type: "leave", room: "team" });
    await gus.until(() => gus.of("left").length === 2);
    gus.send({ type: "view", room: "team" });
    expect((await errorFor(gus, "view")).code).toBe("forbidden");
    // Removed from one room only.
    gus.send({ type: "join", room: "general" });
    await gus.next("joined", (f) => f.room === "general");

    // An admin moderates rooms it did not create.
    const root = await connect(s, "root", "team", true);
    await s.auth.roles.grant("root");
    const other = await say(guest, "team", "off topic");
    root.send({ type: "delete", room: "team", id: other });
    await guest.next("deleted", (f) => f.id === other);
    // The owner of "team" is no moderator of "general".
    const elsewhere = await say(gus, "general", "hi");
    owner.send({ type: "delete", room: "general", id: elsewhere });
    expect((await errorFor(owner, "delete")).code).toBe("forbidden");
    await Promise.all([owner, gus, guest, root].map((c) => c.close()));
  });
});

Deno.test("moderation - an owner can't remove an admin; an admin removes an owner, who then moderates nothing there until the removal ends", async () => {
  await withServer(async (s) => {
    const owner = await connect(s, "owner", "general", true);
    await createAndJoin(owner, "team");
    const root = await connect(s, "root", "team", true);
    await s.auth.roles.grant("root");
    const gus = await connect(s, "gus", "team");
    owner.send({ type: "kick", room: "team", user: "ROOT" });
    expect(await errorFor(owner, "kick")).toMatchObject({
      code: "forbidden",
      message: "ROOT moderates here too: only an admin may remove them",
    });
    // Nor from a private room of the owner's.
    owner.send({ type: "create", room: "inner", private: true });
    await owner.next("room", (f) => (f.room as Frame).id === "inner");
    owner.send({ type: "invite", room: "inner", user: "root" });
    await root.next("room", (f) => (f.room as Frame).id === "inner");
    owner.send({ type: "remove", room: "inner", user: "root" });
    expect(await errorFor(owner, "remove")).toMatchObject({
      code: "forbidden",
      message: "root moderates here too: only an admin may remove them",
    });
    // root is still in, and still moderates.
    const spam = await say(gus, "team", "spam");
    root.send({ type: "delete", room: "team", id: spam });
    await gus.next("deleted", (f) => f.id === spam);
    // An admin removes the owner: the owner can't come back, nor kick,
    // delete others' messages or delete the room meanwhile.
    root.send({ type: "kick", room: "team", user: "owner" });
    await owner.next("left", (f) => f.room === "team" && f.reason === "kicked");
    const more = await say(gus, "team", "more");
    for (
      const frame of [
        { type: "kick", room: "team", user: "root" },
        { type: "delete", room: "team", id: more },
        { type: "delete_room", room: "team" },
        { type: "topic", room: "team", topic: "mine again" },
      ]
    ) {
      owner.send(frame);
      expect((await errorFor(owner, frame.type)).code).toBe("forbidden");
    }
    expect((await history(s, "team")).some((m) => m.id === more)).toBe(true);
    await Promise.all([owner, root, gus].map((c) => c.close()));
  });
});

Deno.test("moderation - a kick names someone else in the room (or an account): nobody is no_such_user, oneself invalid_frame, and the owner keeps the room", async () => {
  await withServer(async (s) => {
    const owner = await connect(s, "owner", "general", true);
    await createAndJoin(owner, "team");
    const kickError = async (user: string, room = "team") => {
      const before = owner.of("error").length;
      owner.send({ type: "kick", room, user });
      await owner.until(() => owner.of("error").length > before);
      const e = owner.of("error")[before];
      return { code: e.code, message: e.message, frame: e.frame };
    };

    expect(await kickError("nobodyatall")).toEqual({
      code: "no_such_user",
      message: "No account nobodyatall, and nobody of that name is in team",
      frame: { type: "kick", room: "team" },
    });
    for (const self of ["owner", "OWNER"]) {
      expect(await kickError(self)).toEqual({
        code: "invalid_frame",
        message:
          "Invalid field user: you can't kick yourself; leave the room instead",
        frame: { type: "kick", room: "team" },
      });
    }
    expect((await kickError("gus", "nowhere")).code).toBe("no_such_room");
    // The owner was not locked out: it writes, leaves and comes back.
    expect(s.chat.isBanned("team", "owner")).toBe(false);
    await say(owner, "team", "still mine");
    owner.send({ type: "leave", room: "team" });
    await owner.next("left", (f) => f.room === "team");
    owner.send({ type: "join", room: "team" });
    await owner.until(() =>
      owner.of("joined").filter((f) => f.room === "team").length === 2
    );

    // Someone in the room only by presence (the original endpoint, no
    // member) is kicked; so is an account that has not come yet.
    const oldie = new Client(`${s.url.replace("http", "ws")}/ws/team/oldie`, {
      json: false,
    });
    await oldie.opened;
    await until(() => s.chat.online("team").some((u) => u.name === "oldie"));
    owner.send({ type: "kick", room: "team", user: "oldie" });
    expect((await oldie.closed).code).toBe(1008);
    await s.auth.accounts.register("later", "correct horse battery staple");
    owner.send({ type: "kick", room: "team", user: "later" });
    await until(() => s.chat.isBanned("team", "later"));
    expect(owner.of("error").map((e) => e.code)).toEqual([
      "no_such_user",
      "invalid_frame",
      "invalid_frame",
      "no_such_room",
    ]);
    await owner.close();
  });
});

Deno.test("moderation - an error for edit, delete, react or pin names the message id, so frames in flight together are told apart", async () => {
  await withServer(async (s) => {
    const ana = await connect(s, "ana", "general");
    const ben = await connect(s, "ben", "general");
    const first = await say(ana, "general", "one");
    const second = await say(ana, "general", "two");
    const sent: Frame[] = [
      { type: "edit", room: "general", id: first, text: "x" },
      { type: "edit", room: "general", id: second, text: "y" },
      { type: "edit", room: "general", id: 999, text: "z" },
      { type: "delete", room: "general", id: second },
      { type: "react", room: "general", id: 998, emoji: "👍" },
      { type: "pin", room: "general", id: first },
      { type: "unpin", room: "general", id: second },
    ];
    for (const frame of sent) ben.send(frame);
    await ben.until(() => ben.of("error").length === sent.length);
    const refs = ben.of("error").map((e) => ({
      code: e.code,
      ...(e.frame as { type: string; room: string; id?: number }),
    }));
    const byId = (type: string, id: number) =>
      refs.find((r) => r.type === type && r.id === id);
    expect(byId("edit", first)).toEqual({
      code: "forbidden",
      type: "edit",
      room: "general",
      id: first,
    });
    expect(byId("edit", second)?.code).toBe("forbidden");
    expect(byId("edit", 999)?.code).toBe("not_found");
    expect(byId("delete", second)?.code).toBe("forbidden");
    expect(byId("react", 998)?.code).toBe("not_found");
    expect(byId("pin", first)?.code).toBe("forbidden");
    expect(byId("unpin", second)?.code).toBe("forbidden");
    // A frame whose id is no valid number names none.
    ben.send({ type: "edit", room: "general", id: "one", text: "x" });
    const bad = await ben.until(() => ben.of("error")[sent.length]);
    expect(bad).toMatchObject({ code: "invalid_frame" });
    expect(bad.frame).toEqual({ type: "edit", room: "general" });
    await Promise.all([ana.close(), ben.close()]);
  });
});

Deno.test("moderation - a guest who gets a name someone used before can't touch their messages", async () => {
  await withServer(async (s) => {
    // "mina" writes from the original endpoint and leaves; the name is free again.
    const old = new Client(`${s.url.replace("http", "ws")}/ws/general/mina`, {
      json: false,
    });
    await old.opened;
    old.send("I owe nobody anything");
    const id = await until(
      async () =>
        (await history(s, "general")).find((m) =>
          m.text === "I owe nobody anything"
        )?.id as number | undefined,
      { what: "the message to be stored" },
    );
    await old.close();
    // The server lets go of the name once it has seen the close.
    await until(async () => !(await s.chat.identities.isHeld("mina")), {
      what: "the name to be free",
    });
    const impostor = await connect(s, "mina", "general");
    expect((impostor.of("welcome")[0].user as { name: string }).name).toBe(
      "mina",
    );
    impostor.send({
      type: "edit",
      room: "general",
      id,
      text: "I owe mallory $1000",
    });
    expect((await errorFor(impostor, "edit")).code).toBe("forbidden");
    impostor.send({ type: "delete", room: "general", id });
    expect((await errorFor(impostor, "delete")).code).toBe("forbidden");
    // The same guest, back with its token, still can.
    const own = await say(impostor, "general", "mine");
    const token = impostor.of("welcome")[0].token as string;
    await impostor.close();
    const back = new Client(
      `${s.url.replace("http", "ws")}/ws?name=mina&token=${token}`,
    );
    await back.next("welcome");
    back.send({ type: "join", room: "general" });
    await back.next("joined");
    back.send({ type: "edit", room: "general", id: own, text: "mine, edited" });
    await back.next("edited", (f) => f.id === own);
    await back.close();
  });
});

Deno.test("moderation - edits and deletions made while a reader was away reach it when it resumes", async () => {
  await withServer(async (s) => {
    const ana = await connect(s, "ana", "general");
    const a = await say(ana, "general", "first");
    const b = await say(ana, "general", "second");
    // Ben's client holds both, then goes away.
    const ben = await connect(s, "ben", "general");
    await ben.close();
    ana.send({ type: "edit", room: "general", id: a, text: "first, fixed" });
    await ana.next("edited", (f) => f.id === a);
    ana.send({ type: "delete", room: "general", id: b });
    await ana.next("deleted", (f) => f.id === b);
    const back = new Client(`${s.url.replace("http", "ws")}/ws?name=ben2`);
    await back.next("welcome");
    back.send({ type: "join", room: "general", since: b });
    await back.next("joined");
    expect(await back.next("edited")).toMatchObject({
      id: a,
      text: "first, fixed",
    });
    expect(await back.next("deleted")).toMatchObject({ id: b });
    await Promise.all([ana.close(), back.close()]);
  });
});

Deno.test("moderation - an account registered under a former guest's name gets neither their messages nor their rooms", async () => {
  await withServer(async (s) => {
    const guest = await connect(s, "mina", "general");
    const said = await say(guest, "general", "I love pineapple pizza");
    guest.send({ type: "create", room: "minas-room" });
    await guest.next(
      "room",
      (f) => (f.room as { id: string }).id === "minas-room",
    );
    await guest.close();
    // Someone registers "mina" later.
    await s.auth.accounts.register("mina", "correct horse battery staple");
    const session = await s.auth.sessions.create("mina");
    const c = new Client(`${s.url.replace("http", "ws")}/ws?name=x`, {
      headers: { cookie: `sid=${session.id}` },
    });
    expect((await c.next("welcome")).user).toEqual({
      name: "mina",
      guest: false,
    });
    c.send({ type: "join", room: "general" });
    await c.next("joined");
    c.send({
      type: "edit",
      room: "general",
      id: said,
      text: "I endorse candidate X",
    });
    expect((await errorFor(c, "edit")).code).toBe("forbidden");
    expect(
      await s.chat.canModerate({ name: "mina", guest: false }, "minas-room"),
    ).toBe(false);
    expect((await history(s, "general")).find((m) => m.id === said))
      .toMatchObject({
        text: "I love pineapple pizza",
        guest: true,
      });
    await c.close();
  });
});

Deno.test("moderation - a kick holds however the name is cased; the kicked can't edit there meanwhile; an original client coming back is closed 1008 with the reason", async () => {
  await withServer(async (s) => {
    const owner = await connect(s, "owner", "general", true);
    await createAndJoin(owner, "team");
    const mina = await connect(s, "Mina", "team", true);
    const id = await say(mina, "team", "hello");
    const oldie = new Client(`${s.url.replace("http", "ws")}/ws/team/Oldie`);
    await until(() => s.chat.online("team").some((u) => u.name === "Oldie"));

    owner.send({ type: "kick", room: "team", user: "mina" });
    await mina.next("left", (f) => f.room === "team" && f.reason === "kicked");
    mina.send({ type: "join", room: "team" });
    expect((await errorFor(mina, "join")).code).toBe("forbidden");
    mina.send({ type: "edit", room: "team", id, text: "SPAM SPAM" });
    expect((await errorFor(mina, "edit")).code).toBe("forbidden");
    // Nothing was edited.
    expect((await history(s, "team")).find((m) => m.id === id)?.text)
      .toBe("hello");

    owner.send({ type: "kick", room: "team", user: "oldie" });
    expect(await oldie.closed).toEqual({
      code: 1008,
      reason: "Removed from the room by a moderator",
    });
    const back = new Client(`${s.url.replace("http", "ws")}/ws/team/Oldie`);
    expect(await back.closed).toEqual({
      code: 1008,
      reason: "A moderator removed you from team; try again later",
    });
    await Promise.all([owner.close(), mina.close()]);
  });
});

Deno.test("moderation - someone previewing a room can't announce typing in it", async () => {
  await withServer(async (s) => {
    const ana = await connect(s, "ana", "general");
    const peek = new Client(`${s.url.replace("http", "ws")}/ws?name=peek`);
    await peek.next("welcome");
    peek.send({ type: "leave", room: "general" });
    await peek.next("left", (f) => f.room === "general");
    peek.send({ type: "view", room: "general" });
    await peek.next("joined", (f) => f.room === "general");
    peek.send({ type: "typing", room: "general", typing: true });
    expect((await errorFor(peek, "typing")).code).toBe("not_member");
    await new Promise((r) => setTimeout(r, 200));
    expect(ana.of("typing")).toEqual([]);
    await Promise.all([ana.close(), peek.close()]);
  });
});

Deno.test("moderation - someone kicked while their socket was joining is taken out once it is in: told why, no more messages, no sends", async () => {
  await withServer(async (s) => {
    const owner = await connect(s, "owner", "general", true);
    await createAndJoin(owner, "team");
    const eve = await connect(s, "eve", "general", true);
    // Eve's join waits in its count of the members (a slow store), after
    // her membership is stored, while the owner kicks her; then it goes on.
    const members = s.chat.store.members;
    const count = members.count.bind(members);
    let parked!: () => void;
    const reached = new Promise<void>((r) => parked = r);
    let release!: () => void;
    const released = new Promise<void>((r) => release = r);
    members.count = async (room) => {
      if (room === "team") {
        parked();
        await released;
      }
      return count(room);
    };
    eve.send({ type: "join", room: "team" });
    await reached;
    owner.send({ type: "kick", room: "team", user: "eve" });
    await until(async () =>
      s.chat.isBanned("team", "eve") &&
      !(await members.get("team", "account:eve"))
    );
    members.count = count;
    release();
    await eve.next("joined", (f) => f.room === "team");
    const at = eve.frames.findIndex((f) =>
      typeof f !== "string" && f.type === "joined" && f.room === "team"
    );
    const left = await eve.until(() =>
      eve.frames.slice(at).find((f) =>
        typeof f !== "string" && f.type === "left" && f.room === "team"
      )
    );
    expect(left).toEqual({ type: "left", room: "team", reason: "kicked" });
    expect(await members.get("team", "account:eve")).toBeFalsy();
    await say(owner, "team", "members only");
    eve.send({ type: "send", room: "team", text: "back?", clientId: "e1" });
    expect((await errorFor(eve, "send")).code).toBe("not_joined");
    eve.send({ type: "join", room: "team" });
    expect((await errorFor(eve, "join")).code).toBe("forbidden");
    expect(eve.of("message").filter((f) => f.room === "team")).toEqual([]);
    await Promise.all([owner.close(), eve.close()]);
  });
});
