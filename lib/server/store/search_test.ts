/**
 * Message search, one contract suite against both backends: a Deno KV file
 * and a real PostgreSQL server started for the run.
 */
import { expect } from "expect";
import { openKvStore } from "./kv.ts";
import { openPostgresStore } from "./postgres.ts";
import type { SearchPage, Store } from "./store.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";

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
    setUp: () =>
      Promise.resolve({
        async place() {
          const dir = await Deno.makeTempDir({ prefix: "chat-search-" });
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
      }),
  },
  {
    name: "postgres",
    async setUp() {
      const pg = await startPostgres();
      let n = 0;
      return {
        async place() {
          const url = await pg.createDatabase(`search_${++n}`);
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

/** A clock moving 1 ms per reading, so messages have distinct times. */
function ticking(start = 1_000_000): () => number {
  let t = start;
  return () => t++;
}

/** Waits for background indexing (KV) so hits are there to find. */
async function settled(store: Store): Promise<void> {
  const s = store.search as { idle?: () => Promise<void> };
  await s.idle?.();
}

const texts = (page: SearchPage) => page.hits.map((h) => h.message.text);

type Case = [name: string, fn: (place: Place) => Promise<void>];

async function using(
  place: Place,
  options: OpenOptions,
  fn: (store: Store) => Promise<void>,
): Promise<void> {
  const store = await place.open({ now: ticking(), ...options });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

const cases: Case[] = [
  [
    "English and Korean hits, newest first, with highlights, in the given rooms only",
    (place) =>
      using(place, {}, async (store) => {
        for (const room of ["a", "b", "c"]) await store.createRoom(room);
        await store.append({
          room: "a",
          user: "mina",
          text: "Deploy on Friday",
        });
        await store.append({
          room: "b",
          user: "joon",
          text: "서울역에서 만나요",
        });
        await store.append({
          room: "a",
          user: "joon",
          text: "no deploy today",
        });
        await store.append({ room: "c", user: "eve", text: "deploy 서울" });
        await store.append({ room: "b", user: "mina", text: "서쪽 울산" });
        await settled(store);
        const deploy = await store.search.query({
          rooms: ["a", "b"],
          query: "DEPLOY",
          limit: 10,
        });
        expect(texts(deploy)).toEqual(["no deploy today", "Deploy on Friday"]);
        expect(deploy.hits[1].highlights).toEqual([[0, 6]]);
        expect(deploy.hits[1].message).toMatchObject({
          room: "a",
          id: 1,
          user: "mina",
        });
        expect(deploy.next).toBe(undefined);
        const seoul = await store.search.query({
          rooms: ["a", "b", "c"],
          query: "서울",
          limit: 10,
        });
        expect(texts(seoul)).toEqual(["deploy 서울", "서울역에서 만나요"]);
        expect(seoul.hits[1].highlights).toEqual([[0, 2]]);
        const both = await store.search.query({
          rooms: ["a", "b", "c"],
          query: "서울 deploy",
          limit: 10,
        });
        expect(both.hits.map((h) => h.highlights)).toEqual([[[0, 6], [7, 9]]]);
        expect(
          (await store.search.query({ rooms: ["a"], query: "서울", limit: 5 }))
            .hits,
        ).toEqual([]);
      }),
  ],
  [
    "Japanese and Chinese: characters must stand together; one character finds its words",
    (place) =>
      using(place, {}, async (store) => {
        await store.append({
          room: "r",
          user: "u",
          text: "東京駅で会いましょう",
        });
        await store.append({ room: "r", user: "u", text: "東の京" });
        await store.append({ room: "r", user: "u", text: "我爱北京" });
        await settled(store);
        const q = (query: string) =>
          store.search.query({ rooms: ["r"], query, limit: 10 });
        expect(texts(await q("東京"))).toEqual(["東京駅で会いましょう"]);
        expect(texts(await q("京"))).toEqual([
          "我爱北京",
          "東の京",
          "東京駅で会いましょう",
        ]);
        expect((await q("北京")).hits[0].highlights).toEqual([[2, 4]]);
        expect(texts(await q("会いましょう"))).toEqual([
          "東京駅で会いましょう",
        ]);
      }),
  ],
  [
    "an edit changes the hits, a deletion removes them, membership events are never found",
    (place) =>
      using(place, {}, async (store) => {
        const { message } = await store.append({
          room: "r",
          user: "mina",
          text: "lunch at noon 점심",
        });
        await store.append({ room: "r", user: "", text: "mina joined lunch" });
        await settled(store);
        const q = (query: string) =>
          store.search.query({ rooms: ["r"], query, limit: 10 });
        expect(texts(await q("lunch"))).toEqual(["lunch at noon 점심"]);
        await store.update("r", message.id, {
          text: "dinner at seven 저녁",
          edited: true,
        });
        expect((await q("lunch")).hits).toEqual([]);
        expect((await q("점심")).hits).toEqual([]);
        const dinner = await q("저녁 dinner");
        expect(dinner.hits.map((h) => h.message)).toEqual([
          expect.objectContaining({
            text: "dinner at seven 저녁",
            edited: true,
          }),
        ]);
        await store.update("r", message.id, { text: "", deleted: true });
        expect((await q("dinner")).hits).toEqual([]);
        expect((await q("저녁")).hits).toEqual([]);
      }),
  ],
  [
    "pages follow next across rooms without gaps or repeats",
    (place) =>
      using(place, {}, async (store) => {
        const sent: string[] = [];
        for (let i = 0; i < 45; i++) {
          const text = `status report ${i} 보고서`;
          sent.push(text);
          await store.append({ room: ["x", "y", "z"][i % 3], user: "u", text });
          if (i % 4 === 0) {
            await store.append({ room: "x", user: "u", text: "unrelated" });
          }
        }
        await settled(store);
        for (const query of ["report", "보고서"]) {
          const seen: string[] = [];
          let before = undefined;
          for (let n = 0; n < 10; n++) {
            const page: SearchPage = await store.search.query({
              rooms: ["x", "y", "z"],
              query,
              limit: 7,
              before,
            });
            seen.push(...texts(page));
            if (!page.next) break;
            expect(page.hits.length).toBe(7);
            before = page.next;
          }
          expect(seen).toEqual([...sent].reverse());
        }
      }),
  ],
  [
    "two common words found together only rarely: every such message, in order",
    (place) =>
      using(place, {}, async (store) => {
        const both: number[] = [];
        const sends = [];
        for (let i = 0; i < 400; i++) {
          const text = i % 37 === 5
            ? `alpha ${i} beta 회의`
            : i % 2
            ? `alpha ${i} 회의`
            : `beta ${i}`;
          sends.push(store.append({ room: "r", user: "u", text }));
        }
        for (const [i, a] of (await Promise.all(sends)).entries()) {
          if (i % 37 === 5) both.push(a.message.id);
        }
        await settled(store);
        for (const query of ["alpha beta", "beta 회의", "회의 beta alpha"]) {
          const page = await store.search.query({
            rooms: ["r", "empty"],
            query,
            limit: 100,
          });
          expect(page.hits.map((h) => h.message.id)).toEqual(
            [...both].reverse(),
          );
        }
      }),
  ],
  [
    "a rare word with a common one: the common word's postings are looked up, not read through",
    (place) =>
      using(place, {}, async (store) => {
        const both: number[] = [];
        for (let i = 0; i < 400; i++) {
          const words = [`n${i}`];
          if (i % 2 === 0) words.push("common");
          if (i % 5 === 0) words.push("rare");
          const { message } = await store.append({
            room: "r",
            user: "u",
            text: words.join(" "),
          });
          if (i % 10 === 0) both.push(message.id);
        }
        await settled(store);
        const seen: number[] = [];
        let before = undefined;
        for (let n = 0; n < 10; n++) {
          const page: SearchPage = await store.search.query({
            rooms: ["r"],
            query: "common rare",
            limit: 15,
            before,
          });
          seen.push(...page.hits.map((h) => h.message.id));
          if (!page.next) break;
          before = page.next;
        }
        expect(seen).toEqual([...both].reverse());
      }),
  ],
  [
    "retention and room removal take their messages out of search",
    (place) =>
      using(place, { historyLimit: 10 }, async (store) => {
        await store.createRoom("gone");
        await store.append({ room: "gone", user: "u", text: "secret plan" });
        for (let i = 0; i < 120; i++) {
          await store.append({ room: "r", user: "u", text: `item ${i} tick` });
        }
        await settled(store);
        const q = (rooms: string[], query: string) =>
          store.search.query({ rooms, query, limit: 200 });
        // Retention keeps the last 10 of 120 (pruned every hundred).
        const kept = await store.oldestId("r");
        const hits = (await q(["r"], "tick")).hits.map((h) => h.message.id);
        expect(hits.length).toBe(121 - kept);
        expect(Math.min(...hits)).toBe(kept);
        expect((await q(["r"], "0")).hits).toEqual([]);
        expect(await store.deleteRoom("gone")).toBe(true);
        await store.createRoom("gone");
        await store.append({ room: "gone", user: "u", text: "open plan" });
        await settled(store);
        expect(texts(await q(["gone"], "plan"))).toEqual(["open plan"]);
        expect((await q(["gone"], "secret")).hits).toEqual([]);
      }),
  ],
  [
    "hits survive a restart on the same place",
    async (place) => {
      await using(place, {}, async (store) => {
        await store.append({ room: "r", user: "u", text: "keep this 기억" });
        const { message } = await store.append({
          room: "r",
          user: "u",
          text: "first words",
        });
        await store.update("r", message.id, { text: "second words" });
      });
      await using(place, { now: ticking(2_000_000) }, async (store) => {
        await settled(store);
        const q = (query: string) =>
          store.search.query({ rooms: ["r"], query, limit: 10 });
        expect(texts(await q("기억"))).toEqual(["keep this 기억"]);
        expect(texts(await q("words"))).toEqual(["second words"]);
        expect((await q("first")).hits).toEqual([]);
      });
    },
  ],
  [
    "a query without letters or digits, or without rooms, finds nothing",
    (place) =>
      using(place, {}, async (store) => {
        await store.append({ room: "r", user: "u", text: "?!" });
        await settled(store);
        expect(
          await store.search.query({ rooms: ["r"], query: "?!", limit: 5 }),
        ).toEqual({ hits: [] });
        expect(
          await store.search.query({ rooms: [], query: "u", limit: 5 }),
        ).toEqual({ hits: [] });
      }),
  ],
];

for (const backend of backends) {
  Deno.test(`search contract (${backend.name})`, async (t) => {
    const env = await backend.setUp();
    try {
      for (const [name, fn] of cases) {
        await t.step(`search - ${name}`, async () => {
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
