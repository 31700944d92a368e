/**
 * The processes of a bench run: the server under test (the app or the
 * baseline) and the load-generator workers, each started through bash so
 * its open-file limit can be raised for 10 000 sockets.
 *
 * @module
 */
import { buildProject } from "@/tests/helpers/server.ts";
import type { Command, WorkerConfig } from "./load_worker.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const OPEN_FILES = 65535;

/** Which server a scenario drives. */
export type Target = "app" | "baseline";

/** A running server under test. */
export interface ServerProcess {
  target: Target;
  pid: number;
  /** The WebSocket endpoint of protocol v1. */
  wsUrl: string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * `deno <args>` with the open-file limit raised (to the hard limit when
 * 65535 is not allowed); `exec` keeps the pid deno's.
 */
function spawn(
  args: string[],
  { BENCH_CWD: cwd = ROOT, ...env }: Record<string, string> = {},
): Deno.ChildProcess {
  return new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -n ${OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`,
      Deno.execPath(),
      ...args,
    ],
    cwd,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Yields a byte stream's lines. */
export async function* lines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
}

/** Keeps the last few KB of a stream, for error messages. */
function tail(stream: ReadableStream<Uint8Array>): () => string {
  const decoder = new TextDecoder();
  let text = "";
  (async () => {
    for await (const chunk of stream) {
      text = (text + decoder.decode(chunk, { stream: true })).slice(-4000);
    }
  })().catch(() => {});
  return () => text;
}

/**
 * Extra `deno run` flags for the app, e.g. `--cpu-prof --cpu-prof-dir=prof`
 * (`BENCH_APP_FLAGS`, split on spaces): a profiled app is stopped with
 * SIGTERM so it can write its profile. `BENCH_APP_STDOUT` names a file
 * that gets the app's standard output.
 */
const APP_FLAGS = (Deno.env.get("BENCH_APP_FLAGS") ?? "").split(" ")
  .filter((f) => f !== "");

/**
 * `BENCH_BASELINE_LISTENER=node` serves the baseline through the app's own
 * `node:http` + `ws` listener instead of `Deno.serve`: what the app's socket
 * layer costs by itself.
 */
const BASELINE_ARGS = Deno.env.get("BENCH_BASELINE_LISTENER") === "node"
  ? ["--node"]
  : [];

/** Stops the app gently (SIGTERM, 15 s at most), then for good. */
async function stopGently(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* exited already */ }
  const timer = setTimeout(() => kill(child), 15_000);
  await child.status;
  clearTimeout(timer);
}

async function kill(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch { /* exited already */ }
  await child.status;
}

/**
 * Builds the app once; the builder's note goes to stderr, since stdout
 * carries one JSON line per scenario.
 */
async function buildOnce(): Promise<void> {
  const log = console.log;
  console.log = console.error;
  try {
    await buildProject();
  } finally {
    console.log = log;
  }
}

/**
 * Starts the app (`serve.ts`) or the baseline on a free loopback port and
 * waits until it listens. `env` adds to the app's environment; its
 * `BENCH_CWD`, if any, is not passed on but names the checkout the app runs
 * from (built there beforehand), e.g. an older commit's worktree for
 * `bench:ab`.
 */
export async function startServer(
  target: Target,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  await buildOnce();
  const port = freePort();
  const child = target === "app"
    ? spawn(["run", "-A", "--unstable-kv", ...APP_FLAGS, "serve.ts"], {
      HOSTNAME: "127.0.0.1",
      PORT: String(port),
      ...env,
    })
    : spawn(["run", "-A", "bench/baseline.ts", String(port), ...BASELINE_ARGS]);
  child.stdin.close();
  const stderr = tail(child.stderr);
  const out = lines(child.stdout);
  const listening = (async () => {
    // Not `for await`: leaving it would close the stream, which must stay drained.
    for (let line = await out.next(); !line.done; line = await out.next()) {
      if (line.value.includes("Listening on ")) return;
    }
    throw new Error(`${target} exited before listening:\n${stderr()}`);
  })();
  const timeout = setTimeout(() => kill(child), 120_000);
  try {
    await listening;
  } finally {
    clearTimeout(timeout);
  }
  // Keep draining stdout so the server never blocks on a full pipe; the
  // app's lines go to `BENCH_APP_STDOUT` when set (e.g. with
  // `BENCH_APP_FLAGS=--v8-flags=--trace-gc`).
  const keep = target === "app" ? Deno.env.get("BENCH_APP_STDOUT") : undefined;
  (async () => {
    for await (const line of out) {
      if (keep) await Deno.writeTextFile(keep, line + "\n", { append: true });
    }
  })().catch(() => {});
  return {
    target,
    pid: child.pid,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    stop: () =>
      target === "app" && APP_FLAGS.length ? stopGently(child) : kill(child),
  };
}

/** A running load-generator worker. */
export interface WorkerProcess {
  pid: number;
  /** Sends a command and resolves to the worker's JSON answer. */
  request<T>(command: Command, timeoutMs: number): Promise<T>;
  stop(): Promise<void>;
}

/** Starts a load-generator process and waits until it reads commands. */
export async function startWorker(
  config: WorkerConfig,
): Promise<WorkerProcess> {
  const child = spawn([
    "run",
    "-A",
    "bench/load_worker.ts",
    JSON.stringify(config),
  ]);
  const stderr = tail(child.stderr);
  const out = lines(child.stdout);
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const nextLine = async (timeoutMs: number, what: string) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `worker ${config.worker}: no answer to ${what} in ${timeoutMs} ms\n${stderr()}`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      const next = await Promise.race([out.next(), timeout]);
      if (next.done) {
        throw new Error(`worker ${config.worker} exited:\n${stderr()}`);
      }
      return JSON.parse(next.value);
    } finally {
      clearTimeout(timer);
    }
  };
  await nextLine(60_000, "start");
  return {
    pid: child.pid,
    async request<T>(command: Command, timeoutMs: number): Promise<T> {
      await writer.write(encoder.encode(JSON.stringify(command) + "\n"));
      return await nextLine(timeoutMs, command.cmd) as T;
    },
    async stop() {
      await writer.close().catch(() => {});
      await kill(child);
    },
  };
}
