/**
 * Runs the real server (`serve.ts`) as a child process, for tests that kill
 * and restart it.
 *
 * @module
 */
import { buildProject } from "@/tests/helpers/server.ts";

/** A free TCP port on loopback. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A server child process. */
export interface ServerProcess {
  url: string;
  child: Deno.ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Everything the process wrote to stdout so far (info logs go there). */
  stdout(): string;
  /** Sends a signal and waits for exit; resolves to the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Starts `deno run serve.ts` with `env` on `port` and waits until it answers.
 * With `ulimit` (arguments of bash's `ulimit`, e.g. `-n 256`), the server
 * runs under that resource limit.
 */
export async function spawnServer(
  port: number,
  env: Record<string, string>,
  options: { ulimit?: string } = {},
): Promise<ServerProcess> {
  await buildProject();
  const root = new URL("../../", import.meta.url).pathname;
  const deno = [Deno.execPath(), "run", "-A", "--unstable-kv", "serve.ts"];
  const [command, ...args] = options.ulimit
    ? ["bash", "-c", `ulimit ${options.ulimit} && exec "$@"`, "bash", ...deno]
    : deno;
  const child = new Deno.Command(command, {
    args,
    cwd: root,
    env: {
      HOSTNAME: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warning",
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let err = "", out = "";
  const decoder = new TextDecoder();
  const pump = (async () => {
    for await (const chunk of child.stderr) err += decoder.decode(chunk);
  })();
  const pumpOut = (async () => {
    for await (const chunk of child.stdout) out += decoder.decode(chunk);
  })();
  const url = `http://127.0.0.1:${port}`;
  const status = child.status;
  let exited = false;
  status.then(() => exited = true);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`server exited during start:\n${err}`);
    try {
      const res = await fetch(`${url}/api/rooms`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`server did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stderr: () => err,
    stdout: () => out,
    async stop(signal: Deno.Signal = "SIGTERM") {
      if (!exited) {
        try {
          child.kill(signal);
        } catch { /* gone already */ }
      }
      const s = await status;
      await pump;
      await pumpOut;
      return s;
    },
  };
}
