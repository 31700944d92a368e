/**
 * An in-process server for a test: `startServer` on a free loopback port,
 * shut down afterwards whatever happens.
 *
 * @module
 */
import { loadConfig } from "@/lib/server/config.ts";
import { type Server, startServer } from "@/main.ts";

/**
 * Runs `fn` against a server configured by `env` (over the test defaults:
 * port 0, loopback, silent logs, KV in memory — or in a temporary file with
 * `kvFile`).
 */
export async function withServer(
  env: Record<string, string>,
  fn: (s: Server) => Promise<void>,
  options: { kvFile?: boolean } = {},
): Promise<void> {
  const dir = options.kvFile
    ? await Deno.makeTempDir({ prefix: "chat_test_" })
    : undefined;
  const server = await startServer(loadConfig({
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    KV_PATH: dir ? `${dir}/chat.kv` : ":memory:",
    LOG_LEVEL: "fatal",
    ...env,
  }));
  try {
    await fn(server);
  } finally {
    await server.shutdown().catch(() => {}); // A test may have closed parts already.
    if (dir) await Deno.remove(dir, { recursive: true });
  }
}

/** The WebSocket URL of `path` on `s`. */
export function wsUrl(s: { url: string }, path: string): string {
  return s.url.replace("http", "ws") + path;
}
