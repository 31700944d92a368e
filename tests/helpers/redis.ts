/**
 * Runs a real, throwaway `redis-server` on a free loopback port, for tests of
 * the Redis bus that stop and restart it.
 *
 * @module
 */
import { freePort } from "./process.ts";

/** A `redis-server` child process on loopback, without persistence. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Kills the server (SIGKILL, as a crash would) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops the server if it runs, then starts a fresh, empty one on the same port. */
  restart(): Promise<void>;
  /** Same as {@link RedisServer.stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const BINARY = "redis-server";

/**
 * Starts `redis-server` on a free port and waits until it answers `PING`.
 *
 * @example
 * ```ts
 * await using redis = await startRedis();
 * const bus = await RedisBus.connect(redis.url);
 * ```
 */
export async function startRedis(): Promise<RedisServer> {
  const port = freePort();
  let child: Deno.ChildProcess | undefined = await spawn(port);
  const stop = async () => {
    if (!child) return;
    const c = child;
    child = undefined;
    try {
      c.kill("SIGKILL");
    } catch { /* exited already */ }
    await c.status;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    async restart() {
      await stop();
      child = await spawn(port);
    },
    [Symbol.asyncDispose]: stop,
  };
}

async function spawn(port: number): Promise<Deno.ChildProcess> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(BINARY, {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(
      "redis-server is not installed: apt-get install -y redis-server",
    );
  }
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(port))) {
    if (exited) throw new Error(`redis-server exited during start on ${port}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`redis-server did not answer PING on ${port}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return child;
}

/** Whether a Redis server on `port` answers `PING` with `PONG`. */
async function answersPing(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    return n !== null &&
      new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}
