/**
 * Starting the server (`serve.ts`, as `deno task start` runs it) where it
 * can't run: each problem is one line on stderr and exit code 2, as for a
 * bad setting, never a stack trace.
 */
import { expect } from "expect";
import { buildProject } from "@/tests/helpers/server.ts";
import { freePort } from "@/tests/helpers/process.ts";

const root = new URL("../", import.meta.url).pathname;

/** Runs serve.ts with `env` until it exits; its code and stderr. */
async function start(
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "serve.ts"],
    cwd: root,
    env: { HOSTNAME: "127.0.0.1", KV_PATH: ":memory:", ...env },
    clearEnv: false,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Expects one line matching `expected` and exit code 2. */
function expectOneLine(
  { code, stderr }: { code: number; stderr: string },
  expected: RegExp,
) {
  expect({ code, stderr }).toEqual({
    code: 2,
    stderr: expect.stringMatching(expected),
  });
  expect(stderr.trimEnd().split("\n")).toHaveLength(1);
}

Deno.test("start - a KV file that can't be opened is one line and exit code 2", async () => {
  await buildProject();
  expectOneLine(
    await start({ PORT: "0", KV_PATH: "/proc/chat.kv" }),
    /^KV_PATH: cannot open Deno KV at \/proc\/chat\.kv: /,
  );
});

Deno.test("start - an unreachable Redis is one line and exit code 2", async () => {
  await buildProject();
  const port = freePort();
  const run = await start({
    PORT: "0",
    REDIS_URL: `redis://:s3cret@127.0.0.1:${port}`,
  });
  expectOneLine(
    run,
    new RegExp(
      `^REDIS_URL: Redis at redis://:\\*+@127\\.0\\.0\\.1:${port} is unreachable: `,
    ),
  );
  expect(run.stderr).not.toContain("s3cret");
});

Deno.test("start - a port in use or a hostname that does not resolve is one line and exit code 2", async () => {
  await buildProject();
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(taken.addr.port);
  const runs = ["node", "deno"].flatMap((LISTENER) => [
    start({ LISTENER, PORT: port }).then((r) =>
      expectOneLine(
        r,
        new RegExp(`^PORT: cannot listen on 127\\.0\\.0\\.1:${port}: `),
      )
    ),
    start({ LISTENER, PORT: "0", HOSTNAME: "bogus.invalid" }).then((r) =>
      expectOneLine(
        r,
        /^HOSTNAME: cannot listen on bogus\.invalid: the name does not resolve/,
      )
    ),
  ]);
  await Promise.all(runs);
});

Deno.test("start - on an IPv6 address the Listening on line is a URL that answers", async () => {
  await buildProject();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "serve.ts"],
    cwd: root,
    env: { HOSTNAME: "::1", PORT: String(freePort()), KV_PATH: ":memory:" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    let out = "";
    const decoder = new TextDecoder();
    const reader = child.stdout.getReader();
    const deadline = Date.now() + 60_000;
    while (!/Listening on \S+\n/.test(out) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      out += decoder.decode(value);
    }
    reader.releaseLock();
    const url = out.match(/Listening on (\S+)\n/)?.[1];
    expect(url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const res = await fetch(`${url}/healthz`);
    await res.body?.cancel();
    expect(res.status).toBe(200);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
});

Deno.test("start - deno task dev listens on PORT and HOSTNAME", async () => {
  await buildProject();
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "dev.ts"],
    cwd: root,
    env: { HOSTNAME: "127.0.0.1", PORT: String(port), KV_PATH: ":memory:" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const decoder = new TextDecoder();
  const pumps = [child.stdout, child.stderr].map(async (stream) => {
    for await (const chunk of stream) out += decoder.decode(chunk);
  });
  try {
    const deadline = Date.now() + 60_000;
    while (!/Listening on \S+/.test(out) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(out).toMatch(
      new RegExp(`Listening on http://127\\.0\\.0\\.1:${port}/?\\s`),
    );
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    await res.body?.cancel();
    expect(res.status).toBe(200);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Promise.all(pumps);
  }
});

/**
 * A TCP server at a free port that takes connections and answers with what
 * isn't PostgreSQL: `R` and then a byte a second (or nothing, `silent`).
 */
function notPostgres(silent: boolean): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        await conn.read(new Uint8Array(1024));
        if (silent) return;
        await conn.write(new TextEncoder().encode("R"));
        for (;;) {
          await new Promise((r) => setTimeout(r, 1000));
          await conn.write(new Uint8Array(1));
        }
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed already */ }
      }
    },
  };
}

Deno.test("start - a DATABASE_URL whose server answers what isn't PostgreSQL, or nothing, is one line and exit code 2", async () => {
  await buildProject();
  for (const silent of [false, true]) {
    const server = notPostgres(silent);
    try {
      expectOneLine(
        await start({
          PORT: "0",
          DATABASE_URL: `postgres://chat@127.0.0.1:${server.port}/chat`,
        }),
        new RegExp(
          `^DATABASE_URL: cannot use PostgreSQL at postgres://chat@127\\.0\\.0\\.1:${server.port}/chat: `,
        ),
      );
    } finally {
      server.close();
    }
  }
});
