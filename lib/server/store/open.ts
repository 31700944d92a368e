/**
 * Chooses the storage backend: PostgreSQL when `DATABASE_URL` is set, else
 * Deno KV at `KV_PATH`.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";
import type { Store } from "./store.ts";
import { openKvStore } from "./kv.ts";
import { openPostgresStore } from "./postgres.ts";

/** The settings the choice depends on. */
export type StoreConfig = Pick<
  Config,
  | "kvPath"
  | "historyLimit"
  | "commitSpacingMs"
  | "databaseUrl"
  | "databasePoolSize"
>;

/**
 * Opens the store `config` names. A bad `DATABASE_URL` throws
 * `StoreOpenError`, whose message is one line for the operator.
 *
 * @example
 * ```ts
 * const store = await openStore(loadConfig(Deno.env.toObject()));
 * ```
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.databaseUrl) {
    return await openPostgresStore({
      url: config.databaseUrl,
      poolSize: config.databasePoolSize,
      historyLimit: config.historyLimit,
      commitSpacingMs: config.commitSpacingMs,
    });
  }
  return await openKvStore({
    path: config.kvPath,
    historyLimit: config.historyLimit,
    commitSpacingMs: config.commitSpacingMs,
  });
}
