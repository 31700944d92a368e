/**
 * The cost of one delivery on each kind of server socket:
 * `deno task bench:sockets`.
 *
 * A server process (this file with `--serve`) broadcasts 200 messages of
 * ~250 bytes to 1,000 WebSocket clients held by this process, and reports
 * its own CPU time per delivery. The kinds: `deno` (`Deno.serve` and
 * `Deno.upgradeWebSocket`, today's path), `ws` (`node:http` with `ws`'s
 * `send`), and `node` (the app's listener and `NodeWebSocket`, which frames
 * a text once and writes the same bytes to every socket). Each kind runs
 * three times, interleaved, so a busy machine skews them alike; the median
 * is printed as one JSON line per kind.
 *
 * @module
 */
import http from "node:http";
import { WebSocketServer } from "ws";
import { upgradeWebSocket } from "@/lib/fresh/upgrade.ts";
import { listenNode } from "@/lib/server/http/node_listener.ts";
import { lines } from "./processes.ts";
import { eachFlag, parseOrExit } from "./cli_flags.ts";

const KINDS = ["deno", "ws", "node"] as const;
type Kind = typeof KINDS[number];
const CLIENTS = 1000;
const MESSAGES = 200;
const ROUNDS = 3;

/** Something a broadcast can send to. */
interface Sink {
  send(data: string): void;
}

/** The server side: serve `kind` on `port`, broadcast when asked. */
async function serve(kind: Kind): Promise<void> {
  const members: Sink[] = [];
  const broadcast = () => {
    const start = process.cpuUsage();
    let i = 0;
    const tick = () => {
      for (let k = 0; k < 10 && i < MESSAGES; k++, i++) {
        const data = JSON.stringify({
          type: "message",
          room: "general",
          id: i,
          user: "alice",
          text: "a message of a typical length, sent to everyone ".repeat(4),
          ts: Date.now(),
        });
        for (const m of members) m.send(data);
      }
      if (i < MESSAGES) setTimeout(tick, 0);
      else {
        // Writes finish after the loop: wait for them before reading the CPU.
        setTimeout(() => {
          const used = process.cpuUsage(start);
          console.log(JSON.stringify({
            kind,
            usPerDelivery: (used.user + used.system) /
              (MESSAGES * members.length),
          }));
        }, 1500);
      }
    };
    tick();
  };
  const onMessage = (data: string) => data === "go" && broadcast();
  let port: number;
  if (kind === "deno") {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) => {
        const { socket, response } = Deno.upgradeWebSocket(req);
        socket.onopen = () => members.push(socket);
        socket.onmessage = (e) => onMessage(String(e.data));
        return response;
      },
    );
    port = server.addr.port;
  } else if (kind === "ws") {
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
    });
    const server = http.createServer();
    server.on(
      "upgrade",
      (req, socket, head) =>
        wss.handleUpgrade(req, socket, head, (ws) => {
          members.push({ send: (d) => ws.send(d) });
          ws.on("message", (d) => onMessage(String(d)));
        }),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    port = typeof address === "object" && address ? address.port : 0;
  } else {
    const listener = await listenNode((req) => {
      const { socket, response } = upgradeWebSocket(req);
      socket.onopen = () => members.push(socket);
      socket.onmessage = (e) => onMessage(String(e.data));
      return response;
    }, {
      hostname: "127.0.0.1",
      port: 0,
      headerTimeoutMs: 10_000,
      maxFrameBytes: 65_536,
      closeTimeoutMs: 3000,
    });
    port = listener.port;
  }
  console.log(JSON.stringify({ port }));
}

/** One round: a server of `kind`, the clients, one broadcast. */
async function round(kind: Kind): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--serve", kind],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = lines(child.stdout);
  try {
    const { port } = JSON.parse((await out.next()).value!);
    const sockets: WebSocket[] = [];
    let received = 0;
    for (let i = 0; i < CLIENTS; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      ws.onmessage = () => received++;
      await new Promise((r) => ws.onopen = r);
      sockets.push(ws);
    }
    sockets[0].send("go");
    const { usPerDelivery } = JSON.parse((await out.next()).value!);
    const deadline = Date.now() + 30_000;
    while (received < CLIENTS * MESSAGES && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    if (received < CLIENTS * MESSAGES) {
      throw new Error(`${kind}: ${received} of ${CLIENTS * MESSAGES} received`);
    }
    for (const ws of sockets) ws.close();
    return usPerDelivery;
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

/** What `deno task bench:sockets -- --help` prints. */
export const SOCKETS_USAGE = [
  "Usage: deno task bench:sockets",
  "",
  `Broadcasts ${MESSAGES} messages to ${CLIENTS} WebSocket clients on each kind`,
  `of server socket (${KINDS.join(", ")}), ${ROUNDS} rounds interleaved, and`,
  "prints the server's CPU per delivery, one JSON line per kind.",
  "Takes no flags but --help.",
].join("\n");

/** Reads the command line: no flags (any argument throws a `UsageError`). */
export function parseSocketsArgs(args: string[]): Record<never, never> {
  eachFlag(args, () => false);
  return {};
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--serve");
  if (at >= 0) await serve(Deno.args[at + 1] as Kind);
  else {
    parseOrExit("bench:sockets", Deno.args, SOCKETS_USAGE, parseSocketsArgs);
    const runs = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of KINDS) runs.get(kind)!.push(await round(kind));
    }
    for (const [kind, us] of runs) {
      const sorted = [...us].sort((a, b) => a - b);
      console.log(JSON.stringify({
        kind,
        clients: CLIENTS,
        messages: MESSAGES,
        usPerDeliveryMedian: +sorted[Math.floor(sorted.length / 2)].toFixed(2),
        runs: us.map((u) => +u.toFixed(2)),
      }));
    }
  }
}
