/**
 * An in-process server for a test: the app `main.ts` builds, with the
 * project's build applied, served on a free loopback port and shut down
 * afterwards whatever happens.
 *
 * @module
 */
import { Builder } from "fresh/dev";
import type { App } from "fresh";
import { type Config, loadConfig } from "@/lib/server/config.ts";
import { openServices } from "@/lib/server/services.ts";
import type { Bus } from "@/lib/server/bus/bus.ts";
import type { Chat } from "@/lib/server/chat/chat.ts";
import type { Auth } from "@/lib/server/auth/middleware.ts";
import { listen, type Listener } from "@/lib/server/http/listen.ts";
import { createApp } from "@/main.ts";
import type { State } from "@/utils.ts";

/** A running in-process server. */
export interface Server extends Listener {
  /** The chat service it serves. */
  chat: Chat;
  /** Accounts, sessions and the login limiter. */
  auth: Auth;
}

const ROOT = new URL("../../", import.meta.url).pathname;
let onDisk: Promise<unknown> | undefined;
let inMemory: Promise<(app: App<State>) => void> | undefined;

/**
 * Builds the project into `_fresh/` (islands, `_fresh/server.js`) once per
 * process, for tests that start `serve.ts` as a child process.
 */
export function buildProject(): Promise<unknown> {
  return onDisk ??= new Builder<State>({ root: ROOT }).build();
}

/**
 * Applies the project's build to `app`, as `_fresh/server.js` does; the
 * build is made once per process, as a memory snapshot (Fresh's way for
 * tests).
 */
export async function applyBuild(app: App<State>): Promise<App<State>> {
  inMemory ??= new Builder<State>({ root: ROOT }).build({ snapshot: "memory" });
  (await inMemory)(app);
  return app;
}

/** Starts a server for `config`; `config.port` 0 picks a free port. */
export async function startServer(
  config: Config,
  options: { bus?: Bus } = {},
): Promise<Server> {
  const services = await openServices(config, options);
  const app = await applyBuild(createApp(services));
  const server = await listen(app.handler(), services);
  return { ...server, chat: services.chat, auth: services.auth };
}

/**
 * Runs `fn` against a server configured by `env` (over the test defaults:
 * port 0, loopback, silent logs, KV in memory — or in a temporary file with
 * `kvFile` — and membership events held for a minute, so message ids in a
 * test don't depend on when a join's event is written; tests of those
 * events set `MEMBERSHIP_EVENT_WINDOW_MS`).
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
    MEMBERSHIP_EVENT_WINDOW_MS: "60000",
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
