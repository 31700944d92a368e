/**
 * The server entry: `deno task start`. Reads configuration from the
 * environment, opens the store, and serves the app until SIGINT or SIGTERM,
 * then shuts down gracefully.
 *
 * @module
 */
import { App, staticFiles } from "fresh";
import { type Config, ConfigError, loadConfig } from "@/lib/server/config.ts";
import { Chat } from "@/lib/server/chat/chat.ts";
import {
  type Auth,
  authMiddleware,
  createAuth,
} from "@/lib/server/auth/middleware.ts";
import type { Bus } from "@/lib/server/bus/bus.ts";
import { RedisBus } from "@/lib/server/bus/redis.ts";
import { KvBus } from "@/lib/server/bus/kv.ts";
import { PostgresBus } from "@/lib/server/bus/postgres.ts";
import { StoreOpenError } from "@/lib/server/store/postgres.ts";
import { ConnectionLimiter } from "@/lib/server/http/guard.ts";
import { logger, setupLogging } from "@/lib/server/log.ts";
import { CLOSE } from "@/lib/shared/protocol.ts";
import { withSecurityHeaders } from "@/lib/server/http/security_headers.ts";
import { define, type State } from "./utils.ts";

const log = logger("server");

/** A running server. */
export interface Server {
  /** The base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** The chat service it serves. */
  chat: Chat;
  /** Accounts, sessions and the login limiter. */
  auth: Auth;
  /**
   * Stops accepting, closes every socket with 1001 so clients reconnect,
   * finishes pending writes and closes the store.
   */
  shutdown(): Promise<void>;
}

/** The bus `config` asks for; `undefined` is the in-process one. */
async function openBus(config: Config): Promise<Bus | undefined> {
  switch (config.bus) {
    case "redis":
      return await RedisBus.connect(config.redisUrl!);
    case "postgres":
      return await PostgresBus.connect(config.databaseUrl!);
    case "kv": {
      const kv = await Deno.openKv(config.kvPath || undefined);
      return await KvBus.open(kv, { ownsKv: true });
    }
    case "local":
      return undefined;
  }
}

/** Builds the app for a chat service. */
export function createApp(
  chat: Chat,
  auth: Auth = createAuth(chat.store, chat.config),
): App<State> {
  const connections = new ConnectionLimiter(chat.config.maxConnectionsPerIp);
  return new App<State>({ root: import.meta.dirname })
    .use(staticFiles())
    .use(define.middleware(function services(ctx) {
      ctx.state.chat = chat;
      ctx.state.connections = connections;
      return ctx.next();
    }))
    .use(authMiddleware<State>(auth))
    .fsRoutes();
}

/** Starts a server for `config`; `config.port` 0 picks a free port. */
export async function startServer(
  config: Config,
  options: { bus?: Bus } = {},
): Promise<Server> {
  const bus = options.bus ?? await openBus(config);
  // Accounts live in the chat's store, so they are set up right after it.
  const accounts: { auth?: Auth } = {};
  const chat = await Chat.open({
    config,
    bus,
    // Guests may not take an account's name; asked only once serving.
    isReserved: (name) =>
      accounts.auth?.accounts.isReserved(name) ?? Promise.resolve(false),
    isAdmin: (name) =>
      accounts.auth?.roles.isAdmin(name) ?? Promise.resolve(false),
  });
  accounts.auth = createAuth(chat.store, config);
  // Accounts from before skeletons were kept; new names are checked meanwhile.
  accounts.auth.accounts.indexSkeletons().catch((error) =>
    log.error("indexing account skeletons failed: {error}", {
      error: String(error),
    })
  );
  if (config.adminUsers.length > 0) {
    const { granted, refused } = await accounts.auth.roles.bindListed(
      config.adminUsers,
    );
    if (granted.length > 0) {
      log.info("ADMIN_USERS: admins {granted}", { granted });
    }
    if (refused.length > 0) {
      log.warn(
        "ADMIN_USERS: not granted to {refused}: no account existed when first listed; use `deno task admin grant NAME`",
        { refused },
      );
    }
  }
  const app = createApp(chat, accounts.auth);
  const handler = withSecurityHeaders(app.handler());
  const server = Deno.serve({
    port: config.port,
    hostname: config.hostname,
    onListen: () => {},
  }, handler);
  const port = server.addr.port;
  const host = config.hostname === "0.0.0.0" ? "127.0.0.1" : config.hostname;
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      const stopped = server.shutdown();
      chat.hub.closeAll(CLOSE.goingAway, "Server shutting down");
      await Promise.race([
        stopped,
        new Promise((r) => setTimeout(r, config.shutdownGraceMs)),
      ]);
      await chat.close();
    })();
  return {
    url: `http://${host}:${port}`,
    port,
    chat,
    auth: accounts.auth,
    shutdown,
  };
}

if (import.meta.main) {
  let config: Config;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    Deno.exit(2);
  }
  await setupLogging(config.logLevel);
  let server: Server;
  try {
    server = await startServer(config);
  } catch (error) {
    if (!(error instanceof StoreOpenError)) throw error;
    console.error(error.message);
    Deno.exit(2);
  }
  log.info("Listening on {url}", { url: server.url });
  console.log(`Listening on ${server.url}`);
  const stop = async (signal: string) => {
    log.info("{signal}: shutting down", { signal });
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
}
