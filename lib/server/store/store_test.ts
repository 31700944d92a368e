/**
 * The storage contract, one suite run against both backends: a Deno KV file
 * and a real PostgreSQL server started for the run.
 */
import { expect } from "expect";
import { openKvStore } from "./kv.ts";
import { openPostgresStore } from "./postgres.ts";
import { RoomGoneError, type Store } from "./store.ts";
import { guestKey } from "@/lib/server/chat/guest_token.ts";
import {
  type PostgresServer,
  startPostgres,
} from "@/tests/helpers/postgres.ts";

interface OpenOptions {
  historyLimit?: number;
  now?: () => number;
}

/** One place (a KV file, a database) that several handles can open. */
interface Place {
  open(options?: OpenOptions): Promise<Store>;
  remove(): Promise<void>;
}

interface Backend {
  name: string;
  setUp(): Promise<{ place(): Promise<Place>; tearDown(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: "kv",
    setUp() {
      return Promise.resolve({
        async place() {
          const dir = await Deno.makeTempDir({ prefix: "chat-store-" });
          return {
            open: (o: OpenOptions = {}) =>
              openKvStore({
                path: `${dir}/chat.kv`,
                historyLimit: o.historyLimit ?? 1000,
                now: o.now,
              }),
            remove: () => Deno.remove(dir, { recursive: true }),
          };
        },
        tearDown: () => Promise.resolve(),
      });
    },
  },
  {
    name: "postgres",
    async setUp() {
      const pg: PostgresServer = await startPostgres();
      let n = 0;
      return {
        async place() {
          const url = await pg.createDatabase(`contract_${++n}`);
          return {
            open: (o: OpenOptions = {}) =>
              openPostgresStore({
                url,
                poolSize: 4,
                historyLimit: o.historyLimit ?? 1000,
                now: o.now,
              }),
            remove: () => Promise.resolve(),
          };
        },
        tearDown: () => pg[Symbol.asyncDispose](),
      };
    },
  },
];

type Case = [name: string, fn: (place: Place) => Promise<void>];

/** Opens a store at `place`, runs `fn`, closes it. */
async function using(
  place: Place,
  options: OpenOptions,
  fn: (store: Store) => Promise<void>,
): Promise<void> {
  const store = await place.open(options);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

const cases: Case[] = [
  [
    "ids are per room, strictly increasing, in call order",
    (place) =>
      using(place, {}, async (store) => {
        const results = await Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            store.append({
              room: i % 2 ? "a" : "b",
              user: "u",
              text: `m${i}`,
            })),
        );
        const of = (room: string) =>
          results.filter((r) => r.message.room === room);
        expect(of("a").map((r) => r.message.id)).toEqual(
          Array.from({ length: 12 }, (_, i) => i + 1),
        );
        expect(of("b").map((r) => r.message.id)).toEqual(
          Array.from({ length: 13 }, (_, i) => i + 1),
        );
        expect((await store.range("a", 0)).map((m) => m.text)).toEqual(
          of("a").map((r) => r.message.text),
        );
        expect(await store.lastId("a")).toBe(12);
        expect(await store.lastId("none")).toBe(0);
      }),
  ],
  [
    "two handles on one database never collide or leave gaps",
    async (place) => {
      const one = await place.open();
      const two = await place.open();
      try {
        const results = await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            (i % 2 ? one : two).append({
              room: "r",
              user: `u${i % 2}`,
              text: `m${i}`,
            })),
        );
        const ids = results.map((r) => r.message.id).sort((x, y) => x - y);
        expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
        expect((await two.range("r", 0)).map((m) => m.id)).toEqual(ids);
      } finally {
        await one.close();
        await two.close();
      }
    },
  ],
  [
    "a send that requires its room is refused once the room is gone; the rest of its batch is stored",
    (place) =>
      using(place, {}, async (store) => {
        await store.createRoom("kept");
        await store.createRoom("doomed");
        const first = await store.append({
          room: "doomed",
          user: "u",
          text: "before",
          requireRoom: true,
        });
        expect(first.message.id).toBe(1);
        expect(await store.deleteRoom("doomed")).toBe(true);
        // One batch: a send to the gone room between two to a live one.
        const results = await Promise.allSettled([
          store.append({
            room: "kept",
            user: "u",
            text: "a",
            requireRoom: true,
          }),
          store.append({
            room: "doomed",
            user: "u",
            text: "late",
            requireRoom: true,
          }),
          store.append({
            room: "kept",
            user: "u",
            text: "b",
            requireRoom: true,
          }),
        ]);
        expect(results.map((r) => r.status)).toEqual([
          "fulfilled",
          "rejected",
          "fulfilled",
        ]);
        expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(
          RoomGoneError,
        );
        expect((await store.range("kept", 0)).map((m) => m.text)).toEqual([
          "a",
          "b",
        ]);
        expect(await store.lastId("doomed")).toBe(0);
        // Made again under its id, the room starts from 1.
        await store.createRoom("doomed");
        const again = await store.append({
          room: "doomed",
          user: "u",
          text: "new",
          requireRoom: true,
        });
        expect(again.message.id).toBe(1);
        expect((await store.range("doomed", 0)).map((m) => m.text)).toEqual([
          "new",
        ]);
      }),
  ],
  [
    "a room made again under a deleted room's id, as soon as it can be, keeps its own messages and members",
    (place) =>
      using(place, {}, async (store) => {
        await store.createRoom("busy");
        await Promise.all(
          Array.from({ length: 300 }, (_, i) =>
            store.append({ room: "busy", user: "u", text: `old ${i}` })),
        );
        const deleting = store.deleteRoom("busy");
        let made = false;
        while (!made) {
          made = await store.createRoom("busy", { owner: "zed" });
          if (!made) {
            await new Promise((r) =>
              setTimeout(r, 0)
            );
          }
        }
        await store.members.add("busy", {
          key: "account:zed",
          name: "zed",
          guest: false,
        });
        await store.append({ room: "busy", user: "zed", text: "new" });
        expect(await deleting).toBe(true);
        expect((await store.range("busy", 0)).map((m) => m.text)).toEqual([
          "new",
        ]);
        expect(await store.members.get("busy", "account:zed")).not.toBe(null);
      }),
  ],
  [
    "a room made again under an id starts with no members, read marks or mentions that came in after the old room's deletion",
    (place) =>
      using(place, {}, async (store) => {
        await store.createRoom("x");
        expect(await store.deleteRoom("x")).toBe(true);
        // A join of the old room that committed after its deletion.
        await store.members.add("x", {
          key: "account:eve",
          name: "eve",
          guest: false,
        });
        await store.reads.set("account:eve", "x", 50);
        await store.reads.mention("x", 7, ["account:eve"]);
        expect(await store.createRoom("x", { owner: "zed" })).toBe(true);
        expect(await store.members.get("x", "account:eve")).toBe(null);
        expect(await store.members.count("x")).toBe(0);
        expect((await store.reads.get("account:eve", ["x"])).get("x") ?? 0)
          .toBe(0);
        expect(await store.reads.mentionsAfter("account:eve", "x", 0)).toBe(0);
        expect(await store.members.roomsOf("account:eve")).toEqual([]);
      }),
  ],
  [
    "a closed DM is kept per person with the id it was closed at, replaced by a later close, opened again once, and forgotten with its room",
    (place) =>
      using(place, {}, async (store) => {
        const dm = "dm-aaaaaaaaaaaaaaaaaaaaaaaa";
        await store.createRoom(dm, {}, { kind: "dm" });
        await store.closedDms.close("account:ana", dm, 3);
        await store.closedDms.close("account:ana", "other", 1);
        expect(await store.closedDms.get("account:ana", [dm, "other", "x"]))
          .toEqual(new Map([[dm, 3], ["other", 1]]));
        expect(await store.closedDms.get("account:bo", [dm])).toEqual(
          new Map(),
        );
        expect(await store.closedDms.get("account:ana", [])).toEqual(new Map());
        await store.closedDms.close("account:ana", dm, 9);
        expect((await store.closedDms.get("account:ana", [dm])).get(dm))
          .toBe(9);
        await expect(store.closedDms.close("account:ana", dm, -1)).rejects
          .toThrow(RangeError);
        expect(await store.closedDms.reopen("account:ana", dm)).toBe(true);
        expect(await store.closedDms.reopen("account:ana", dm)).toBe(false);
        expect(await store.closedDms.get("account:ana", [dm])).toEqual(
          new Map(),
        );
        await store.closedDms.close("account:bo", dm, 4);
        expect(await store.deleteRoom(dm)).toBe(true);
        expect(await store.closedDms.get("account:bo", [dm])).toEqual(
          new Map(),
        );
      }),
  ],
  [
    "a resend with the same clientId returns the original",
    (place) =>
      using(place, {}, async (store) => {
        const first = await store.append({
          room: "r",
          user: "u",
          text: "hi",
          clientId: "c1",
          guest: true,
        });
        const again = await store.append({
          room: "r",
          user: "u",
          text: "hi",
          clientId: "c1",
          guest: true,
        });
        const sameBatch = await Promise.all([
          store.append({ room: "r", user: "u", text: "x", clientId: "c2" }),
          store.append({ room: "r", user: "u", text: "x", clientId: "c2" }),
        ]);
        const otherUser = await store.append({
          room: "r",
          user: "v",
          text: "hi",
          clientId: "c1",
        });
        expect(first.duplicate).toBe(false);
        expect(first.message).toMatchObject({
          id: 1,
          clientId: "c1",
          guest: true,
        });
        expect(again.duplicate).toBe(true);
        expect(again.message).toMatchObject({
          id: first.message.id,
          ts: first.message.ts,
          user: "u",
          clientId: "c1",
        });
        expect(sameBatch[0].message.id).toBe(sameBatch[1].message.id);
        expect(sameBatch[1].duplicate).toBe(true);
        expect(otherUser.duplicate).toBe(false);
        expect((await store.range("r", 0)).length).toBe(3);
      }),
  ],
  [
    "a resend through another handle returns the original",
    async (place) => {
      const one = await place.open();
      const two = await place.open();
      try {
        const first = await one.append({
          room: "r",
          user: "u",
          text: "hi",
          clientId: "k",
        });
        const again = await two.append({
          room: "r",
          user: "u",
          text: "hi",
          clientId: "k",
        });
        expect(again).toMatchObject({
          duplicate: true,
          message: { id: first.message.id },
        });
        expect(await two.lastId("r")).toBe(1);
      } finally {
        await one.close();
        await two.close();
      }
    },
  ],
  [
    "the same clientId sent through two handles at once is stored once",
    async (place) => {
      const one = await place.open();
      const two = await place.open();
      try {
        // Rounds of racing resends, each round's other sends in the batch.
        for (let round = 0; round < 5; round++) {
          const sends = [one, two, one, two].map((store, i) =>
            Promise.all([
              store.append({
                room: "r",
                user: "u",
                text: `hi ${round}`,
                clientId: `k${round}`,
              }),
              store.append({ room: `o${i}`, user: "v", text: "x" }),
            ]).then(([a]) => a)
          );
          const results = await Promise.all(sends);
          expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
          expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
        }
        expect(await one.lastId("r")).toBe(5);
        expect((await two.range("r", 0)).map((m) => m.clientId)).toEqual(
          ["k0", "k1", "k2", "k3", "k4"],
        );
      } finally {
        await one.close();
        await two.close();
      }
    },
  ],
  [
    "one batch spans many rooms; a clientId repeats only within its room",
    (place) =>
      using(place, {}, async (store) => {
        const results = await Promise.all(
          Array.from({ length: 120 }, (_, i) =>
            store.append({
              room: `r${i % 60}`,
              user: "u",
              text: `m${i}`,
              clientId: `c${Math.floor(i / 60)}`,
            })),
        );
        expect(results.every((r) => !r.duplicate)).toBe(true);
        for (let r = 0; r < 60; r++) {
          expect(
            results.filter((x) => x.message.room === `r${r}`).map((x) =>
              x.message.id
            ),
          ).toEqual([1, 2]);
        }
        const again = await store.append({
          room: "r7",
          user: "u",
          text: "m67",
          clientId: "c1",
        });
        expect(again).toMatchObject({
          duplicate: true,
          message: { id: 2, room: "r7" },
        });
      }),
  ],
  [
    "history pages oldest first and retention drops the oldest",
    (place) =>
      using(place, { historyLimit: 150 }, async (store) => {
        for (let i = 1; i <= 320; i++) {
          await store.append({ room: "r", user: "u", text: `m${i}` });
        }
        // Retention runs after the commit; wait until it has.
        const deadline = Date.now() + 10_000;
        while ((await store.oldestId("r")) <= 100) {
          if (Date.now() > deadline) throw new Error("retention did not run");
          await new Promise((r) => setTimeout(r, 20));
        }
        const latest = await store.history("r", 50);
        expect(latest.messages.map((m) => m.id)).toEqual(
          Array.from({ length: 50 }, (_, i) => 271 + i),
        );
        expect(latest.hasMore).toBe(true);
        const older = await store.history("r", 50, 271);
        expect(older.messages.map((m) => m.id)).toEqual(
          Array.from({ length: 50 }, (_, i) => 221 + i),
        );
        expect(await store.oldestId("r")).toBeLessThanOrEqual(171);
        expect(await store.lastId("r")).toBe(320);
        expect((await store.range("r", 300, 302)).map((m) => m.id)).toEqual([
          301,
          302,
        ]);
        expect(await store.history("empty", 10)).toEqual({
          messages: [],
          hasMore: false,
        });
        expect(await store.oldestId("empty")).toBe(1);
      }),
  ],
  [
    "an edit changes the text, a deletion is final",
    (place) =>
      using(place, { now: () => 1234 }, async (store) => {
        await store.append({ room: "r", user: "u", text: "one" });
        const edited = await store.update("r", 1, {
          text: "uno",
          edited: true,
        });
        expect(edited).toEqual({
          id: 1,
          room: "r",
          user: "u",
          text: "uno",
          ts: 1234,
          edited: true,
        });
        expect(await store.get("r", 1)).toEqual(edited);
        const deleted = await store.update("r", 1, {
          text: "",
          deleted: true,
        });
        expect(deleted).toMatchObject({ text: "", deleted: true });
        expect(await store.update("r", 1, { text: "back", edited: true }))
          .toBe(null);
        expect(await store.update("r", 9, { text: "x", edited: true }))
          .toBe(null);
        expect(await store.get("r", 9)).toBe(null);
      }),
  ],
  [
    "rooms are created once and counted per creator",
    (place) =>
      using(place, {}, async (store) => {
        expect(await store.createRoom("dev", { owner: "mina", name: "mina" }))
          .toBe(true);
        expect(await store.createRoom("dev", { owner: "joon", name: "joon" }))
          .toBe(false);
        expect(
          await store.createRoom("guests", { name: "gus", from: "10.0.0.1" }),
        ).toBe(true);
        expect(await store.roomsCreatedBy("mina")).toBe(1);
        expect(await store.roomsCreatedBy("gus")).toBe(1);
        expect(await store.roomsCreatedFrom("10.0.0.1")).toBe(1);
        expect(await store.roomsCreatedFrom("10.0.0.2")).toBe(0);
        expect((await store.room("dev"))?.createdBy).toBe("mina");
        expect((await store.room("guests"))?.createdBy).toBe(null);
        expect(await store.room("nope")).toBe(null);
        expect((await store.rooms()).map((r) => r.id)).toEqual([
          "dev",
          "guests",
        ]);
      }),
  ],
  [
    "a room is deleted with its messages; an empty-only deletion spares a room with messages",
    (place) =>
      using(place, {}, async (store) => {
        await store.createRoom("spam", { name: "gus", from: "10.0.0.1" });
        await store.createRoom("used", { name: "gus", from: "10.0.0.1" });
        await store.append({ room: "used", user: "gus", text: "hi" });
        expect(await store.deleteRoom("used", { onlyIfEmpty: true })).toBe(
          false,
        );
        expect(await store.deleteRoom("spam", { onlyIfEmpty: true })).toBe(
          true,
        );
        expect(await store.room("spam")).toBe(null);
        expect(await store.roomsCreatedFrom("10.0.0.1")).toBe(1);
        expect(await store.deleteRoom("used")).toBe(true);
        expect(await store.deleteRoom("used")).toBe(false);
        expect(await store.lastId("used")).toBe(0);
        expect((await store.history("used", 10)).messages).toEqual([]);
        expect(await store.roomsCreatedBy("gus")).toBe(0);
        // The id is free again, and starts over.
        expect(await store.createRoom("used")).toBe(true);
        expect(
          (await store.append({ room: "used", user: "a", text: "x" }))
            .message.id,
        ).toBe(1);
      }),
  ],
  [
    "accounts are unique by key and listed",
    (place) =>
      using(place, {}, async (store) => {
        const mina = { name: "Mina", passwordHash: "scrypt$x", createdAt: 5 };
        expect(await store.accounts.insert("mina", mina, "rnina")).toBe(true);
        expect(
          await store.accounts.insert("mina", { ...mina, name: "MINA" }, "x"),
        ).toBe(false);
        expect(await store.accounts.get("mina")).toEqual(mina);
        expect(await store.accounts.get("joon")).toBe(null);
        expect(await Array.fromAsync(store.accounts.list())).toEqual([
          { key: "mina", account: mina },
        ]);
      }),
  ],
  [
    "a mention of 2,000 guests at once (an @here) is recorded for each, however many commits it takes",
    (place) =>
      using(place, {}, async (store) => {
        // Guests' member keys are long: some 95 bytes each as a KV key.
        const keys = Array.from({ length: 2000 }, (_, i) =>
          guestKey(`0193a1b2-c3d4-7e5f-8a9b-${String(i).padStart(12, "0")}`));
        await store.reads.mention("general", 7, keys);
        for (const key of [keys[0], keys[999], keys[1999]]) {
          expect(await store.reads.mentionsAfter(key, "general", 0)).toBe(1);
        }
      }),
  ],
  [
    "accounts are unique by confusable skeleton too",
    (place) =>
      using(place, {}, async (store) => {
        const coe = { name: "coe", passwordHash: "scrypt$x", createdAt: 5 };
        const cyr = { ...coe, name: "\u0441\u043e\u0435" };
        expect(await store.accounts.insert("coe", coe, "coe")).toBe(true);
        expect(await store.accounts.insert(cyr.name, cyr, "coe")).toBe(false);
        expect(await store.accounts.get(cyr.name)).toBe(null);
        expect(await store.accounts.bySkeleton("coe")).toBe("coe");
        expect(await store.accounts.bySkeleton("dave")).toBe(null);
      }),
  ],
  [
    "an account's skeleton recorded under an older rule is brought up to date, unless another account has the new one",
    (place) =>
      using(place, {}, async (store) => {
        const bill = { name: "Bill", passwordHash: "scrypt$x", createdAt: 5 };
        const lan = { ...bill, name: "lan" };
        const ian = { ...bill, name: "Ian" };
        expect(await store.accounts.insert("bill", bill, "bill")).toBe(true);
        expect(await store.accounts.insert("lan", lan, "lan")).toBe(true);
        expect(await store.accounts.insert("ian", ian, "ian")).toBe(true);
        await store.accounts.setSkeleton("bill", "blll");
        expect(await store.accounts.bySkeleton("blll")).toBe("Bill");
        // "lan" has "lan" already: "Ian" keeps its old one.
        await store.accounts.setSkeleton("ian", "lan");
        expect(await store.accounts.bySkeleton("lan")).toBe("lan");
        expect(await store.accounts.bySkeleton("ian")).toBe("Ian");
      }),
  ],
  [
    "a user's sessions all end at once",
    (place) =>
      using(place, {}, async (store) => {
        const s = { user: "mina", createdAt: 10, expiresAt: 10_000 };
        await store.sessions.put("d1", s);
        await store.sessions.put("d2", s);
        await store.sessions.put("d3", { ...s, user: "joon" });
        expect(await store.sessions.deleteAll("mina")).toBe(2);
        expect(await store.sessions.get("d1")).toBe(null);
        expect(await store.sessions.get("d2")).toBe(null);
        expect(await store.sessions.get("d3")).toEqual({ ...s, user: "joon" });
      }),
  ],
  [
    "a session is stored by digest and replaced in one step",
    (place) =>
      using(place, {}, async (store) => {
        const s = { user: "mina", createdAt: 10, expiresAt: 10_000 };
        await store.sessions.put("d1", s);
        expect(await store.sessions.get("d1")).toEqual(s);
        await store.sessions.put("d2", { ...s, createdAt: 20 }, "d1");
        expect(await store.sessions.get("d1")).toBe(null);
        expect(await store.sessions.get("d2")).toMatchObject({
          createdAt: 20,
        });
        await store.sessions.delete("d2");
        await store.sessions.delete("unknown");
        expect(await store.sessions.get("d2")).toBe(null);
      }),
  ],
  [
    "a name hold is exclusive until it lapses",
    async (place) => {
      const clock = { now: 1_000 };
      const one = await place.open({ now: () => clock.now });
      const two = await place.open({ now: () => clock.now });
      try {
        expect(await one.names.claim("Mina", "a", 1000)).toBe(true);
        expect(await two.names.claim("mina", "b", 1000)).toBe(false);
        expect(await two.names.claim("MINA", "a", 1000)).toBe(true);
        expect(await two.names.isHeld("mina")).toBe(true);
        await one.names.release("mina", "b", 0); // not b's: no effect
        expect(await one.names.isHeld("mina")).toBe(true);
        await one.names.release("mina", "a", 0);
        expect(await two.names.isHeld("mina")).toBe(false);
        expect(await two.names.claim("mina", "b", 1000)).toBe(true);
        clock.now += 1001;
        expect(await one.names.isHeld("mina")).toBe(false);
        expect(await one.names.claim("mina", "c", 1000)).toBe(true);
      } finally {
        await one.close();
        await two.close();
      }
    },
  ],
  [
    "name holds claimed and released together resolve one by one, in order",
    (place) =>
      using(place, {}, async (store) => {
        // Made in one tick, so they share commits: a renewal storm's shape.
        const names = Array.from({ length: 600 }, (_, i) => `guest${i}`);
        const first = await Promise.all(
          names.map((n) => store.names.claim(n, `h-${n}`, 60_000)),
        );
        expect(first.every(Boolean)).toBe(true);
        const [again, rival, released, after, other] = await Promise.all([
          store.names.claim("guest1", "h-guest1", 60_000),
          store.names.claim("guest1", "someone", 60_000),
          store.names.release("guest2", "h-guest2", 0),
          store.names.claim("guest2", "someone", 60_000),
          store.names.release("guest3", "not-the-holder", 0),
        ]);
        expect([again, rival, released, after, other]).toEqual([
          true,
          false,
          undefined,
          true,
          undefined,
        ]);
        expect(await store.names.isHeld("guest3")).toBe(true);
        expect(await store.names.isHeld("guest599")).toBe(true);
        expect(await store.names.isHeld("guest600")).toBe(false);
      }),
  ],
  [
    "a guest's identity keys its resends and is kept with its messages",
    (place) =>
      using(place, {}, async (store) => {
        const first = await store.append({
          room: "r",
          user: "mina",
          text: "hi",
          clientId: "c",
          guest: true,
          author: "g:token-1",
        });
        // Same identity under a new name: still the original.
        const renamed = await store.append({
          room: "r",
          user: "mina-2",
          text: "hi",
          clientId: "c",
          guest: true,
          author: "g:token-1",
        });
        // Another identity under the old name: a new message.
        const other = await store.append({
          room: "r",
          user: "mina",
          text: "hi",
          clientId: "c",
          guest: true,
          author: "g:token-2",
        });
        const account = await store.append({
          room: "r",
          user: "joon",
          text: "yo",
        });
        expect(renamed).toMatchObject({
          duplicate: true,
          message: { id: first.message.id, user: "mina" },
        });
        expect(other.duplicate).toBe(false);
        expect(await store.author("r", first.message.id)).toBe("g:token-1");
        expect(await store.author("r", other.message.id)).toBe("g:token-2");
        expect(await store.author("r", account.message.id)).toBe(null);
        expect(await store.author("r", 99)).toBe(null);
      }),
  ],
  [
    "admin grants are stored by key and the first listing is kept",
    (place) =>
      using(place, {}, async (store) => {
        const grant = { name: "Root", accountCreatedAt: 1, grantedAt: 2 };
        expect(await store.roles.get("root")).toBe(null);
        await store.roles.put("root", grant);
        expect(await store.roles.get("root")).toEqual(grant);
        expect(await store.roles.list()).toEqual([grant]);
        expect(await store.roles.delete("root")).toBe(true);
        expect(await store.roles.delete("root")).toBe(false);
        expect(await store.roles.list()).toEqual([]);
        expect(await store.roles.firstListed("root", 100)).toBe(100);
        expect(await store.roles.firstListed("root", 200)).toBe(100);
      }),
  ],
  [
    "bans are kept until they end",
    (place) =>
      using(place, { now: () => 1000 }, async (store) => {
        await store.bans.put({ room: "r", user: "mina", until: 5000 });
        await store.bans.put({ room: "r", user: "joon", until: 900 });
        expect(await store.bans.active(1000)).toEqual([
          { room: "r", user: "mina", until: 5000 },
        ]);
        expect(await store.bans.active(6000)).toEqual([]);
        expect(await store.healthy()).toBe(true);
      }),
  ],
  [
    "a member is added once, removed, counted and listed by key",
    (place) =>
      using(place, { now: () => 77 }, async (store) => {
        const mina = { key: "mina", name: "Mina", guest: false };
        expect(await store.members.add("r", mina)).toBe(true);
        expect(await store.members.add("r", { ...mina, name: "M" })).toBe(
          false,
        );
        expect(await store.members.get("r", "mina")).toEqual({
          ...mina,
          joinedAt: 77,
        });
        expect(await store.members.get("r", "joon")).toBe(null);
        expect(await store.members.get("other", "mina")).toBe(null);
        for (const key of ["g:b", "joon", "ada", "zed"]) {
          await store.members.add("r", {
            key,
            name: key,
            guest: key.startsWith("g:"),
          });
        }
        expect(await store.members.count("r")).toBe(5);
        expect(await store.members.count("empty")).toBe(0);
        const first = await store.members.list("r", { limit: 2 });
        expect(first.members.map((m) => m.key)).toEqual(["ada", "g:b"]);
        expect(first.members[1]).toEqual({
          key: "g:b",
          name: "g:b",
          guest: true,
          joinedAt: 77,
        });
        expect(first.next).toBe("g:b");
        const second = await store.members.list("r", {
          after: first.next,
          limit: 2,
        });
        expect(second).toEqual({
          members: [
            { key: "joon", name: "joon", guest: false, joinedAt: 77 },
            { key: "mina", name: "Mina", guest: false, joinedAt: 77 },
          ],
          next: "mina",
        });
        const last = await store.members.list("r", {
          after: "mina",
          limit: 2,
        });
        expect(last.members.map((m) => m.key)).toEqual(["zed"]);
        expect(last.next).toBe(undefined);
        // An `after` that is no member still pages from its place.
        expect(
          (await store.members.list("r", { after: "b", limit: 10 })).members
            .map((m) => m.key),
        ).toEqual(["g:b", "joon", "mina", "zed"]);
        // Found by folded name, for mentions; one name may be two members.
        await store.members.add("r", {
          key: "g:c",
          name: "ＭＩＮＡ",
          guest: true,
        });
        await store.members.add("other", {
          key: "g:d",
          name: "joon",
          guest: true,
        });
        expect(
          (await store.members.named("r", ["mina", "joon", "nobody"])).map((
            m,
          ) => [m.key, m.name]),
        ).toEqual([["g:c", "ＭＩＮＡ"], ["joon", "joon"], ["mina", "Mina"]]);
        expect(await store.members.named("r", [])).toEqual([]);
        expect(await store.members.remove("r", "g:c")).toBe(true);
        expect(await store.members.remove("r", "joon")).toBe(true);
        expect(await store.members.remove("r", "joon")).toBe(false);
        expect(
          (await store.members.named("r", ["mina", "joon"])).map((m) => m.key),
        ).toEqual(["mina"]);
        expect(await store.members.remove("nowhere", "mina")).toBe(false);
        expect(await store.members.count("r")).toBe(4);
        expect(await store.members.get("r", "joon")).toBe(null);
        expect(await store.members.add("r", mina)).toBe(false);
      }),
  ],
  [
    "a member key's rooms are listed; adds and removes in one burst apply in order",
    (place) =>
      using(place, {}, async (store) => {
        const mina = { key: "mina", name: "mina", guest: false };
        await store.members.add("b-room", mina);
        await store.members.add("a-room", mina);
        await store.members.add("a-room", { ...mina, key: "joon" });
        expect(await store.members.roomsOf("mina")).toEqual([
          "a-room",
          "b-room",
        ]);
        expect(await store.members.roomsOf("joon")).toEqual(["a-room"]);
        expect(await store.members.roomsOf("nobody")).toEqual([]);
        // Issued together, so they share commits: still applied in call order.
        const results = await Promise.all([
          store.members.remove("b-room", "mina"),
          store.members.add("b-room", mina),
          store.members.remove("b-room", "mina"),
          store.members.add("c-room", mina),
          store.members.add("c-room", mina),
          store.members.remove("a-room", "joon"),
          store.members.add("a-room", { ...mina, key: "joon" }),
        ]);
        expect(results).toEqual([true, true, true, true, false, true, true]);
        expect(await store.members.roomsOf("mina")).toEqual([
          "a-room",
          "c-room",
        ]);
        expect(await store.members.count("b-room")).toBe(0);
        expect(await store.members.count("c-room")).toBe(1);
        expect(await store.members.count("a-room")).toBe(2);
      }),
  ],
  [
    "a storm of 2,000 concurrent adds all land, with the right count",
    async (place) => {
      // Two handles, as two instances on one store, adding at once.
      const one = await place.open();
      const two = await place.open();
      try {
        const keys = Array.from({ length: 2000 }, (_, i) => `u${i}`);
        const results = await Promise.all(
          keys.map((key, i) =>
            (i % 2 ? one : two).members.add("big", {
              key,
              name: key,
              guest: i % 3 === 0,
            })
          ),
        );
        expect(results.every((r) => r)).toBe(true);
        // Everyone again, plus 10 new: only the new ones are added.
        const again = await Promise.all(
          [...keys, ...Array.from({ length: 10 }, (_, i) => `new${i}`)].map((
            key,
          ) => one.members.add("big", { key, name: key, guest: false })),
        );
        expect(again.filter((r) => r).length).toBe(10);
        expect(await two.members.count("big")).toBe(2010);
        let n = 0;
        let after: string | undefined;
        do {
          const page = await one.members.list("big", { after, limit: 500 });
          n += page.members.length;
          after = page.next;
        } while (after);
        expect(n).toBe(2010);
        expect(await one.members.roomsOf("u1999")).toEqual(["big"]);
        // Both handles adding the same 300 keys at once: each lands once.
        const same = Array.from({ length: 300 }, (_, i) => `same${i}`);
        const raced = await Promise.all(
          [one, two].flatMap((store) =>
            same.map((key) =>
              store.members.add("race", { key, name: key, guest: false })
            )
          ),
        );
        expect(raced.filter((r) => r).length).toBe(300);
        expect(await one.members.count("race")).toBe(300);
      } finally {
        await one.close();
        await two.close();
      }
    },
  ],
  [
    "membership and read state survive a restart",
    async (place) => {
      await using(place, {}, async (store) => {
        await store.createRoom("dev", {}, { kind: "private" });
        await store.members.add("dev", {
          key: "mina",
          name: "mina",
          guest: false,
        });
        await store.reads.set("mina", "dev", 4);
        await store.reads.mention("dev", 7, ["mina"]);
      });
      await using(place, {}, async (store) => {
        expect(await store.members.get("dev", "mina")).toMatchObject({
          name: "mina",
        });
        expect(await store.members.count("dev")).toBe(1);
        expect(await store.members.roomsOf("mina")).toEqual(["dev"]);
        expect(await store.reads.get("mina", ["dev"])).toEqual(
          new Map([["dev", 4]]),
        );
        expect(await store.reads.mentionsAfter("mina", "dev", 4)).toBe(1);
        expect((await store.room("dev"))?.kind).toBe("private");
      });
    },
  ],
  [
    "a new member's read mark is stored with it; a member's add leaves the mark alone",
    (place) =>
      using(place, {}, async (store) => {
        const mina = { key: "mina", name: "mina", guest: false };
        // Joins of one burst share a commit, marks and all.
        const added = await Promise.all([
          store.members.add("r", { ...mina, lastRead: 7 }),
          store.members.add("s", { ...mina, lastRead: 3 }),
          store.members.add("t", mina),
          store.members.add("r", { ...mina, key: "joon", lastRead: 7 }),
        ]);
        expect(added).toEqual([true, true, true, true]);
        expect(await store.reads.get("mina", ["r", "s", "t"])).toEqual(
          new Map([["r", 7], ["s", 3], ["t", 0]]),
        );
        expect(await store.reads.get("joon", ["r"])).toEqual(
          new Map([["r", 7]]),
        );
        // Already a member: nothing changes, whatever the mark.
        await store.reads.set("mina", "r", 9);
        expect(await store.members.add("r", { ...mina, lastRead: 12 })).toBe(
          false,
        );
        expect(await store.reads.get("mina", ["r"])).toEqual(
          new Map([["r", 9]]),
        );
        // Back after leaving: the mark is the room's newest id again.
        expect(await store.members.remove("s", "mina")).toBe(true);
        expect(await store.members.add("s", { ...mina, lastRead: 20 })).toBe(
          true,
        );
        expect(await store.reads.get("mina", ["s"])).toEqual(
          new Map([["s", 20]]),
        );
        await expect(
          store.members.add("u", { ...mina, lastRead: 1.5 }),
        ).rejects.toThrow(RangeError);
        expect(await store.members.get("u", "mina")).toBe(null);
      }),
  ],
  [
    "a burst over more rooms than one commit may check lands whole, answers in order",
    (place) =>
      using(place, {}, async (store) => {
        const rooms = Array.from({ length: 130 }, (_, i) => `room-${1000 + i}`);
        const mina = { key: "mina", name: "mina", guest: false };
        // 130 rooms in one batch; the first 40 joined twice (the second
        // not new), the repeat right after the first.
        const twice = (i: number) => i < 40;
        const answers = await Promise.all(
          rooms.flatMap((room, i) => [
            store.members.add(room, { ...mina, lastRead: 2 }),
            ...(twice(i) ? [store.members.add(room, mina)] : []),
          ]),
        );
        expect(answers).toEqual(
          rooms.flatMap((_, i) => twice(i) ? [true, false] : [true]),
        );
        expect(await store.members.roomsOf("mina")).toEqual(rooms);
        expect(await store.members.count("room-1129")).toBe(1);
        expect((await store.reads.get("mina", rooms)).get("room-1077")).toBe(2);
      }),
  ],
  [
    "a burst of new members, each with a read mark, in 90 rooms lands whole: the most mutations a membership commit takes",
    (place) =>
      using(place, {}, async (store) => {
        const rooms = Array.from({ length: 90 }, (_, i) => `busy-${i}`);
        const people = Array.from({ length: 450 }, (_, i) => ({
          key: `k${i}`,
          name: `Person ${i}`,
          guest: i % 2 === 0,
          lastRead: 7,
        }));
        const answers = await Promise.all(
          people.map((p, i) => store.members.add(rooms[i % rooms.length], p)),
        );
        expect(answers.every((a) => a)).toBe(true);
        for (const room of [rooms[0], rooms[89]]) {
          expect(await store.members.count(room)).toBe(5);
        }
        expect(await store.members.roomsOf("k449")).toEqual([rooms[89]]);
        expect((await store.reads.get("k449", [rooms[89]])).get(rooms[89]))
          .toBe(7);
      }),
  ],
  [
    "read state only moves forward and answers the stored value",
    (place) =>
      using(place, {}, async (store) => {
        expect(await store.reads.set("mina", "r", 5)).toBe(5);
        expect(await store.reads.set("mina", "r", 3)).toBe(5);
        expect(await store.reads.set("mina", "r", 9)).toBe(9);
        expect(await store.reads.set("joon", "r", 2)).toBe(2);
        // Concurrent sets share a commit: the highest wins, whatever order.
        const together = await Promise.all([
          store.reads.set("mina", "s", 4),
          store.reads.set("mina", "s", 12),
          store.reads.set("mina", "s", 8),
        ]);
        expect(together.every((v) => v === 12)).toBe(true);
        expect(await store.reads.get("mina", ["r", "s", "none"])).toEqual(
          new Map([["r", 9], ["s", 12], ["none", 0]]),
        );
        expect(await store.reads.get("joon", ["r"])).toEqual(
          new Map([["r", 2]]),
        );
        expect(await store.reads.get("nobody", [])).toEqual(new Map());
        await expect(store.reads.set("mina", "r", -1)).rejects.toThrow(
          RangeError,
        );
        await expect(store.reads.set("mina", "r", 1.5)).rejects.toThrow(
          RangeError,
        );
        await expect(store.reads.mention("r", NaN, ["mina"])).rejects.toThrow(
          RangeError,
        );
        expect(await store.reads.get("mina", ["r"])).toEqual(
          new Map([["r", 9]]),
        );
      }),
  ],
  [
    "a send's reader has read it, in the same commit, never back",
    (place) =>
      using(place, {}, async (store) => {
        // Sends of one batch (many rooms, two of one reader in one room).
        const sent = await Promise.all([
          store.append({ room: "r", user: "mina", text: "a", reader: "mina" }),
          store.append({ room: "r", user: "joon", text: "b", reader: "joon" }),
          store.append({ room: "r", user: "mina", text: "c", reader: "mina" }),
          store.append({ room: "s", user: "mina", text: "d", reader: "mina" }),
          store.append({ room: "s", user: "bo", text: "e" }),
        ]);
        expect(sent.map((a) => a.message.id)).toEqual([1, 2, 3, 1, 2]);
        expect(await store.reads.get("mina", ["r", "s"])).toEqual(
          new Map([["r", 3], ["s", 1]]),
        );
        expect(await store.reads.get("joon", ["r", "s"])).toEqual(
          new Map([["r", 2], ["s", 0]]),
        );
        expect(await store.reads.get("bo", ["s"])).toEqual(new Map([["s", 0]]));
        // A mark read further already stays; a resend moves nothing.
        await store.reads.set("joon", "r", 3);
        const again = await store.append({
          room: "r",
          user: "joon",
          text: "b",
          clientId: "c1",
          reader: "joon",
        });
        expect(again.message.id).toBe(4);
        await store.reads.set("joon", "s", 2);
        const dup = await store.append({
          room: "r",
          user: "joon",
          text: "b",
          clientId: "c1",
          reader: "mina",
        });
        expect(dup.duplicate).toBe(true);
        expect(await store.reads.get("joon", ["r", "s"])).toEqual(
          new Map([["r", 4], ["s", 2]]),
        );
        expect(await store.reads.get("mina", ["r"])).toEqual(
          new Map([["r", 3]]),
        );
      }),
  ],
  [
    "mentions are counted after the last-read id",
    (place) =>
      using(place, {}, async (store) => {
        await store.reads.mention("r", 3, ["mina", "joon"]);
        await store.reads.mention("r", 5, ["mina", "mina"]);
        await store.reads.mention("r", 9, ["mina"]);
        await store.reads.mention("s", 9, ["mina"]);
        await store.reads.mention("r", 10, []);
        expect(await store.reads.mentionsAfter("mina", "r", 0)).toBe(3);
        expect(await store.reads.mentionsAfter("mina", "r", 3)).toBe(2);
        expect(await store.reads.mentionsAfter("mina", "r", 9)).toBe(0);
        expect(await store.reads.mentionsAfter("joon", "r", 2)).toBe(1);
        expect(await store.reads.mentionsAfter("joon", "s", 0)).toBe(0);
        // Their ids, ascending, for the unread counts of threads.
        expect(await store.reads.mentionedAfter("mina", "r", 0)).toEqual([
          3,
          5,
          9,
        ]);
        expect(await store.reads.mentionedAfter("mina", "r", 4)).toEqual([
          5,
          9,
        ]);
        expect(await store.reads.mentionedAfter("joon", "s", 0)).toEqual([]);
        // One message mentioning many at once.
        const many = Array.from({ length: 1500 }, (_, i) => `k${i}`);
        await store.reads.mention("big", 1, many);
        expect(await store.reads.mentionsAfter("k1499", "big", 0)).toBe(1);
        expect(await store.reads.mentionsAfter("k0", "big", 0)).toBe(1);
        // A deleted message's mentions go, and who they were is told.
        expect((await store.reads.unmention("r", 3)).sort()).toEqual([
          "joon",
          "mina",
        ]);
        expect(await store.reads.mentionedAfter("mina", "r", 0)).toEqual([
          5,
          9,
        ]);
        expect(await store.reads.mentionsAfter("joon", "r", 0)).toBe(0);
        expect(await store.reads.mentionsAfter("mina", "s", 0)).toBe(1);
        expect(await store.reads.unmention("r", 3)).toEqual([]);
        // A mention still waiting to be written goes too.
        const pending = store.reads.mention("r", 11, ["mina"]);
        expect(await store.reads.unmention("r", 11)).toEqual(["mina"]);
        await pending;
        expect(await store.reads.mentionedAfter("mina", "r", 9)).toEqual([]);
      }),
  ],
  [
    "retention drops the mentions of messages it removed",
    (place) =>
      using(place, { historyLimit: 150 }, async (store) => {
        await store.reads.mention("r", 2, ["mina"]);
        await store.reads.mention("r", 300, ["mina"]);
        expect(await store.reads.mentionsAfter("mina", "r", 0)).toBe(2);
        for (let i = 1; i <= 320; i++) {
          await store.append({ room: "r", user: "u", text: `m${i}` });
        }
        // Retention runs after the commit; wait until it has.
        const deadline = Date.now() + 10_000;
        while ((await store.reads.mentionsAfter("mina", "r", 0)) > 1) {
          if (Date.now() > deadline) throw new Error("retention did not run");
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(await store.reads.mentionsAfter("mina", "r", 0)).toBe(1);
        expect(await store.reads.mentionsAfter("mina", "r", 299)).toBe(1);
      }),
  ],
  [
    "deleting a room removes its members, read state and mentions",
    (place) =>
      using(place, {}, async (store) => {
        await store.createRoom("gone");
        await store.createRoom("kept");
        for (const room of ["gone", "kept"]) {
          await store.members.add(room, {
            key: "mina",
            name: "mina",
            guest: false,
          });
          await store.reads.set("mina", room, 3);
          await store.reads.mention(room, 5, ["mina"]);
        }
        expect(await store.deleteRoom("gone")).toBe(true);
        expect(await store.members.get("gone", "mina")).toBe(null);
        expect(await store.members.count("gone")).toBe(0);
        expect(await store.members.roomsOf("mina")).toEqual(["kept"]);
        expect(await store.reads.get("mina", ["gone", "kept"])).toEqual(
          new Map([["gone", 0], ["kept", 3]]),
        );
        expect(await store.reads.mentionsAfter("mina", "gone", 0)).toBe(0);
        expect(await store.reads.mentionsAfter("mina", "kept", 0)).toBe(1);
        // Made again under the same id, it starts empty.
        await store.createRoom("gone");
        expect(
          await store.members.add("gone", {
            key: "mina",
            name: "mina",
            guest: false,
          }),
        ).toBe(true);
        expect(await store.members.count("gone")).toBe(1);
      }),
  ],
  [
    "members are found by the start of their folded name, in name order, one room only",
    (place) =>
      using(place, {}, async (store) => {
        const add = (room: string, key: string, name: string, guest = false) =>
          store.members.add(room, { key, name, guest });
        await Promise.all([
          add("r", "k-minho", "Minho"),
          add("r", "g:1", "ＭＩＮＡ", true),
          add("r", "k-mina", "mina"),
          add("r", "k-mi", "mi"),
          add("r", "k-bo", "bo"),
          add("r", "k-min", "민아"),
          add("r", "k-mirror", "mi.rror"),
          add("other", "k-mia", "mia"),
        ]);
        const found = (prefix: string, limit = 10) =>
          store.members.startingWith("r", prefix, limit).then((ms) =>
            ms.map((m) => m.key)
          );
        // Folded name order ("mi" < "mi.rror" < "mina" < "minho"), then key.
        expect(await found("mi")).toEqual([
          "k-mi",
          "k-mirror",
          "g:1",
          "k-mina",
          "k-minho",
        ]);
        expect(await found("min")).toEqual(["g:1", "k-mina", "k-minho"]);
        expect(await found("mi", 2)).toEqual(["k-mi", "k-mirror"]);
        expect(await found("minhoo")).toEqual([]);
        expect(await found("민")).toEqual(["k-min"]);
        expect(await found("")).toEqual([
          "k-bo",
          "k-mi",
          "k-mirror",
          "g:1",
          "k-mina",
          "k-minho",
          "k-min",
        ]);
        expect(
          (await store.members.startingWith("r", "mina", 5)).map((
            { key, name, guest },
          ) => ({ key, name, guest })),
        ).toEqual([
          { key: "g:1", name: "ＭＩＮＡ", guest: true },
          { key: "k-mina", name: "mina", guest: false },
        ]);
        expect(await store.members.startingWith("nowhere", "mi", 5)).toEqual(
          [],
        );
        // A member who left is found no more; one who comes back, again.
        await store.members.remove("r", "k-mina");
        expect(await found("min")).toEqual(["g:1", "k-minho"]);
        await add("r", "k-mina", "mina");
        expect(await found("min")).toEqual(["g:1", "k-mina", "k-minho"]);
        // Mentions find the same members by the whole folded name.
        expect(
          (await store.members.named("r", ["mina"])).map((m) => m.key),
        ).toEqual(["g:1", "k-mina"]);
      }),
  ],
  [
    "the public directory finds rooms by the start of their id, paged",
    (place) =>
      using(place, {}, async (store) => {
        for (
          const id of ["dev", "dev-ops", "design", "devtools", "de", "ops"]
        ) {
          await store.createRoom(id);
        }
        await store.createRoom("dev-secret", {}, { kind: "private" });
        const ids = (page: { rooms: { id: string }[] }) =>
          page.rooms.map((r) => r.id);
        const first = await store.publicRooms({ prefix: "dev", limit: 2 });
        expect(ids(first)).toEqual(["dev", "dev-ops"]);
        expect(first.next).toBe("dev-ops");
        const rest = await store.publicRooms({
          prefix: "dev",
          after: first.next,
          limit: 2,
        });
        expect(rest).toMatchObject({ rooms: [{ id: "devtools" }] });
        expect(rest.next).toBe(undefined);
        expect(ids(await store.publicRooms({ prefix: "de", limit: 10 })))
          .toEqual(["de", "design", "dev", "dev-ops", "devtools"]);
        expect(ids(await store.publicRooms({ prefix: "x", limit: 10 })))
          .toEqual([]);
        // A cursor before the prefix starts at it; one past it finds none.
        expect(
          ids(await store.publicRooms({ prefix: "dev", after: "a", limit: 1 })),
        ).toEqual(["dev"]);
        expect(
          await store.publicRooms({ prefix: "dev", after: "zz", limit: 5 }),
        ).toEqual({ rooms: [] });
        expect(ids(await store.publicRooms({ prefix: "", limit: 2 })))
          .toEqual(["de", "design"]);
      }),
  ],
  [
    "rooms have a kind; the public directory pages by id past private rooms and DMs",
    (place) =>
      using(place, {}, async (store) => {
        await store.createRoom("delta");
        await store.createRoom("alpha", { owner: "mina" }, {
          kind: "public",
          topic: "first",
        });
        await store.createRoom("bravo", {}, { kind: "private" });
        await store.createRoom("charlie");
        await store.createRoom("dm-abc", {}, { kind: "dm" });
        await store.createRoom("echo");
        expect(await store.room("alpha")).toMatchObject({
          kind: "public",
          topic: "first",
          createdBy: "mina",
        });
        expect(await store.room("bravo")).toMatchObject({ kind: "private" });
        expect((await store.room("bravo"))?.topic).toBe(undefined);
        expect((await store.room("dm-abc"))?.kind).toBe("dm");
        expect((await store.rooms()).length).toBe(6);
        const first = await store.publicRooms({ limit: 2 });
        expect(first.rooms.map((r) => r.id)).toEqual(["alpha", "charlie"]);
        expect(first.rooms[0]).toMatchObject({
          kind: "public",
          topic: "first",
        });
        expect(first.next).toBe("charlie");
        const second = await store.publicRooms({ after: "charlie", limit: 2 });
        expect(second.rooms.map((r) => r.id)).toEqual(["delta", "echo"]);
        expect(second.next).toBe(undefined);
        expect(await store.publicRooms({ after: "echo", limit: 2 })).toEqual({
          rooms: [],
        });
        expect(
          (await store.publicRooms({ limit: 10 })).rooms.map((r) => r.id),
        ).toEqual(["alpha", "charlie", "delta", "echo"]);
        expect((await store.publicRooms({ after: "b", limit: 10 })).rooms.map((
          r,
        ) => r.id)).toEqual(["charlie", "delta", "echo"]);
        await store.deleteRoom("charlie");
        expect((await store.publicRooms({ limit: 10 })).rooms.map((r) => r.id))
          .toEqual(["alpha", "delta", "echo"]);
      }),
  ],
  [
    "a membership event is stored with the message and read back with it",
    (place) =>
      using(place, {}, async (store) => {
        await store.append({ room: "r", user: "ana", text: "hi" });
        const event = {
          kind: "joined" as const,
          users: ["mina", "bo"],
          count: 3000,
        };
        const { message } = await store.append({
          room: "r",
          user: "",
          text: "mina and 2,999 others joined",
          event,
        });
        expect(message).toMatchObject({ id: 2, user: "", event });
        expect(await store.get("r", 2)).toMatchObject({ event });
        expect((await store.range("r", 0)).map((m) => m.event)).toEqual([
          undefined,
          event,
        ]);
        expect((await store.history("r", 10)).messages[1].event).toEqual(event);
      }),
  ],
  [
    "a reply takes the room's next id and moves its thread's summary",
    (place) =>
      using(place, { now: () => 1000 }, async (store) => {
        await store.append({ room: "r", user: "ana", text: "root" });
        await store.append({ room: "r", user: "bo", text: "other" });
        const one = await store.append({
          room: "r",
          user: "bo",
          text: "re 1",
          parent: 1,
          clientId: "c1",
        });
        expect(one.message).toMatchObject({ id: 3, parent: 1 });
        expect(one.message.alsoInRoom).toBeUndefined();
        const two = await store.append({
          room: "r",
          user: "cy",
          text: "re 2",
          parent: 1,
          alsoInRoom: true,
        });
        expect(two.message).toMatchObject({
          id: 4,
          parent: 1,
          alsoInRoom: true,
        });
        await store.append({ room: "r", user: "bo", text: "re 3", parent: 1 });
        const root = await store.get("r", 1);
        expect(root?.thread).toEqual({
          replies: 3,
          lastId: 5,
          lastTs: 1000,
          users: ["bo", "cy"],
        });
        expect(root?.text).toBe("root");
        expect((await store.get("r", 2))?.thread).toBeUndefined();
        // Replies are messages of the room: in range and history, in order.
        expect((await store.range("r", 0)).map((m) => [m.id, m.parent]))
          .toEqual([[1, undefined], [2, undefined], [3, 1], [4, 1], [5, 1]]);
        expect((await store.history("r", 10)).messages[0].thread?.replies)
          .toBe(3);
        // A resend is the original reply, and the summary does not move.
        const again = await store.append({
          room: "r",
          user: "bo",
          text: "re 1",
          parent: 1,
          clientId: "c1",
        });
        expect(again).toMatchObject({
          duplicate: true,
          message: { id: 3, parent: 1 },
        });
        expect((await store.get("r", 1))?.thread?.replies).toBe(3);
        expect(await store.lastId("r")).toBe(5);
      }),
  ],
  [
    "a thread's replies page oldest first, and only that thread's",
    (place) =>
      using(place, {}, async (store) => {
        await store.append({ room: "r", user: "ana", text: "a" });
        await store.append({ room: "r", user: "ana", text: "b" });
        await Promise.all(
          Array.from({ length: 7 }, (_, i) =>
            store.append({
              room: "r",
              user: `u${i}`,
              text: `re ${i}`,
              parent: i % 2 ? 2 : 1,
            })),
        );
        const all = await store.threads.replies("r", 1, { limit: 10 });
        expect(all.hasMore).toBe(false);
        expect(all.messages.map((m) => m.text)).toEqual([
          "re 0",
          "re 2",
          "re 4",
          "re 6",
        ]);
        const last = await store.threads.replies("r", 1, { limit: 2 });
        expect(last.messages.map((m) => m.text)).toEqual(["re 4", "re 6"]);
        expect(last.hasMore).toBe(true);
        const before = await store.threads.replies("r", 1, {
          limit: 2,
          before: last.messages[0].id,
        });
        expect(before.messages.map((m) => m.text)).toEqual(["re 0", "re 2"]);
        expect(before.hasMore).toBe(false);
        expect((await store.get("r", 1))?.thread).toMatchObject({
          replies: 4,
          users: ["u6", "u4", "u2", "u0"],
        });
        expect((await store.threads.replies("r", 9, { limit: 5 })).messages)
          .toEqual([]);
      }),
  ],
  [
    "an edit of a thread's first message keeps its summary, and replies keep the edit",
    (place) =>
      using(place, {}, async (store) => {
        await store.append({ room: "r", user: "ana", text: "root" });
        await store.append({ room: "r", user: "bo", text: "re", parent: 1 });
        await Promise.all([
          store.update("r", 1, { text: "root!", edited: true }),
          ...Array.from({ length: 5 }, (_, i) =>
            store.append({
              room: "r",
              user: "bo",
              text: `re ${i}`,
              parent: 1,
            })),
        ]);
        const root = await store.get("r", 1);
        expect(root).toMatchObject({ text: "root!", edited: true });
        expect(root?.thread?.replies).toBe(6);
      }),
  ],
  [
    "a deleted reply leaves its thread's summary, racing replies and deletions alike",
    (place) =>
      using(place, { now: () => 1000 }, async (store) => {
        await store.append({ room: "r", user: "ana", text: "root" });
        await store.append({ room: "r", user: "ana", text: "re a", parent: 1 });
        const bo = await store.append({
          room: "r",
          user: "bo",
          text: "re b",
          parent: 1,
        });
        expect((await store.get("r", 1))?.thread).toEqual({
          replies: 2,
          lastId: 3,
          lastTs: 1000,
          users: ["bo", "ana"],
        });
        await store.update("r", bo.message.id, { text: "", deleted: true });
        // One fewer, its writer no longer named; the newest id stays.
        expect((await store.get("r", 1))?.thread).toEqual({
          replies: 1,
          lastId: 3,
          lastTs: 1000,
          users: ["ana"],
        });
        // Deleting it again changes nothing.
        expect(await store.update("r", 3, { text: "", deleted: true }))
          .toBeNull();
        expect((await store.get("r", 1))?.thread?.replies).toBe(1);
        // Deletions and new replies at once: every one counted exactly once.
        await Promise.all([
          store.update("r", 2, { text: "", deleted: true }),
          ...Array.from({ length: 4 }, (_, i) =>
            store.append({ room: "r", user: `u${i}`, text: "x", parent: 1 })),
        ]);
        const root = await store.get("r", 1);
        expect(root?.thread?.replies).toBe(4);
        expect(root?.thread?.lastId).toBe(7);
        expect([...root!.thread!.users].sort()).toEqual([
          "u0",
          "u1",
          "u2",
          "u3",
        ]);
        for (const id of [4, 5, 6, 7]) {
          await store.update("r", id, { text: "", deleted: true });
        }
        expect((await store.get("r", 1))?.thread).toEqual({
          replies: 0,
          lastId: 7,
          lastTs: 1000,
          users: [],
        });
        // An edit of a reply doesn't move the count.
        await store.append({ room: "r", user: "cy", text: "re", parent: 1 });
        await store.update("r", 8, { text: "re!", edited: true });
        expect((await store.get("r", 1))?.thread).toMatchObject({
          replies: 1,
          users: ["cy"],
        });
        // Past many deleted replies, the live one is still found and named.
        for (let i = 0; i < 60; i++) {
          const { message } = await store.append({
            room: "r",
            user: `x${i}`,
            text: "x",
            parent: 1,
          });
          await store.update("r", message.id, { text: "", deleted: true });
        }
        expect((await store.get("r", 1))?.thread).toMatchObject({
          replies: 1,
          users: ["cy"],
        });
      }),
  ],
  [
    "a send is found again by its sender and clientId",
    (place) =>
      using(place, {}, async (store) => {
        await store.append({
          room: "r",
          user: "ana",
          text: "a",
          clientId: "x",
        });
        await store.append({
          room: "r",
          user: "gus",
          text: "b",
          clientId: "x",
          guest: true,
          author: "guest:t",
        });
        expect(await store.sent("r", "ana", "x")).toMatchObject({
          id: 1,
          text: "a",
        });
        expect(await store.sent("r", "guest:t", "x")).toMatchObject({
          id: 2,
          user: "gus",
        });
        expect(await store.sent("r", "gus", "x")).toBeNull();
        expect(await store.sent("r", "ana", "y")).toBeNull();
        expect(await store.sent("other", "ana", "x")).toBeNull();
      }),
  ],
  [
    "thread participants are kept per thread, survive reopening and go with their room",
    async (place) => {
      await using(place, {}, async (store) => {
        await store.createRoom("r");
        await store.append({ room: "r", user: "ana", text: "root" });
        await store.append({ room: "r", user: "bo", text: "re", parent: 1 });
        await store.threads.join("r", 1, ["account:bo", "account:ana"]);
        await store.threads.join("r", 1, ["account:bo", "guest:x"]);
        await store.threads.join("r", 7, ["account:cy"]);
      });
      await using(place, {}, async (store) => {
        expect(await store.threads.participants("r", 1)).toEqual([
          "account:ana",
          "account:bo",
          "guest:x",
        ]);
        expect((await store.get("r", 1))?.thread?.replies).toBe(1);
        expect((await store.threads.replies("r", 1, { limit: 5 })).messages)
          .toHaveLength(1);
        expect(await store.deleteRoom("r")).toBe(true);
        expect(await store.threads.participants("r", 1)).toEqual([]);
        expect(await store.threads.participants("r", 7)).toEqual([]);
        expect((await store.threads.replies("r", 1, { limit: 5 })).messages)
          .toEqual([]);
      });
    },
  ],
];

/** Reactions, pins and topics (issue 16, items 2 and 5). */
const reactionCases: Case[] = [
  [
    "reactions are one per person and emoji, counted and named in first-use order",
    (place) =>
      using(place, {}, async (store) => {
        for (let i = 0; i < 3; i++) {
          await store.append({ room: "r", user: "ana", text: `m${i}` });
        }
        const change = (key: string, emoji: string, add = true, id = 1) =>
          store.reactions.change({
            room: "r",
            id,
            emoji,
            key,
            name: key.toUpperCase(),
            add,
          });
        expect(await change("a", "👍")).toBe("added");
        expect(await change("a", "👍")).toBe("unchanged");
        expect(await change("b", "🎉")).toBe("added");
        expect(await change("b", "👍")).toBe("added");
        expect(await change("c", "👍", true, 2)).toBe("added");
        expect(await change("c", "🎉", false)).toBe("unchanged");
        const all = await store.reactions.summaries("r", [1, 2, 3]);
        expect([...all.keys()].sort()).toEqual([1, 2]);
        expect(all.get(1)).toEqual([
          { emoji: "👍", count: 2, users: ["A", "B"] },
          { emoji: "🎉", count: 1, users: ["B"] },
        ]);
        const mine = await store.reactions.summaries("r", [1], "a");
        expect(mine.get(1)?.map((r) => [r.emoji, r.mine])).toEqual([
          ["👍", true],
          ["🎉", false],
        ]);
        expect(await change("b", "🎉", false)).toBe("removed");
        expect(await change("a", "👍", false)).toBe("removed");
        expect((await store.reactions.summaries("r", [1])).get(1)).toEqual([
          { emoji: "👍", count: 1, users: ["B"] },
        ]);
        expect(await change("b", "👍", false)).toBe("removed");
        expect((await store.reactions.summaries("r", [1])).has(1)).toBe(false);
      }),
  ],
  [
    "reactions: at most 20 kinds per message, a missing or deleted message or a membership event is not_found",
    (place) =>
      using(place, {}, async (store) => {
        await store.append({ room: "r", user: "ana", text: "hi" });
        await store.append({ room: "r", user: "ana", text: "bye" });
        const emoji = [..."😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚🙂🤗"];
        const results = await Promise.all(emoji.map((e, i) =>
          store.reactions.change({
            room: "r",
            id: 1,
            emoji: e,
            key: `k${i}`,
            name: `n${i}`,
            add: true,
          })
        ));
        expect(
          results.filter((r) =>
            r === "added"
          ).length,
        ).toBe(20);
        expect(results.filter((r) => r === "limit").length).toBe(1);
        // An emoji already there may still gain people.
        const again = (await store.reactions.summaries("r", [1])).get(1)![0];
        expect(
          await store.reactions.change({
            room: "r",
            id: 1,
            emoji: again.emoji,
            key: "late",
            name: "late",
            add: true,
          }),
        ).toBe("added");
        await store.update("r", 2, { text: "", deleted: true });
        // A membership event takes no reaction, nor a pin.
        const { message: joined } = await store.append({
          room: "r",
          user: "",
          text: "bo joined",
          event: { kind: "joined", users: ["bo"], count: 1 },
        });
        expect(await store.pins.pin("r", joined.id, "ana")).toBe("not_found");
        for (const id of [2, 99, joined.id]) {
          expect(
            await store.reactions.change({
              room: "r",
              id,
              emoji: "👍",
              key: "a",
              name: "a",
              add: true,
            }),
          ).toBe("not_found");
        }
      }),
  ],
  [
    "reactions: a storm from two handles counts every person once and survives a restart",
    async (place) => {
      const one = await place.open();
      const two = await place.open();
      try {
        await one.append({ room: "r", user: "ana", text: "hi" });
        const results = await Promise.all(
          Array.from(
            { length: 300 },
            (_, i) =>
              (i % 2 ? one : two).reactions.change({
                room: "r",
                id: 1,
                emoji: i % 3 ? "👍" : "❤️",
                key: `k${i % 250}`,
                name: `n${i % 250}`,
                add: true,
              }),
          ),
        );
        expect(results.every((r) => r === "added" || r === "unchanged"))
          .toBe(true);
      } finally {
        await one.close();
        await two.close();
      }
      await using(place, {}, async (store) => {
        const got = (await store.reactions.summaries("r", [1])).get(1)!;
        const total = got.reduce((n, r) => n + r.count, 0);
        // 250 people; k0..k49 reacted twice, with the same or another emoji.
        const pairs = new Set(
          Array.from(
            { length: 300 },
            (_, i) => `${i % 250}${i % 3 ? "👍" : "❤️"}`,
          ),
        );
        expect(total).toBe(pairs.size);
        expect(got.every((r) => r.users.length === Math.min(10, r.count)))
          .toBe(true);
      });
    },
  ],
  [
    "pins: newest first, once each, at most 50, gone with the room",
    (place) =>
      using(place, {}, async (store) => {
        await store.createRoom("r");
        for (let i = 0; i < 52; i++) {
          await store.append({ room: "r", user: "ana", text: `m${i}` });
        }
        expect(await store.pins.pin("r", 1, "ana")).toBe("pinned");
        expect(await store.pins.pin("r", 2, "bo")).toBe("pinned");
        expect(await store.pins.pin("r", 1, "bo")).toBe("present");
        expect(await store.pins.pin("r", 99, "bo")).toBe("not_found");
        expect((await store.pins.list("r")).map((p) => [p.id, p.by])).toEqual([
          [2, "bo"],
          [1, "ana"],
        ]);
        expect(await store.pins.unpin("r", 1)).toBe(true);
        expect(await store.pins.unpin("r", 1)).toBe(false);
        for (let id = 3; id <= 51; id++) await store.pins.pin("r", id, "ana");
        expect(await store.pins.pin("r", 52, "ana")).toBe("limit");
        expect((await store.pins.list("r")).length).toBe(50);
        await store.reactions.change({
          room: "r",
          id: 3,
          emoji: "👍",
          key: "a",
          name: "a",
          add: true,
        });
        expect(await store.deleteRoom("r")).toBe(true);
        expect(await store.pins.list("r")).toEqual([]);
        expect((await store.reactions.summaries("r", [3])).size).toBe(0);
      }),
  ],
  [
    "retention drops the reactions and pins of messages it removed",
    (place) =>
      using(place, { historyLimit: 150 }, async (store) => {
        await store.createRoom("r");
        for (let i = 1; i <= 320; i++) {
          await store.append({ room: "r", user: "u", text: `m${i}` });
          if (i === 2 || i === 300) {
            await store.reactions.change({
              room: "r",
              id: i,
              emoji: "👍",
              key: "a",
              name: "a",
              add: true,
            });
            await store.pins.pin("r", i, "owner");
          }
        }
        const deadline = Date.now() + 10_000;
        while ((await store.pins.list("r")).length > 1) {
          if (Date.now() > deadline) throw new Error("retention did not run");
          await new Promise((r) => setTimeout(r, 20));
        }
        expect((await store.pins.list("r")).map((p) => p.id)).toEqual([300]);
        const left = await store.reactions.summaries("r", [2, 300]);
        expect([...left.keys()]).toEqual([300]);
      }),
  ],
  [
    "topics are set, cleared, listed and kept across a restart",
    async (place) => {
      await using(place, {}, async (store) => {
        await store.createRoom("r");
        expect(await store.setTopic("r", "Deploys and outages")).toBe(true);
        expect(await store.setTopic("none", "x")).toBe(false);
      });
      await using(place, {}, async (store) => {
        expect((await store.room("r"))?.topic).toBe("Deploys and outages");
        expect((await store.publicRooms({ limit: 5 })).rooms[0].topic).toBe(
          "Deploys and outages",
        );
        await store.setTopic("r", "");
        expect((await store.room("r"))?.topic).toBeUndefined();
      });
    },
  ],
];
cases.push(...reactionCases);

for (const backend of backends) {
  Deno.test(`store contract (${backend.name})`, async (t) => {
    const env = await backend.setUp();
    try {
      for (const [name, fn] of cases) {
        await t.step(`store - ${name}`, async () => {
          const place = await env.place();
          try {
            await fn(place);
          } finally {
            await place.remove();
          }
        });
      }
    } finally {
      await env.tearDown();
    }
  });
}
