/**
 * Two app processes that share no file (a KV_PATH each) and one real
 * PostgreSQL, with no Redis: the store and the bus (LISTEN/NOTIFY) are both
 * PostgreSQL. Messages, presence and typing cross between them, history is
 * shared, and while PostgreSQL is down sends are refused with `unavailable`
 * and no ack, `/readyz` answers 503, and the outage is logged once.
 */
import { expect } from "expect";
import {
  freePort,
  type ServerProcess,
  spawnServer,
} from "@/tests/helpers/process.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";
import { Client } from "@/tests/helpers/ws_client.ts";
import { wsUrl } from "@/tests/helpers/server.ts";
import { until } from "@/tests/helpers/until.ts";

async function member(s: ServerProcess, name: string): Promise<Client> {
  const c = new Client(wsUrl(s, `/ws?name=${name}`));
  await c.next("welcome");
  c.send({ type: "join", room: "general" });
  await c.next("joined");
  return c;
}

async function readyz(s: ServerProcess): Promise<number> {
  const res = await fetch(`${s.url}/readyz`);
  await res.body?.cancel();
  return res.status;
}

Deno.test({
  name:
    "postgres - two instances without a shared file or Redis share messages, history, presence and typing; an outage refuses sends and is logged once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using pg = await startPostgres();
    const databaseUrl = await pg.createDatabase("scale_out");
    const dirOne = await Deno.makeTempDir({ prefix: "chat-pg-one-" });
    const dirTwo = await Deno.makeTempDir({ prefix: "chat-pg-two-" });
    const env = {
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: "info",
      RATE_PER_SECOND: "1000",
      RATE_BURST: "1000",
    };
    const one = await spawnServer(freePort(), {
      ...env,
      KV_PATH: `${dirOne}/chat.kv`,
    });
    const two = await spawnServer(freePort(), {
      ...env,
      KV_PATH: `${dirTwo}/chat.kv`,
    });
    const clients: Client[] = [];
    try {
      const ana = await member(one, "ana");
      const ben = await member(two, "ben");
      clients.push(ana, ben);
      // Presence is the union of both instances.
      await ana.next(
        "presence",
        (f) =>
          (f.changes as { name: string; status: string }[]).some((u) =>
            u.name === "ben" && u.status === "online"
          ),
      );
      // Ben sees both, in his joined list or in a presence frame after it.
      await ben.until(() =>
        ben.of("joined")[0].online === 2 ||
        ben.of("presence").some((f) => f.online === 2)
      );
      // Guest names are held in PostgreSQL, so unique across instances.
      const twin = new Client(wsUrl(two, "/ws?name=ANA"));
      const twinWelcome = await twin.next("welcome");
      expect((twinWelcome.user as { name: string }).name).toBe("ANA-2");
      await twin.close();

      ben.send({ type: "typing", room: "general", typing: true });
      await ana.next("typing", (f) => f.user === "ben" && f.typing === true);

      for (let i = 0; i < 5; i++) {
        ana.send({
          type: "send",
          room: "general",
          text: `from one ${i}`,
          clientId: `a${i}`,
        });
        ben.send({
          type: "send",
          room: "general",
          text: `from two ${i}`,
          clientId: `b${i}`,
        });
      }
      await ben.next("message", (f) => f.text === "from one 4");
      await ana.next("message", (f) => f.text === "from two 4");
      const fiveAcks = (c: Client) =>
        c.until(() => c.of("ack").length >= 5 ? c.of("ack") : undefined);
      const acks = [...await fiveAcks(ana), ...await fiveAcks(ben)];
      const ackedIds = acks.map((a) => a.id as number).sort((x, y) => x - y);
      expect(new Set(ackedIds).size).toBe(10);
      // A resend with the same clientId gets the original ack.
      ana.send({
        type: "send",
        room: "general",
        text: "from one 0",
        clientId: "a0",
      });
      await until(() => ana.of("ack").length >= 6);
      const [firstAck] = ana.of("ack");
      expect(ana.of("ack")[5].id).toBe(firstAck.id);

      // History read through either instance is the same, without gaps
      // (stored membership events, "ana joined", take ids too).
      type Stored = { id: number; event?: unknown };
      const read = async (s: typeof one): Promise<Stored[]> =>
        (await (await fetch(`${s.url}/api/rooms/general/messages?limit=50`))
          .json()).messages;
      // Read again if a membership event landed between the two reads.
      const pages = await until(async () => {
        const both = [await read(one), await read(two)];
        return JSON.stringify(both[0]) === JSON.stringify(both[1])
          ? both
          : undefined;
      }, { what: "the same history on both instances" });
      const historyIds = pages[0].map((m) => m.id);
      expect(historyIds).toEqual(
        historyIds.map((_, i) => historyIds[0] + i),
      );
      expect(pages[0].filter((m) => !m.event).map((m) => m.id)).toEqual(
        ackedIds,
      );

      // PostgreSQL goes down: sends are refused, not acked; not ready.
      expect(await readyz(one)).toBe(200);
      await pg.crash();
      const acked = ana.of("ack").length;
      for (let i = 0; i < 3; i++) {
        ana.send({
          type: "send",
          room: "general",
          text: "while down",
          clientId: `down${i}`,
        });
        await ana.next(
          "error",
          (f) =>
            f.code === "unavailable" &&
            (f.frame as { clientId?: string })?.clientId === `down${i}`,
        );
      }
      expect(ana.of("ack").length).toBe(acked);
      await until(async () => (await readyz(one)) === 503, {
        what: "/readyz 503",
      });
      // Other frames are told so in their own words (no clientId to
      // resend); a page is a 503 saying so, not a 500.
      ana.send({ type: "members", room: "general" });
      const refused = await ana.next(
        "error",
        (f) => (f.frame as { type?: string })?.type === "members",
      );
      expect(refused).toMatchObject({
        code: "unavailable",
        message: "The store can't be reached right now; try again shortly",
      });
      // An original client is closed 1011 saying why, not refused its name.
      expect(await new Client(wsUrl(one, "/ws/general/zed")).closed)
        .toMatchObject({
          code: 1011,
          reason: "The store is unavailable; reconnect later",
        });
      // A session looked up while the store is away: JSON for the API.
      const api = await fetch(`${one.url}/api/rooms/general/messages`, {
        headers: { cookie: `sid=${"A".repeat(43)}` },
      });
      expect(api.status).toBe(503);
      expect((await api.json()).error.message).toContain("try again shortly");
      const page = await fetch(`${one.url}/rooms/general`);
      expect(page.status).toBe(503);
      expect(page.headers.get("retry-after")).toBe("5");
      expect(await page.text()).toContain("database can't be reached");

      // Back: the resend is stored once and acked.
      await pg.start();
      await until(async () => (await readyz(one)) === 200, {
        what: "/readyz 200 again",
        ms: 20_000,
      });
      ana.send({
        type: "send",
        room: "general",
        text: "while down",
        clientId: "down0",
      });
      const ack = await ana.next("ack", (f) => f.clientId === "down0");
      expect(ack.id).toBeGreaterThan(ackedIds[9]);
      await ben.next("message", (f) => f.id === ack.id);
      // The store's outage line (a membership event that could not be
      // stored meanwhile is warned about on its own).
      const outages = one.stderr().split("\n").filter((l) =>
        l.includes("unreachable") && l.includes('"logger":"chat.store"')
      );
      expect(outages.length).toBe(1);
      // Each refused frame or page is not an error of its own in the log.
      expect(one.stderr()).not.toMatch(/handling \\"members\\" failed/);
      expect(one.stderr()).not.toContain("/rooms/general failed");
    } finally {
      for (const c of clients) await c.close();
      await one.stop();
      await two.stop();
      await Deno.remove(dirOne, { recursive: true });
      await Deno.remove(dirTwo, { recursive: true });
    }
  },
});

Deno.test("postgres - a bad DATABASE_URL stops the start with one clear line", async () => {
  const root = new URL("../", import.meta.url).pathname;
  for (
    const [url, expected] of [
      [
        "mysql://chat@db/chat",
        /^Invalid configuration: DATABASE_URL: expected postgres:\/\//,
      ],
      [
        "postgres://chat:s3cret@127.0.0.1:1/chat",
        /^DATABASE_URL: cannot use PostgreSQL at postgres:\/\/chat:\*\*\*@127\.0\.0\.1:1\/chat: /,
      ],
    ] as const
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-kv", "serve.ts"],
      cwd: root,
      env: { DATABASE_URL: url, PORT: "0", KV_PATH: ":memory:" },
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr).trim();
    expect(out.code).toBe(2);
    expect(stderr.split("\n")).toHaveLength(1);
    expect(stderr).toMatch(expected);
    expect(stderr).not.toContain("s3cret");
  }
});
