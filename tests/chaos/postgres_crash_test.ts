/**
 * Crash test on PostgreSQL: two instances share one PostgreSQL and no file.
 * Clients send steadily to both; one instance is SIGKILLed right after acks
 * and PostgreSQL is crash-restarted (`pg_ctl stop -m immediate`, then start)
 * at once, twice. Afterwards every acked message is in history exactly once,
 * ids run 1..N without gaps, and every client received every message once.
 */
import { expect } from "expect";
import {
  freePort,
  type ServerProcess,
  spawnServer,
} from "@/tests/helpers/process.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";
import { until } from "@/tests/helpers/until.ts";
import {
  type Received,
  ResilientClient,
} from "@/tests/helpers/resilient_client.ts";

Deno.test({
  name:
    "crash - SIGKILL of an instance and a PostgreSQL crash restart lose no acked message and double none",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using pg = await startPostgres();
    const databaseUrl = await pg.createDatabase("crash");
    const dir = await Deno.makeTempDir({ prefix: "chat-pg-crash-" });
    const env = (n: number) => ({
      DATABASE_URL: databaseUrl,
      KV_PATH: `${dir}/chat-${n}.kv`,
      RATE_PER_SECOND: "1000",
      RATE_BURST: "1000",
    });
    const ports = [freePort(), freePort()];
    const servers: ServerProcess[] = [
      await spawnServer(ports[0], env(0)),
      await spawnServer(ports[1], env(1)),
    ];
    const clients = ["ana", "bo", "cy", "di"].map((n, i) =>
      new ResilientClient(servers[i % 2].url, n, "general")
    );
    try {
      clients.forEach((c) => c.connect());
      await until(() => clients.every((c) => c.name !== ""), {
        what: "welcome",
        ms: 20_000,
      });
      const sender = setInterval(() => clients.forEach((c) => c.send()), 40);
      const retrier = setInterval(
        () => clients.forEach((c) => c.retry()),
        1000,
      );
      try {
        for (let round = 0; round < 2; round++) {
          await new Promise((r) => setTimeout(r, 1500));
          // Right after acks: wait for one, then kill at once.
          const acked = clients[0].acked.size;
          await until(() => clients[0].acked.size > acked, {
            what: "a fresh ack",
            ms: 20_000,
          });
          await servers[0].stop("SIGKILL");
          await pg.restart();
          servers[0] = await spawnServer(ports[0], env(0));
        }
        await new Promise((r) => setTimeout(r, 1000));
      } finally {
        clearInterval(sender);
      }
      await until(() => clients.every((c) => c.outbox.length === 0), {
        what: "every send acked",
        ms: 60_000,
        detail: () =>
          clients.map((c) =>
            `${c.wanted}: ${c.outbox.length} unacked (first ${
              c.outbox[0]?.clientId
            }), socket ${c.ws?.readyState ?? "none"}, last id ${c.lastId}`
          ).join("; ") + servers.map((s, i) =>
            `\nserver ${i} stderr: ${s.stderr().slice(-3000)}`
          ).join(""),
      });
      clearInterval(retrier);
      const lastId = Math.max(...clients.flatMap((c) => [...c.acked.values()]));
      await until(() => clients.every((c) => c.lastId === lastId), {
        what: "every client caught up",
        ms: 30_000,
      });

      const history: Received[] = [];
      let before: number | undefined;
      for (;;) {
        const q = before ? `?limit=200&before=${before}` : "?limit=200";
        const page = await (await fetch(
          `${servers[1].url}/api/rooms/general/messages${q}`,
        )).json();
        history.unshift(...page.messages);
        if (!page.hasMore) break;
        before = page.messages[0].id;
      }
      const ids = history.map((m) => m.id);
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
      const sent = clients.reduce((n, c) => n + c.seq, 0);
      expect(sent).toBeGreaterThan(200);
      // Stored membership events ("ana joined") are in history too.
      const chat = history.filter((m) => m.event === undefined);
      expect(chat.length).toBe(sent);
      const byClientId = new Map(chat.map((m) => [m.clientId, m.id]));
      expect(byClientId.size).toBe(chat.length);
      for (const c of clients) {
        for (const [clientId, id] of c.acked) {
          expect(byClientId.get(clientId)).toBe(id);
        }
        expect(c.received.map((m) => m.id)).toEqual(ids);
      }
    } finally {
      clients.forEach((c) => c.close());
      for (const s of servers) await s.stop("SIGTERM");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
