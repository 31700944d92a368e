/**
 * Search through a real server: `GET /api/search` over the rooms a reader
 * may read, guests' messages marked, messages sent, edited and deleted over
 * real sockets, and a restart on the same KV file.
 */
import { expect } from "expect";
import { loadConfig } from "@/lib/server/config.ts";
import { startServer, withServer } from "@/tests/helpers/server.ts";
import { until } from "@/tests/helpers/until.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";
import type { Client, Frame } from "@/tests/helpers/ws_client.ts";
import { account, join, open, say, welcome } from "@/tests/helpers/members.ts";

interface Found {
  status: number;
  body: {
    results?: Frame[];
    next?: string;
    error?: { status: number; message: string };
  };
}

async function find(
  s: { url: string },
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Found> {
  const res = await fetch(
    `${s.url}/api/search?${new URLSearchParams(params)}`,
    { headers },
  );
  return { status: res.status, body: await res.json() };
}

/** Waits until `params` finds `n` results (indexing follows the ack closely). */
function found(
  s: { url: string },
  params: Record<string, string>,
  headers: Record<string, string>,
  n: number,
): Promise<Frame[]> {
  return until(async () => {
    const { body } = await find(s, params, headers);
    return body.results?.length === n ? body.results : undefined;
  }, { what: `${n} results for ${params.q}` });
}

const texts = (results: Frame[] | undefined) =>
  (results ?? []).map((r) => r.text);

/**
 * Korean and English hits, guests' messages marked, and who may find a
 * private room's messages.
 */
async function readersAndRooms(env: Record<string, string>): Promise<void> {
  await withServer(env, async (s) => {
    const minaCookie = await account(s, "mina");
    const mina = await open(s, "mina", { cookie: minaCookie });
    mina.send({ type: "create", room: "secret", private: true });
    await mina.next("room", (f) => (f.room as Frame).id === "secret");
    await join(mina, "secret");
    await join(mina, "general");
    await say(mina, "general", "Deploy on Friday 금요일 배포");
    await say(mina, "secret", "비밀 deploy plan");
    const gus = await open(s, "gus");
    const gusToken = welcome(gus).token as string;
    const joonCookie = await account(s, "joon");
    await open(s, "joon", { cookie: joonCookie });
    const asMina = { cookie: minaCookie };

    const both = await found(s, { q: "DEPLOY" }, asMina, 2);
    expect(both).toEqual([
      {
        room: "secret",
        id: expect.any(Number),
        user: "mina",
        ts: expect.any(Number),
        text: "비밀 deploy plan",
        highlights: [[3, 9]],
      },
      expect.objectContaining({
        room: "general",
        text: "Deploy on Friday 금요일 배포",
        highlights: [[0, 6]],
      }),
    ]);
    const korean = await find(s, { q: "배포" }, asMina);
    expect(korean.body.results?.map((r) => r.highlights)).toEqual([[[21, 23]]]);
    expect(texts((await find(s, { q: "금요일 friday" }, asMina)).body.results))
      .toEqual(["Deploy on Friday 금요일 배포"]);

    // Not members of the private room: joon (an account), gus (a guest by
    // its token).
    const outsiders: Record<string, string>[] = [
      { cookie: joonCookie },
      { "x-guest-token": gusToken },
    ];
    for (const headers of outsiders) {
      expect(texts((await find(s, { q: "deploy" }, headers)).body.results))
        .toEqual(["Deploy on Friday 금요일 배포"]);
      expect((await find(s, { q: "비밀" }, headers)).body.results).toEqual([]);
      const refused = await find(s, { q: "deploy", room: "secret" }, headers);
      expect(refused).toEqual({
        status: 404,
        body: { error: { status: 404, message: "No such room: secret" } },
      });
    }
    // Without an identity one is a member of nothing: only a named room.
    expect((await find(s, { q: "deploy" })).body.results).toEqual([]);
    expect(texts(
      (await find(s, { q: "deploy", room: "general" })).body
        .results,
    )).toEqual(["Deploy on Friday 금요일 배포"]);
    expect((await find(s, { q: "deploy", room: "secret" })).status).toBe(404);

    // A guest's message says so (guest names pass from person to person);
    // an account's carries no such mark.
    await join(gus, "general");
    await say(gus, "general", "Reboot tonight");
    const guests = await found(s, { q: "reboot" }, asMina, 1);
    expect(guests).toEqual([expect.objectContaining({
      user: "gus",
      guest: true,
    })]);
    expect("guest" in both[0] || "guest" in both[1]).toBe(false);

    // Invited, the guest finds it by its token.
    mina.send({ type: "invite", room: "secret", user: "gus" });
    await gus.next("room", (f) => (f.room as Frame).id === "secret");
    expect(
      texts(
        (await find(s, { q: "비밀" }, { "x-guest-token": gusToken })).body
          .results,
      ),
    ).toEqual(["비밀 deploy plan"]);
  });
}

Deno.test("search api - pages follow next; bad input is a 400 with a JSON error", async () => {
  await withServer({}, async (s) => {
    const cookie = await account(s, "mina");
    const mina = await open(s, "mina", { cookie });
    await join(mina, "general");
    for (let i = 0; i < 5; i++) await say(mina, "general", `note ${i} 메모`);
    await found(s, { q: "메모" }, { cookie }, 5);
    const first = await find(s, { q: "note", limit: "2" }, { cookie });
    expect(texts(first.body.results)).toEqual(["note 4 메모", "note 3 메모"]);
    const second = await find(s, {
      q: "note",
      limit: "2",
      before: first.body.next!,
    }, { cookie });
    expect(texts(second.body.results)).toEqual(["note 2 메모", "note 1 메모"]);
    const last = await find(s, {
      q: "note",
      limit: "2",
      before: second.body.next!,
    }, { cookie });
    expect(texts(last.body.results)).toEqual(["note 0 메모"]);
    expect(last.body.next).toBe(undefined);

    const bad: [Record<string, string>, string][] = [
      [{}, "Missing q: the words to search for"],
      [{ q: "  " }, "Missing q: the words to search for"],
      [{ q: "가".repeat(201) }, "Invalid q: longer than 200 characters"],
      [{ q: "?!*" }, "Invalid q: it has no letters or digits"],
      [
        { q: "note", limit: "0" },
        "Invalid limit: expected an integer from 1 to 50",
      ],
      [
        { q: "note", limit: "x" },
        "Invalid limit: expected an integer from 1 to 50",
      ],
      [
        { q: "note", before: "yesterday" },
        "Invalid before: expected a page's next",
      ],
    ];
    for (const [params, message] of bad) {
      expect(await find(s, params, { cookie })).toEqual({
        status: 400,
        body: { error: { status: 400, message } },
      });
    }
    expect((await find(s, { q: "가".repeat(200) }, { cookie })).status)
      .toBe(200);
    expect((await find(s, { q: "note", room: "nowhere" })).status).toBe(404);
  });
});

/** Edits and deletions change hits; hits survive a restart on `env`'s store. */
async function editsAndRestart(env: Record<string, string>): Promise<void> {
  const config = loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    KV_PATH: ":memory:",
    LOG_LEVEL: "fatal",
    ...env,
  });
  let cookie = "";
  {
    const s = await startServer(config);
    try {
      cookie = await account(s, "mina");
      const mina: Client = await open(s, "mina", { cookie });
      await join(mina, "general");
      const lunch = await say(mina, "general", "lunch at noon 점심");
      const breakfast = await say(mina, "general", "breakfast 아침");
      await found(s, { q: "점심" }, { cookie }, 1);
      await found(s, { q: "아침" }, { cookie }, 1);
      mina.send({
        type: "edit",
        room: "general",
        id: lunch,
        text: "dinner at seven 저녁",
      });
      await mina.next("edited", (f) => f.id === lunch);
      expect((await find(s, { q: "lunch" }, { cookie })).body.results)
        .toEqual([]);
      expect((await find(s, { q: "점심" }, { cookie })).body.results)
        .toEqual([]);
      const dinner = await find(s, { q: "저녁" }, { cookie });
      expect(dinner.body.results).toEqual([
        expect.objectContaining({
          id: lunch,
          text: "dinner at seven 저녁",
          edited: true,
          highlights: [[16, 18]],
        }),
      ]);
      // A reply kept in its thread names the thread; one sent to the room
      // too doesn't (it is found in the room's timeline).
      for (const alsoInRoom of [false, true]) {
        const clientId = crypto.randomUUID();
        mina.send({
          type: "send",
          room: "general",
          text: `mango ${alsoInRoom}`,
          parent: lunch,
          alsoInRoom,
          clientId,
        });
        await mina.next("ack", (f) => f.clientId === clientId);
      }
      const mango = await find(s, { q: "mango" }, { cookie });
      expect((mango.body.results ?? []).map((r) => ({
        text: r.text,
        thread: r.thread,
      }))).toEqual([
        { text: "mango true", thread: undefined },
        { text: "mango false", thread: lunch },
      ]);
      mina.send({ type: "delete", room: "general", id: breakfast });
      await mina.next("deleted", (f) => f.id === breakfast);
      expect((await find(s, { q: "breakfast" }, { cookie })).body.results)
        .toEqual([]);
    } finally {
      await s.shutdown();
    }
  }
  const s = await startServer(config);
  try {
    expect(texts(
      (await find(s, { q: "dinner 저녁" }, { cookie })).body
        .results,
    )).toEqual(["dinner at seven 저녁"]);
    expect((await find(s, { q: "lunch" }, { cookie })).body.results)
      .toEqual([]);
    expect((await find(s, { q: "아침" }, { cookie })).body.results)
      .toEqual([]);
  } finally {
    await s.shutdown();
  }
}

Deno.test("search api - Korean and English hits with highlights, over the rooms each reader may read (KV)", async () => {
  await readersAndRooms({});
});

Deno.test("search api - an edit changes hits, a deletion removes them, and hits survive a restart on the same KV file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat_search_" });
  try {
    await editsAndRestart({ KV_PATH: `${dir}/chat.kv` });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("search api - on PostgreSQL: who may find what, edits, deletions and a restart", async () => {
  await using pg = await startPostgres();
  await readersAndRooms({ DATABASE_URL: await pg.createDatabase("readers") });
  await editsAndRestart({ DATABASE_URL: await pg.createDatabase("restart") });
});

Deno.test("search api - an address past its budget gets 429 with Retry-After, another address still searches; too many at once get 503", async () => {
  await withServer({ TRUST_PROXY: "true" }, async (s) => {
    const from = (address: string) =>
      fetch(`${s.url}/api/search?q=anything`, {
        headers: { "x-forwarded-for": address },
      });
    // One after another: the burst of 30 (and what refills meanwhile) is
    // answered, then the address is refused.
    let ok = 0;
    let refused: Response | undefined;
    for (let i = 0; i < 80 && !refused; i++) {
      const res = await from("203.0.113.7");
      if (res.status === 200) {
        ok++;
        await res.body?.cancel();
      } else refused = res;
    }
    expect(ok).toBeGreaterThanOrEqual(30);
    expect(refused?.status).toBe(429);
    expect(refused?.headers.get("retry-after")).toBe("1");
    expect(await refused?.json()).toEqual({
      error: {
        status: 429,
        message: "Too many searches; wait a moment and try again",
      },
    });
    const other = await from("198.51.100.9");
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual({ results: [] });
    // Many addresses at once: what the server can't run now is refused
    // at once (503, JSON), not queued; nothing else is answered.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => from(`192.0.2.${i + 1}`)),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.every((x) => x === 200 || x === 503)).toBe(true);
    expect(statuses.filter((x) => x === 200).length).toBeGreaterThanOrEqual(8);
    const busy = answers.find((r) => r.status === 503);
    if (busy) {
      expect((await busy.clone().json()).error.status).toBe(503);
    }
    await Promise.all(answers.map((r) => r.body?.cancel()));
  });
});
