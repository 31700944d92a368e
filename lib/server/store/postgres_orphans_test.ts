import { expect } from "expect";
import { connect } from "./postgres.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";
import { tcpProxy } from "@/tests/helpers/tcp_proxy.ts";

/**
 * The server's answer when a backend is terminated (`pg_terminate_backend`,
 * or a restart): an ErrorResponse, FATAL 57P01.
 */
function terminated(): Uint8Array {
  const fields = "SFATAL\0VFATAL\0C57P01\0" +
    "Mterminating connection due to administrator command\0\0";
  const body = new TextEncoder().encode(fields);
  const out = new Uint8Array(5 + body.length);
  out[0] = "E".charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

/**
 * A TCP proxy to `port` whose first connection is terminated, the way
 * PostgreSQL terminates a backend, as soon as the client sends the
 * array-type query it runs on every new connection; later connections
 * pass untouched.
 */
function cuttingProxy(port: number) {
  let cut = 0;
  const proxy = tcpProxy(port, async (chunk, link) => {
    if (
      link.index === 0 && new TextDecoder().decode(chunk).includes("typarray")
    ) {
      cut++;
      await link.client.write(terminated());
      return "end";
    }
    return "forward";
  });
  return { port: proxy.port, cuts: () => cut, close: () => proxy.close() };
}

Deno.test({
  name:
    "postgres orphans - a connection lost while the client fetches types doesn't end the process",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using pg = await startPostgres();
    const url = new URL(await pg.createDatabase("orphans"));
    const proxy = cuttingProxy(Number(url.port));
    url.port = String(proxy.port);
    const seen: PromiseRejectionEvent[] = [];
    const watch = (e: PromiseRejectionEvent) => seen.push(e);
    // Listeners run in order: the guard (installed by `connect`) first.
    const sql = connect(url.href, 1);
    globalThis.addEventListener("unhandledrejection", watch);
    try {
      // The first connection is cut during the type fetch; the client
      // connects again and the query is answered (or fails on its own).
      await sql`SELECT 1 AS n`.catch(() => undefined);
      const [row] = await sql<{ n: number }[]>`SELECT 2 AS n`;
      expect(row.n).toBe(2);
      expect(proxy.cuts()).toBe(1);
      // The client's orphaned rejection happened, and was kept from ending
      // the process (without the guard this test fails as uncaught).
      await new Promise((r) => setTimeout(r, 50));
      expect(seen.length).toBeGreaterThanOrEqual(1);
      expect(seen.every((e) => e.defaultPrevented)).toBe(true);
    } finally {
      globalThis.removeEventListener("unhandledrejection", watch);
      await sql.end({ timeout: 1 });
      proxy.close();
    }
  },
});
