/**
 * `deno task admin grant|revoke NAME` and `deno task admin list`: manage who
 * may moderate every room. Works on the store the configuration names
 * (PostgreSQL with `DATABASE_URL`, else the KV file at `KV_PATH`; the
 * running server sees the change at once); `grant` refuses a name that has
 * no account.
 *
 * @module
 */
import { loadConfigOrReport } from "@/lib/server/config.ts";
import { openStore } from "@/lib/server/store/open.ts";
import { StoreOpenError } from "@/lib/server/store/postgres.ts";
import { Accounts } from "@/lib/server/auth/accounts.ts";
import { RoleError, Roles } from "@/lib/server/auth/roles.ts";

const USAGE = "Usage: deno task admin grant NAME | revoke NAME | list";

/** Runs one admin command; returns the process exit code. */
export async function runAdmin(
  args: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void = console.log,
): Promise<number> {
  const [command, name] = args;
  if (
    !(command === "list" && !name) &&
    !((command === "grant" || command === "revoke") && name)
  ) {
    out(USAGE);
    return 2;
  }
  const config = loadConfigOrReport(env, out);
  if (!config) return 2;
  const store = await openStore(config).catch((error) => {
    if (!(error instanceof StoreOpenError)) throw error;
    out(error.message);
    return null;
  });
  if (!store) return 2;
  try {
    const roles = new Roles(store.roles, new Accounts(store.accounts));
    switch (command) {
      case "grant":
        out(`${(await roles.grant(name)).name} is an admin`);
        return 0;
      case "revoke":
        out(
          await roles.revoke(name)
            ? `${name} is no longer an admin`
            : `${name} was no admin`,
        );
        return 0;
      default:
        for (const admin of await roles.list()) out(admin);
        return 0;
    }
  } catch (error) {
    if (!(error instanceof RoleError)) throw error;
    out(error.message);
    return 1;
  } finally {
    await store.close();
  }
}

if (import.meta.main) {
  Deno.exit(await runAdmin(Deno.args, Deno.env.toObject()));
}
