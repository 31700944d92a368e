/**
 * Runs a real, throwaway PostgreSQL server on a free loopback port, in a
 * temporary folder removed afterwards. PostgreSQL refuses to run as root, so
 * as root the binaries run as the `postgres` system user (`runuser`).
 *
 * @module
 */
import { freePort } from "./process.ts";

/** A PostgreSQL cluster of its own, on loopback, trusting local connections. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  port: number;
  /** A URL to a new, empty database named `name` on this server. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server the way a crash would (`pg_ctl stop -m immediate`). */
  crash(): Promise<void>;
  /** Starts the server again on the same port, with the same data. */
  start(): Promise<void>;
  /** Crashes the server and starts it again at once: WAL recovery included. */
  restart(): Promise<void>;
  /** The postmaster's process id while it runs (its backends are its children). */
  pid(): number;
  /** Stops the server and removes its folder. */
  [Symbol.asyncDispose](): Promise<void>;
}

const USER = "postgres";

/** The newest installed PostgreSQL's `bin` folder. */
function binDir(): string {
  const base = "/usr/lib/postgresql";
  let versions: number[] = [];
  try {
    versions = [...Deno.readDirSync(base)].map((e) => Number(e.name))
      .filter((n) => Number.isInteger(n)).sort((a, b) => b - a);
  } catch { /* not installed */ }
  if (versions.length === 0) {
    throw new Error(
      "PostgreSQL is not installed: apt-get install -y postgresql",
    );
  }
  return `${base}/${versions[0]}/bin`;
}

const isRoot = () => Deno.uid() === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
async function run(
  bin: string,
  args: string[],
  cwd: string,
): Promise<string> {
  const path = `${binDir()}/${bin}`;
  const [cmd, argv] = isRoot()
    ? ["runuser", ["-u", USER, "--", path, ...args]]
    : [path, args];
  const out = await new Deno.Command(cmd, {
    args: argv,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(`${bin} ${args.join(" ")} failed:\n${text}`);
  }
  return text;
}

/**
 * Creates a cluster in a temporary folder and starts it on a free port.
 *
 * @example
 * ```ts
 * await using pg = await startPostgres();
 * const url = await pg.createDatabase("contract");
 * ```
 */
export async function startPostgres(): Promise<PostgresServer> {
  // As root, under /tmp: the postgres user must reach the folder, and a
  // TMPDIR inside root's home would be closed to it.
  const dir = await Deno.makeTempDir({
    prefix: "chat-pg-",
    ...(isRoot() ? { dir: "/tmp" } : {}),
  });
  if (isRoot()) {
    const chown = await new Deno.Command("chown", {
      args: ["-R", `${USER}:${USER}`, dir],
    }).output();
    if (!chown.success) throw new Error(`chown ${dir} for ${USER} failed`);
  }
  const data = `${dir}/data`;
  await run("initdb", [
    "-D",
    data,
    "-U",
    USER,
    "--auth=trust",
    "--encoding=UTF8",
    "--locale=C",
    "--no-sync",
  ], dir);
  const port = freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c max_connections=200",
  ].join(" ");
  let running = false;
  const start = async () => {
    await run("pg_ctl", [
      "-D",
      data,
      "-l",
      `${dir}/server.log`,
      "-o",
      options,
      "-w",
      "-t",
      "60",
      "start",
    ], dir);
    running = true;
  };
  const crash = async () => {
    if (!running) return;
    running = false;
    await run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"], dir);
  };
  await start();
  const url = `postgres://${USER}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
        throw new Error(`Invalid database name: ${name}`);
      }
      await run("psql", [
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        USER,
        "-d",
        "postgres",
        "-q",
        "-c",
        `CREATE DATABASE ${name}`,
      ], dir);
      return `postgres://${USER}@127.0.0.1:${port}/${name}`;
    },
    crash,
    start,
    pid() {
      const text = Deno.readTextFileSync(`${data}/postmaster.pid`);
      return Number(text.split("\n")[0]);
    },
    async restart() {
      await crash();
      await start();
    },
    async [Symbol.asyncDispose]() {
      try {
        await crash();
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  };
}

/**
 * Registers `name` as two tests: `scenario` with the server's store on a
 * Deno KV file in a temp dir, then on a throwaway PostgreSQL server.
 *
 * @example
 * ```ts
 * testOnBothBackends("pins - survive a restart", async (env) => {
 *   // start servers with loadConfig({ ...env }) …
 * });
 * ```
 */
export function testOnBothBackends(
  name: string,
  scenario: (env: Record<string, string>) => Promise<void>,
): void {
  Deno.test(`${name}, on a KV file`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "chat_backend_" });
    try {
      await scenario({ KV_PATH: `${dir}/chat.kv` });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  Deno.test(`${name}, on PostgreSQL`, async () => {
    await using pg = await startPostgres();
    await scenario({ DATABASE_URL: await pg.createDatabase("scenario") });
  });
}
