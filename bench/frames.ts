/**
 * Oversized frames against the app: `deno task bench:frames` (both
 * listeners) or `deno task bench:frames -- --listener=node|deno`.
 *
 * One address opens 16 WebSockets and sends a 63 MB frame on each (from a
 * child process, so the attack doesn't share an event loop with the
 * measurement), while a neighbour in this process sends a message every
 * 50 ms and times each ack. Prints one JSON line per listener: the server's
 * peak RSS, the neighbour's ack latency and how much of the frames the
 * server read before cutting them off.
 *
 * @module
 */
import { eachFlag, parseOrExit } from "./cli_flags.ts";
import { Histogram } from "./histogram.ts";
import { startServer } from "./processes.ts";
import { APP_ENV } from "./session.ts";

const FRAMES = 16;
const FRAME_MIB = 63;
const FRAME_BYTES = FRAME_MIB * 2 ** 20;

/** The attacker: `deno run -A bench/frames.ts --attack <port>`. */
async function attack(port: number): Promise<void> {
  const { rawUpgrade, writeHugeFrame } = await import(
    "../tests/helpers/raw_ws.ts"
  );
  const sockets = await Promise.all(
    Array.from(
      { length: FRAMES },
      (_, i) => rawUpgrade(port, `/ws?name=big${i}`),
    ),
  );
  const sent = await Promise.all(
    sockets.map((s) => writeHugeFrame(s.conn, FRAME_BYTES)),
  );
  for (const s of sockets) {
    try {
      s.conn.close();
    } catch { /* cut off already */ }
  }
  console.log(JSON.stringify({ sent: sent.reduce((a, b) => a + b, 0) }));
}

function peakRss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
}

/** One run against the app with `listener`. */
async function run(listener: string) {
  const dir = await Deno.makeTempDir({ prefix: "chat-frames-" });
  const server = await startServer("app", {
    ...APP_ENV,
    RATE_PER_SECOND: "10",
    LISTENER: listener,
    KV_PATH: `${dir}/chat.kv`,
  });
  const port = Number(new URL(server.wsUrl).port);
  try {
    const ws = new WebSocket(`${server.wsUrl}?name=neighbour`);
    const acks = new Map<string, (v: unknown) => void>();
    const joined = Promise.withResolvers<void>();
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === "welcome") ws.send('{"type":"join","room":"general"}');
      if (f.type === "joined") joined.resolve();
      if (f.type === "ack") acks.get(f.clientId)?.(null);
    };
    await joined.promise;
    const before = peakRss(server.pid);
    const attacker = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "--attack",
        String(port),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    let attacking = true;
    const output = attacker.output().finally(() => attacking = false);
    const latency = new Histogram();
    let lost = 0;
    for (let i = 0; attacking; i++) {
      const id = `n${i}`;
      const t = performance.now();
      const acked = new Promise((r) => acks.set(id, r));
      ws.send(
        JSON.stringify({
          type: "send",
          room: "general",
          text: `hi ${i}`,
          clientId: id,
        }),
      );
      const ok = await Promise.race([
        acked.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 10_000)),
      ]);
      if (ok) latency.record(performance.now() - t);
      else lost++;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { sent } = JSON.parse(
      new TextDecoder().decode((await output).stdout),
    );
    ws.close();
    return {
      listener,
      frames: FRAMES,
      frameMB: FRAME_BYTES / 2 ** 20,
      rssBeforeMiB: Math.round(before / 2 ** 20),
      peakRssMiB: Math.round(peakRss(server.pid) / 2 ** 20),
      attackerWroteMiB: Math.round(sent / 2 ** 20),
      neighbourAck: latency.summary(),
      neighbourLost: lost,
    };
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** What `deno task bench:frames -- --help` prints. */
export const FRAMES_USAGE = [
  "Usage: deno task bench:frames [-- <flags>]",
  "",
  `${FRAMES} WebSockets from one address each send a ${FRAME_MIB} MiB frame`,
  "while a neighbour times its acks; prints one JSON line per listener.",
  "",
  "  --listener=node|deno   only this listener (default: both)",
  "  --help                 this text",
].join("\n");

/** Reads the command line; an argument it does not take throws a `UsageError`. */
export function parseFramesArgs(args: string[]): { listeners: string[] } {
  const options = { listeners: ["node", "deno"] };
  eachFlag(args, (flag, value) => {
    if (flag !== "--listener" || (value !== "node" && value !== "deno")) {
      return false;
    }
    options.listeners = [value];
    return true;
  });
  return options;
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--attack");
  if (at >= 0) await attack(Number(Deno.args[at + 1]));
  else {
    const { listeners } = parseOrExit(
      "bench:frames",
      Deno.args,
      FRAMES_USAGE,
      parseFramesArgs,
    );
    for (const listener of listeners) {
      console.log(JSON.stringify(await run(listener)));
    }
  }
}
