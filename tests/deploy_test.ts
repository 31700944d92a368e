/**
 * Deployment tests: the Dockerfile, compose.yaml and deploy/nginx.conf agree
 * with each other and with the app, nginx accepts its configuration and
 * proxies WebSockets, and the image's build steps and command work when run
 * outside a container (no Docker engine is needed).
 *
 * The nginx tests need the `nginx` binary (Debian's nginx package); without it
 * they are reported as ignored.
 */
import { expect } from "expect";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "@/lib/server/config.ts";
import { MAX_JSON_BYTES } from "@/lib/server/http/json_body.ts";
import { PIECE_BYTES } from "@/lib/client/uploads.ts";
import { freePort } from "@/tests/helpers/process.ts";

const root = new URL("../", import.meta.url).pathname;
const read = (path: string) => Deno.readTextFileSync(`${root}${path}`);

// --- Dockerfile -------------------------------------------------------------

/** One Dockerfile instruction, continuation lines joined. */
interface Instruction {
  keyword: string;
  args: string;
}

function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    // Docker drops comment lines, also inside a continued instruction.
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    const match = full.match(/^(\S+)\s*(.*)$/s);
    if (match) out.push({ keyword: match[1].toUpperCase(), args: match[2] });
  }
  return out;
}

/** The JSON ("exec form") argument list of CMD, RUN or HEALTHCHECK CMD. */
function execForm(args: string): string[] {
  const list: unknown = JSON.parse(args);
  if (!Array.isArray(list) || !list.every((a) => typeof a === "string")) {
    throw new Error(`Not an exec-form list: ${args}`);
  }
  return list;
}

function envOf(instructions: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of instructions) {
    if (keyword !== "ENV") continue;
    for (const [, key, value] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      env[key] = value.replace(/^"(.*)"$/, "$1");
    }
  }
  return env;
}

function healthcheckCommand(instructions: Instruction[]): string[] {
  const check = instructions.find((i) => i.keyword === "HEALTHCHECK");
  const match = check?.args.match(/^(?:--\S+\s+)*CMD\s+(\[.*\])$/s);
  if (!match) throw new Error("No exec-form HEALTHCHECK CMD");
  return execForm(match[1]);
}

/** The `deno ...` commands of every RUN, in order, split on `&&`. */
function denoRuns(instructions: Instruction[]): string[][] {
  return instructions
    .filter((i) => i.keyword === "RUN")
    .flatMap((i) => i.args.split("&&").map((c) => c.trim().split(/\s+/)))
    .filter((argv) => argv[0] === "deno");
}

/** The Deno version CI runs: pinned in `.ci/run` if it names one. */
function ciDenoVersion(): string {
  let script = "";
  try {
    script = read(".ci/run");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return script.match(/deno[@= :v-]*(\d+\.\d+\.\d+)/i)?.[1] ??
    Deno.version.deno;
}

const dockerfile = parseDockerfile(read("Dockerfile"));
const indexOf = (keyword: string, args?: RegExp) =>
  dockerfile.findIndex((i) =>
    i.keyword === keyword && (args === undefined || args.test(i.args))
  );

Deno.test("deploy - the image is the Deno version CI tests with", () => {
  expect(dockerfile[0].keyword).toBe("FROM");
  expect(dockerfile[0].args).toBe(`denoland/deno:${ciDenoVersion()}`);
});

Deno.test("deploy - dependencies are a layer of their own, before the source", () => {
  const copyManifests = indexOf("COPY", /^deno\.json deno\.lock \S+$/);
  const install = indexOf("RUN", /^deno install\b/);
  const copyAll = indexOf("COPY", /^\. \.$/);
  expect(copyManifests).toBeGreaterThan(0);
  expect(install).toBeGreaterThan(copyManifests);
  expect(copyAll).toBeGreaterThan(install);
  // The build writes _fresh/ at image build time, after the source is in.
  expect(indexOf("RUN", /deno task build/)).toBeGreaterThan(copyAll);
});

Deno.test("deploy - the server runs as the non-root deno user on port 8000", () => {
  const user = indexOf("USER");
  expect(dockerfile[user].args).toBe("deno");
  expect(user).toBeLessThan(indexOf("CMD"));
  expect(dockerfile.filter((i) => i.keyword === "USER")).toHaveLength(1);
  expect(dockerfile[indexOf("EXPOSE")].args).toBe("8000");
  expect(dockerfile[indexOf("VOLUME")].args).toBe("/app/data");
  const env = envOf(dockerfile);
  expect(env).toMatchObject({ PORT: "8000", HOSTNAME: "0.0.0.0" });
  expect(env.KV_PATH.startsWith("/app/data/")).toBe(true);
  expect(loadConfig(env)).toMatchObject({ port: 8000, kvPath: env.KV_PATH });
});

Deno.test("deploy - CMD is the start task's serve step and HEALTHCHECK asks /healthz", () => {
  const tasks = JSON.parse(read("deno.json")).tasks as Record<string, string>;
  const cmd = execForm(dockerfile[indexOf("CMD")].args);
  // The start task builds first; the image built at image build time.
  expect(tasks.start).toBe(`deno task build && ${["deno", ...cmd].join(" ")}`);
  const check = healthcheckCommand(dockerfile);
  expect(check.slice(0, 2)).toEqual(["deno", "eval"]);
  expect(check.at(-1)).toMatch(/fetch\(.*127\.0\.0\.1:.*\/healthz/);
});

Deno.test("deploy - .dockerignore keeps local state out of the build", () => {
  const ignored = read(".dockerignore").split("\n").map((l) => l.trim());
  for (
    const path of ["node_modules", "_fresh", "data", "test-output", ".git"]
  ) {
    expect(ignored).toContain(path);
  }
});

// --- compose.yaml -----------------------------------------------------------

interface Service {
  image?: string;
  build?: string | { context: string };
  environment?: Record<string, string> | string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, unknown>;
  healthcheck?: { test: string[] | string };
  ulimits?: { nofile?: number | { soft: number; hard: number } };
}

const compose = parseYaml(read("compose.yaml"), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;

function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((e) => {
    const at = e.indexOf("=");
    return [e.slice(0, at), e.slice(at + 1)];
  }));
}

const dependsOn = (service: Service) =>
  Array.isArray(service.depends_on)
    ? service.depends_on
    : Object.keys(service.depends_on ?? {});

Deno.test("deploy - compose runs three replicas that share PostgreSQL and Redis and no volume", () => {
  expect(services.redis.image).toMatch(/^redis:7/);
  expect(services.redis.healthcheck).toBeDefined();
  expect(services.postgres.image).toMatch(/^postgres:\d+/);
  expect(services.postgres.healthcheck).toBeDefined();
  const pgEnv = environment(services.postgres);
  for (const name of ["app1", "app2", "app3"]) {
    const app = services[name];
    const context = typeof app.build === "string"
      ? app.build
      : app.build?.context;
    expect(context).toBe(".");
    // Nothing on the replica's own disk: it may run on any host.
    expect(app.volumes ?? []).toEqual([]);
    const env = environment(app);
    expect(env.REDIS_URL).toBe("redis://redis:6379");
    expect(dependsOn(app).sort()).toEqual(["postgres", "redis"]);
    // Compose fills ${POSTGRES_PASSWORD:-chat} before the server reads it.
    const fill = (v: string) => v.replace(/\$\{[^}:]+:-([^}]*)\}/g, "$1");
    const databaseUrl = new URL(fill(env.DATABASE_URL));
    expect(databaseUrl.hostname).toBe("postgres");
    expect(databaseUrl.username).toBe(pgEnv.POSTGRES_USER);
    expect(databaseUrl.password).toBe(fill(pgEnv.POSTGRES_PASSWORD));
    expect(databaseUrl.pathname).toBe(`/${pgEnv.POSTGRES_DB}`);
    // The values are ones the server accepts, on top of the image's ENV.
    const config = loadConfig({
      ...envOf(dockerfile),
      ...env,
      DATABASE_URL: databaseUrl.href,
    });
    expect(config.allowedOrigins).toContain("http://localhost:8080");
    expect(config.databaseUrl).toBe(databaseUrl.href);
    expect(config.bus).toBe("redis");
  }
  const [volume] = (services.postgres.volumes ?? [])[0].split(":");
  expect(Object.keys(compose.volumes ?? {})).toEqual([volume]);
});

Deno.test("deploy - compose publishes nginx on 8080 with deploy/nginx.conf", () => {
  const proxy = services.nginx;
  expect(proxy.image).toMatch(/^nginx:/);
  expect(proxy.ports).toContain("8080:80");
  expect(proxy.volumes).toContain(
    "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro",
  );
  expect(dependsOn(proxy).sort()).toEqual(["app1", "app2", "app3"]);
  expect(proxy.healthcheck).toBeDefined();
});

Deno.test("deploy - compose gives the replicas and nginx room for 65536 descriptors", () => {
  for (const name of ["app1", "app2", "app3", "nginx"]) {
    const nofile = services[name].ulimits?.nofile;
    const soft = typeof nofile === "number" ? nofile : nofile?.soft;
    expect({ name, soft }).toEqual({ name, soft: 65536 });
  }
});

// --- deploy/nginx.conf ------------------------------------------------------

const nginxConf = read("deploy/nginx.conf");
/** The configuration without its comments. */
const uncommented = nginxConf.replace(/#.*$/gm, "");
/** The directives alone: comments and quoted strings removed. */
const directives = uncommented.replace(/'[^']*'|"[^"]*"/g, '""');

/** An nginx size (`256k`, `2m`, `1048576`) in bytes. */
function sizeInBytes(size: string): number {
  const m = size.match(/^(\d+)([kKmMgG]?)$/);
  if (!m) throw new Error(`Not an nginx size: ${size}`);
  const unit = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[
    m[2].toLowerCase() as "" | "k" | "m" | "g"
  ];
  return Number(m[1]) * unit;
}

/** Each `location` block's prefix and body (they hold no nested blocks). */
const locations = new Map(
  [...directives.matchAll(/location\s+(\S+)\s*\{([^{}]*)\}/g)].map((
    m,
  ) => [m[1], m[2]]),
);

/** `client_max_body_size` in `block`, in bytes, if it sets one. */
function bodyLimit(block: string): number | undefined {
  const m = block.match(/client_max_body_size\s+(\S+);/);
  return m ? sizeInBytes(m[1]) : undefined;
}

Deno.test("deploy - nginx.conf has balanced braces", () => {
  let depth = 0;
  for (const c of directives) {
    if (c === "{") depth++;
    if (c === "}") depth--;
    expect(depth).toBeGreaterThanOrEqual(0);
  }
  expect(depth).toBe(0);
});

Deno.test("deploy - nginx.conf times out slow headers and limits connections per address", () => {
  const seconds = (name: string) => {
    const m = directives.match(new RegExp(`${name}\\s+(\\d+)([sm]?);`));
    expect({ name, found: m !== null }).toEqual({ name, found: true });
    return Number(m![1]) * (m![2] === "m" ? 60 : 1);
  };
  expect(seconds("client_header_timeout")).toBeLessThanOrEqual(30);
  expect(seconds("client_body_timeout")).toBeLessThanOrEqual(30);
  const zone = directives.match(
    /limit_conn_zone\s+\$binary_remote_addr\s+zone=(\w+):\d+[km];/,
  );
  expect(zone).not.toBeNull();
  const limit = directives.match(
    new RegExp(`limit_conn\\s+${zone![1]}\\s+(\\d+);`),
  );
  expect(limit).not.toBeNull();
  expect(Number(limit![1])).toBeGreaterThan(0);
  expect(directives).toMatch(/worker_rlimit_nofile\s+\d+;/);
});

Deno.test("deploy - nginx.conf balances the three replicas and upgrades WebSockets", () => {
  const upstream = directives.match(/upstream\s+(\w+)\s*\{([^}]*)\}/);
  expect(upstream).not.toBeNull();
  const [, name, body] = upstream!;
  const servers = [...body.matchAll(/^\s*server\s+(\S+?)[\s;]/gm)].map((m) =>
    m[1]
  );
  expect(servers).toEqual(["app1:8000", "app2:8000", "app3:8000"]);
  expect(body).toMatch(/^\s*(least_conn|ip_hash);/m);
  expect(directives).toMatch(new RegExp(`proxy_pass\\s+http://${name};`));
  expect(directives).toMatch(
    /map\s+\$http_upgrade\s+\$connection_upgrade\s*\{/,
  );
  for (
    const line of [
      "proxy_http_version 1.1;",
      "proxy_set_header Upgrade $http_upgrade;",
      "proxy_set_header Connection $connection_upgrade;",
      "proxy_set_header X-Forwarded-For $remote_addr;",
    ]
  ) expect(directives).toContain(line);
  expect(directives).toMatch(/proxy_set_header Host \$(http_)?host;/);
  const timeout = directives.match(/proxy_read_timeout\s+(\d+)([smhd]?);/);
  expect(timeout).not.toBeNull();
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[timeout![2]]!;
  expect(Number(timeout![1]) * unit).toBeGreaterThanOrEqual(600);
});

Deno.test("deploy - nginx.conf lets a whole upload piece through and keeps other bodies small", () => {
  // Outside any location: what every other request may send.
  const outside = directives.replace(/location\s+\S+\s*\{[^{}]*\}/g, "");
  const general = bodyLimit(outside);
  expect(general).toBeDefined();
  expect(general!).toBeGreaterThanOrEqual(MAX_JSON_BYTES);
  expect(general!).toBeLessThan(PIECE_BYTES);
  // The browser PUTs each piece to /api/uploads/{id} (routes/api/rooms/
  // [room]/uploads.ts answers that uploadUrl).
  const uploads = locations.get("/api/uploads/");
  expect(uploads).toBeDefined();
  expect(uploads).toMatch(/proxy_pass\s+http:\/\/chat;/);
  // Room to spare, so a piece size a little larger doesn't start failing.
  expect(bodyLimit(uploads!)).toBeGreaterThanOrEqual(PIECE_BYTES + 64 * 1024);
  for (const [prefix, block] of locations) {
    if (prefix !== "/api/uploads/") expect(bodyLimit(block)).toBeUndefined();
  }
});

/** The log formats nginx.conf defines, by name, with their text. */
function logFormats(): Map<string, string> {
  return new Map(
    [...uncommented.matchAll(/log_format\s+(\w+)((?:\s+'[^']*')+)\s*;/g)].map(
      (m) => [m[1], m[2]],
    ),
  );
}

/** The variables whose value holds the request's query string. */
const QUERY = /\$\{?(request|request_uri|args|query_string|is_args|arg_\w+)\b/;

Deno.test("deploy - nginx.conf logs requests without their query string", () => {
  const formats = logFormats();
  const logs = [...uncommented.matchAll(/\baccess_log\s+([^;]+);/g)].map((m) =>
    m[1].trim().split(/\s+/)
  );
  expect(logs.length).toBeGreaterThan(0);
  for (const [path, format] of logs) {
    if (path === "off") continue;
    // Without a format name nginx uses "combined", which logs $request.
    expect({ path, format }).toEqual({ path, format: expect.any(String) });
    expect(format.includes("=")).toBe(false);
    const text = formats.get(format);
    expect({ format, defined: text !== undefined }).toEqual({
      format,
      defined: true,
    });
    expect(text).not.toMatch(QUERY);
    expect(text).toContain("$uri");
  }
  expect("$request $request_uri $args $arg_token").toMatch(QUERY);
  expect("$request_method $uri $status").not.toMatch(QUERY);
});

function nginxPath(): string | undefined {
  for (const path of ["/usr/sbin/nginx", "/usr/bin/nginx"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not at this path */ }
  }
  return undefined;
}
const nginx = nginxPath();

/**
 * nginx.conf with its listen port and upstream hosts moved to loopback, and
 * its access log in `accessLog` when given.
 */
function localNginxConf(
  listen: number,
  upstreams: number[],
  accessLog?: string,
): string {
  let n = 0;
  const conf = nginxConf
    .replace(/listen\s+80;/, `listen 127.0.0.1:${listen};`)
    .replace(
      /server\s+app\d+:8000/g,
      () => `server 127.0.0.1:${upstreams[n++]}`,
    );
  return accessLog === undefined
    ? conf
    : conf.replace(/access_log\s+\/dev\/stdout\b/, `access_log ${accessLog}`);
}

Deno.test({
  name: "deploy - nginx accepts nginx.conf",
  ignore: nginx === undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/nginx.conf`,
        localNginxConf(8080, [8001, 8002, 8003]),
      );
      const out = await new Deno.Command(nginx!, {
        args: ["-t", "-p", dir, "-c", `${dir}/nginx.conf`, "-e", "stderr"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const log = new TextDecoder().decode(out.stderr);
      expect({ code: out.code, log }).toMatchObject({ code: 0 });
      expect(log).toContain("test is successful");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** nginx on nginx.conf, in front of three stand-in replicas. */
interface Proxy {
  /** `127.0.0.1:<port>`, where nginx listens. */
  base: string;
  /** The access log so far. */
  accessLog(): Promise<string>;
  /** Stops nginx and the replicas and removes the temporary folder. */
  stop(): Promise<void>;
}

/**
 * Starts the three replicas (`replicas[i]` answering as the i-th) and nginx
 * on nginx.conf in front of them, and waits until nginx answers.
 */
async function startProxy(replicas: Deno.ServeHandler[]): Promise<Proxy> {
  const ac = new AbortController();
  const stubs = replicas.map((handler) =>
    Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: ac.signal,
      onListen: () => {},
    }, handler)
  );
  const dir = await Deno.makeTempDir();
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    localNginxConf(port, stubs.map((s) => s.addr.port), `${dir}/access.log`),
  );
  const proxy = new Deno.Command(nginx!, {
    args: [
      "-p",
      dir,
      "-c",
      `${dir}/nginx.conf`,
      "-e",
      "stderr",
      "-g",
      `daemon off; pid ${dir}/nginx.pid;`,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const pump = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proxy.stderr) log += decoder.decode(chunk);
  })();
  const stop = async () => {
    proxy.kill("SIGTERM");
    await proxy.status;
    await pump;
    ac.abort();
    await Promise.all(stubs.map((s) => s.finished));
    await Deno.remove(dir, { recursive: true });
  };
  const base = `127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`http://${base}/healthz`);
      await res.body?.cancel();
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`nginx: ${log}`, { cause: error });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    base,
    accessLog: () => Deno.readTextFile(`${dir}/access.log`),
    stop,
  };
}

Deno.test({
  name:
    "deploy - nginx spreads WebSockets over the three replicas with the client's address",
  ignore: nginx === undefined,
  async fn() {
    // Stand-in replicas that report which one answered and what they saw.
    const proxy = await startProxy(
      ["one", "two", "three"].map((replica) => (req) => {
        const seen = {
          replica,
          host: req.headers.get("host"),
          forwardedFor: req.headers.get("x-forwarded-for"),
        };
        if (req.headers.get("upgrade") !== "websocket") {
          return Response.json(seen);
        }
        const { socket, response } = Deno.upgradeWebSocket(req);
        socket.onmessage = () => socket.send(JSON.stringify(seen));
        return response;
      }),
    );
    const sockets: WebSocket[] = [];
    try {
      const base = proxy.base;
      const res = await fetch(`http://${base}/healthz`, {
        headers: { "x-forwarded-for": "203.0.113.9" },
      });
      // A forged X-Forwarded-For is replaced, and the port is kept in Host.
      expect(await res.json()).toMatchObject({
        host: base,
        forwardedFor: "127.0.0.1",
      });

      const ask = async () => {
        const ws = new WebSocket(`ws://${base}/ws`);
        sockets.push(ws);
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = () =>
            reject(new Error("WebSocket through nginx failed"));
        });
        const reply = new Promise<string>((r) =>
          ws.onmessage = (e) => r(e.data)
        );
        ws.send("who");
        return JSON.parse(await reply) as { replica: string };
      };
      // Sockets stay open, so least_conn sends each new one elsewhere.
      const replicas = [await ask(), await ask(), await ask()];
      expect(replicas.map((r) => r.replica).sort()).toEqual([
        "one",
        "three",
        "two",
      ]);
    } finally {
      for (const ws of sockets) ws.close();
      await proxy.stop();
    }
  },
});

Deno.test({
  name:
    "deploy - nginx passes a whole upload piece, refuses large bodies elsewhere and logs no guest token",
  ignore: nginx === undefined,
  async fn() {
    // Each replica answers with the bytes of the body it received.
    const replica = async (req: Request) => {
      const body = new Uint8Array(await req.arrayBuffer());
      return Response.json({
        path: new URL(req.url).pathname,
        bytes: body.length,
      });
    };
    const proxy = await startProxy([replica, replica, replica]);
    try {
      const piece = new Uint8Array(PIECE_BYTES).fill(65);
      const put = await fetch(`http://${proxy.base}/api/uploads/0193abcd`, {
        method: "PUT",
        headers: {
          "content-range": `bytes 0-${PIECE_BYTES - 1}/${3 * PIECE_BYTES}`,
          "content-type": "application/octet-stream",
        },
        body: piece,
      });
      expect({ status: put.status, body: await put.json() }).toEqual({
        status: 200,
        body: { path: "/api/uploads/0193abcd", bytes: PIECE_BYTES },
      });
      const elsewhere = await fetch(`http://${proxy.base}/api/rooms`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: piece,
      });
      await elsewhere.body?.cancel();
      expect(elsewhere.status).toBe(413);

      // How the page connects a returning guest.
      const token = "0193abcd-5e6f-7a8b-9c0d-e1f2a3b4c5d6";
      const ws = await fetch(
        `http://${proxy.base}/ws?name=ana&token=${token}`,
      );
      await ws.body?.cancel();
      let log = "";
      const deadline = Date.now() + 5000;
      while (!log.includes("GET /ws ") && Date.now() < deadline) {
        log = await proxy.accessLog();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(log).toContain('"GET /ws HTTP/1.1" 200');
      expect(log).toContain('"PUT /api/uploads/0193abcd HTTP/1.1" 200');
      expect(log).not.toContain(token);
      expect(log).not.toContain("name=ana");
    } finally {
      await proxy.stop();
    }
  },
});

// --- The image's steps, run here --------------------------------------------

/** Whether `path` (relative to the build context) is in .dockerignore. */
function dockerignored(path: string, patterns: RegExp[]): boolean {
  const parts = path.split("/");
  return parts.some((_, i) => {
    const prefix = parts.slice(0, i + 1).join("/");
    return patterns.some((p) => p.test(prefix));
  });
}

/** Copies the build context, less what .dockerignore names, into `dest`. */
async function copyContext(sources: string[], dest: string) {
  const patterns = read(".dockerignore").split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) =>
      new RegExp(
        `^${l.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*")}$`,
      )
    );
  const walk = async (rel: string) => {
    if (rel !== "" && dockerignored(rel, patterns)) return;
    const from = `${root}${rel}`;
    const info = await Deno.stat(from);
    if (info.isDirectory) {
      await Deno.mkdir(`${dest}/${rel}`, { recursive: true });
      for await (const entry of Deno.readDir(from)) {
        await walk(rel === "" ? entry.name : `${rel}/${entry.name}`);
      }
    } else {
      await Deno.copyFile(from, `${dest}/${rel}`);
    }
  };
  for (const source of sources) await walk(source === "." ? "" : source);
}

async function run(argv: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: argv.slice(1),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    const decoder = new TextDecoder();
    throw new Error(
      `${argv.join(" ")} exited ${out.code}:\n${decoder.decode(out.stdout)}${
        decoder.decode(out.stderr)
      }`,
    );
  }
}

/**
 * Follows the Dockerfile's COPY and RUN steps in `app` (standing for /app),
 * running only the `deno` commands: the rest (mkdir, chown) concern the
 * image's filesystem and user.
 */
async function buildOutsideContainer(app: string) {
  for (const step of dockerfile) {
    if (step.keyword === "COPY") {
      await copyContext(step.args.split(/\s+/).slice(0, -1), app);
    } else if (step.keyword === "RUN") {
      const commands = step.args.split("&&").map((c) => c.trim().split(/\s+/));
      for (const argv of commands.filter((c) => c[0] === "deno")) {
        await run(argv, app);
      }
    }
  }
}

Deno.test("deploy - the image's commands run outside a container", async () => {
  expect(denoRuns(dockerfile).map((argv) => argv.slice(0, 3).join(" ")))
    .toEqual([
      "deno install --frozen",
      "deno task build",
      "deno cache --frozen",
    ]);
  const app = await Deno.makeTempDir({ prefix: "chat-image-" });
  const data = await Deno.makeTempDir({ prefix: "chat-data-" });
  let child: Deno.ChildProcess | undefined;
  let pump: Promise<void> | undefined;
  try {
    await buildOutsideContainer(app);
    await Deno.stat(`${app}/_fresh`);

    const port = freePort();
    const env = {
      ...envOf(dockerfile),
      PORT: String(port),
      KV_PATH: `${data}/chat.kv`,
    };
    child = new Deno.Command(Deno.execPath(), {
      args: execForm(dockerfile[indexOf("CMD")].args),
      cwd: app,
      env,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const server = child;
    let stderr = "";
    pump = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of server.stderr) stderr += decoder.decode(chunk);
    })();
    let exited = false;
    server.status.then(() => exited = true);

    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited) throw new Error(`The server exited during start:\n${stderr}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        await res.body?.cancel();
        if (res.status === 200) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) {
        throw new Error(`/healthz did not answer 200 in 60 s:\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    const [, ...checkArgs] = healthcheckCommand(dockerfile);
    const check = await new Deno.Command(Deno.execPath(), {
      args: checkArgs,
      cwd: app,
      env,
      stdout: "null",
      stderr: "piped",
    }).output();
    expect({ code: check.code, stderr: new TextDecoder().decode(check.stderr) })
      .toEqual({ code: 0, stderr: "" });

    server.kill("SIGTERM");
    const status = await server.status;
    await pump;
    child = undefined;
    expect({ code: status.code, stderr }).toMatchObject({ code: 0 });
  } finally {
    if (child) {
      child.kill("SIGKILL");
      await child.status;
      await pump;
    }
    await Deno.remove(app, { recursive: true });
    await Deno.remove(data, { recursive: true });
  }
});
