/**
 * Crash test: clients send at a steady rate while the server is killed with
 * SIGKILL and restarted on the same KV file, several times. Afterwards every
 * acked message is in history exactly once, in id order, and every client
 * has received every message exactly once after its resumes.
 */
import { expect } from "expect";
import {
  freePort,
  type ServerProcess,
  spawnServer,
} from "@/tests/helpers/process.ts";
import { until } from "@/tests/helpers/until.ts";
import {
  type Received,
  ResilientClient,
} from "@/tests/helpers/resilient_client.ts";

Deno.test({
  name: "crash - SIGKILL mid-traffic loses no acked message and repeats none",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const env = {
      KV_PATH: `${dir}/chat.kv`,
      RATE_PER_SECOND: "1000",
      RATE_BURST: "1000",
    };
    const port = freePort();
    let server: ServerProcess = await spawnServer(port, env);
    const clients = ["ana", "bo", "cy", "di"].map((n) =>
      new ResilientClient(server.url, n, "general")
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
        for (let kill = 0; kill < 3; kill++) {
          await new Promise((r) => setTimeout(r, 1500));
          await server.stop("SIGKILL");
          await new Promise((r) => setTimeout(r, 300));
          server = await spawnServer(port, env);
        }
        await new Promise((r) => setTimeout(r, 1000));
      } finally {
        clearInterval(sender);
      }
      await until(() => clients.every((c) => c.outbox.length === 0), {
        what: "every send acked",
        ms: 60_000,
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
        const page =
          await (await fetch(`${server.url}/api/rooms/general/messages${q}`))
            .json();
        history.unshift(...page.messages);
        if (!page.hasMore) break;
        before = page.messages[0].id;
      }
      const ids = history.map((m) => m.id);
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
      const sent = clients.reduce((n, c) => n + c.seq, 0);
      expect(sent).toBeGreaterThan(300);
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
      await server.stop("SIGTERM");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
