/**
 * The composition root: opens the store once (Deno KV or PostgreSQL) and
 * builds the bus, the chat service (hub included), accounts, roles and
 * connection limits over it. Routes reach these through `ctx.state`;
 * `main.ts` opens them.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";
import { Chat } from "@/lib/server/chat/chat.ts";
import {
  type Auth,
  type AuthOptions,
  createAuth,
} from "@/lib/server/auth/middleware.ts";
import type { Bus } from "@/lib/server/bus/bus.ts";
import { RedisBus } from "@/lib/server/bus/redis.ts";
import { KvBus } from "@/lib/server/bus/kv.ts";
import { PostgresBus } from "@/lib/server/bus/postgres.ts";
import type { Store } from "@/lib/server/store/store.ts";
import { KvStore, openKvAt } from "@/lib/server/store/kv.ts";
import { openStore } from "@/lib/server/store/open.ts";
import { ConnectionLimiter } from "@/lib/server/http/connection_limits.ts";
import { SearchGate } from "@/lib/server/search/search_gate.ts";
import { logger } from "@/lib/server/log.ts";

const log = logger("server");

/** Everything one server instance runs on. */
export interface Services {
  /** The validated configuration. */
  config: Config;
  /** The chat service: rooms, hub, store and bus. */
  chat: Chat;
  /** Accounts, sessions, roles and the login limiter. */
  auth: Auth;
  /** Open WebSocket connections per address. */
  connections: ConnectionLimiter;
  /** Searches' budgets, per address and in all. */
  searches: SearchGate;
  /** Closes the chat, its bus and its store. */
  close(): Promise<void>;
}

/** Options of {@link openServices}. */
export interface ServicesOptions {
  /** A bus built by the caller, instead of the one `config` asks for. */
  bus?: Bus;
  /** Options of the accounts and sessions, e.g. a test's clock. */
  auth?: AuthOptions;
}

/**
 * Opens the services `config` describes over one store: with Deno KV, one
 * handle serves the store, the KV bus (if chosen), name holds and accounts.
 * A store, bus or KV file that can't be opened throws a `StartError`
 * (`StoreOpenError` for the store) whose message is one line for the
 * operator.
 */
export async function openServices(
  config: Config,
  options: ServicesOptions = {},
): Promise<Services> {
  const store = await openStore(config);
  let bus: Bus | undefined;
  try {
    bus = options.bus ?? await openBus(config, store);
  } catch (error) {
    await store.close();
    throw error;
  }
  const auth = createAuth(store, config, options.auth);
  const chat = await Chat.open({
    config,
    bus,
    store,
    // Guests may not take an account's name.
    isReserved: (name) => auth.accounts.isReserved(name),
    isAdmin: (name) => auth.roles.isAdmin(name),
  });
  // Accounts from before skeletons were kept; new names are checked meanwhile.
  auth.accounts.indexSkeletons().catch((error) =>
    log.error("indexing account skeletons failed: {error}", {
      error: String(error),
    })
  );
  if (config.adminUsers.length > 0) {
    const { granted, refused } = await auth.roles.bindListed(
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
  return {
    config,
    chat,
    auth,
    connections: new ConnectionLimiter(config.maxConnectionsPerIp),
    searches: new SearchGate(),
    close: () => chat.close(),
  };
}

/** The bus `config` asks for; `undefined` is the in-process one. */
async function openBus(
  config: Config,
  store: Store,
): Promise<Bus | undefined> {
  switch (config.bus) {
    case "redis":
      return await RedisBus.connect(config.redisUrl!, {
        // On KV, the instances on one Redis must share its file.
        ...(store instanceof KvStore ? { storeId: await store.storeId() } : {}),
      });
    case "postgres":
      return await PostgresBus.connect(config.databaseUrl!);
    case "kv":
      // The store's own handle when it is KV; closed with the store.
      return store instanceof KvStore
        ? await KvBus.open(store.kv, { ownsKv: false })
        : await KvBus.open(await openKvAt(config.kvPath), {
          ownsKv: true,
        });
    case "local":
      return undefined;
  }
}
