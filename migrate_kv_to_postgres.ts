/**
 * `deno task migrate-kv-to-postgres`: copies the KV file `KV_PATH` names
 * (rooms, history, accounts, roles, live sessions, bans) into the PostgreSQL
 * database `DATABASE_URL` names, and prints what it read and copied. Safe to
 * run twice: the second run copies nothing. Run it before starting the
 * instances on PostgreSQL.
 *
 * @module
 */
import { loadConfigOrReport } from "@/lib/server/config.ts";
import { openKvStore } from "@/lib/server/store/kv.ts";
import {
  openPostgresStore,
  StoreOpenError,
} from "@/lib/server/store/postgres.ts";
import {
  type CopyCounts,
  copyKvToPostgres,
} from "@/lib/server/store/kv_to_postgres.ts";

/** Runs the copy; returns the process exit code. */
export async function runMigration(
  env: Record<string, string | undefined>,
  out: (line: string) => void = console.log,
): Promise<number> {
  const config = loadConfigOrReport(env, out);
  if (!config) return 2;
  if (!config.databaseUrl) {
    out("DATABASE_URL: needed, the PostgreSQL database to copy into");
    return 2;
  }
  if (config.kvPath !== "" && config.kvPath !== ":memory:") {
    try {
      await Deno.stat(config.kvPath);
    } catch {
      out(`KV_PATH: no KV file at ${config.kvPath}`);
      return 2;
    }
  }
  let pg;
  try {
    pg = await openPostgresStore({
      url: config.databaseUrl,
      poolSize: 2,
      historyLimit: config.historyLimit,
    });
  } catch (error) {
    if (!(error instanceof StoreOpenError)) throw error;
    out(error.message);
    return 2;
  }
  const kv = await openKvStore({
    path: config.kvPath,
    historyLimit: config.historyLimit,
  });
  try {
    out(report(await copyKvToPostgres(kv, pg)));
    // The copied messages go into search before the pool closes.
    pg.search.catchUp();
    return 0;
  } finally {
    await kv.close();
    await pg.close();
  }
}

/** One line per kind: `messages: 1200 read, 1200 copied`. */
function report(counts: CopyCounts): string {
  return Object.entries(counts).map(([kind, c]) =>
    `${kind}: ${c.read} read, ${c.copied} copied`
  ).join("\n");
}

if (import.meta.main) {
  Deno.exit(await runMigration(Deno.env.toObject()));
}
