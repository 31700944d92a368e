/**
 * The storage contract, one suite run against both backends: a Deno KV file
 * and a real PostgreSQL server started for the run.
 */
import { expect } from "expect";
import { openKvStore } from "./kv.ts";
import { openPostgresStore } from "./postgres.ts";
import type { Store } from "./store.ts";
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
];

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
