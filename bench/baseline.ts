/**
 * The baseline: the least a Deno WebSocket broadcast server can do while
 * speaking enough of the protocol for the load generator (`welcome`, `join` →
 * `joined`, with `since` the messages after it kept in memory; `send` →
 * `message` to every member and `ack` to the sender, ids increasing per
 * room). No storage, validation, membership, presence or limits, so the
 * app's figures can be read as a ratio to it.
 *
 * Usage: `deno run -A bench/baseline.ts <port> [--node]`; prints `Listening on
 * <url>`. With `--node` it is served through the app's own listener
 * (`node:http` + `ws`, `lib/server/http/node_listener.ts`) instead of
 * `Deno.serve`, to show what that socket layer costs by itself.
 *
 * @module
 */

interface Conn {
  socket: WebSocket;
  user: string;
  rooms: Set<string>;
}

interface Room {
  members: Set<Conn>;
  lastId: number;
  /** The newest messages as sent, message `id` at `id % RECENT`, for `since`. */
  recent: string[];
}

/** Messages a room keeps for replay. */
const RECENT = 10_000;

/** Incoming frames; only the fields the baseline reads. */
interface Frame {
  type?: string;
  room?: string;
  since?: number;
  text?: string;
  clientId?: string;
}

const rooms = new Map<string, Room>();
/** Turns a request into a socket: the runtime's, or the node listener's. */
let upgrade = (req: Request) => Deno.upgradeWebSocket(req);
let connections = 0;

function room(id: string): Room {
  let r = rooms.get(id);
  if (!r) rooms.set(id, r = { members: new Set(), lastId: 0, recent: [] });
  return r;
}

function onFrame(conn: Conn, data: string): void {
  let frame: Frame;
  try {
    frame = JSON.parse(data);
  } catch {
    return conn.socket.send('{"type":"error","code":"bad_json"}');
  }
  const id = frame.room ?? "";
  if (frame.type === "join") {
    const r = room(id);
    r.members.add(conn);
    conn.rooms.add(id);
    conn.socket.send(
      JSON.stringify({ type: "joined", room: id, users: [], lastId: r.lastId }),
    );
    if (typeof frame.since === "number") {
      const from = Math.max(frame.since + 1, r.lastId - RECENT + 1, 1);
      for (let n = from; n <= r.lastId; n++) {
        conn.socket.send(r.recent[n % RECENT]);
      }
    }
  } else if (frame.type === "send" && conn.rooms.has(id)) {
    const r = room(id);
    const ts = Date.now();
    const message = {
      type: "message",
      id: ++r.lastId,
      room: id,
      user: conn.user,
      text: frame.text ?? "",
      ts,
      clientId: frame.clientId,
    };
    const data = JSON.stringify(message);
    r.recent[message.id % RECENT] = data;
    for (const m of r.members) {
      if (m.socket.readyState === WebSocket.OPEN) m.socket.send(data);
    }
    conn.socket.send(JSON.stringify({
      type: "ack",
      room: id,
      clientId: frame.clientId,
      id: message.id,
      ts,
    }));
  } else if (frame.type === "ping") {
    conn.socket.send(JSON.stringify({ type: "pong", serverTime: Date.now() }));
  }
}

function serve(req: Request): Response {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("Expected a WebSocket upgrade", { status: 400 });
  }
  const user = new URL(req.url).searchParams.get("name") ?? "guest";
  const { socket, response } = upgrade(req);
  const conn: Conn = { socket, user, rooms: new Set() };
  socket.onopen = () => {
    connections++;
    socket.send(JSON.stringify({
      type: "welcome",
      protocol: 1,
      user: { name: user, guest: true },
      serverTime: Date.now(),
      rooms: [],
      limits: { maxTextBytes: 4096, maxFrameBytes: 65536 },
    }));
  };
  socket.onmessage = (e) => {
    if (typeof e.data === "string") onFrame(conn, e.data);
  };
  socket.onclose = () => {
    connections--;
    // Rooms stay, even empty, so their ids keep increasing.
    for (const id of conn.rooms) rooms.get(id)?.members.delete(conn);
  };
  socket.onerror = () => {};
  return response;
}

if (import.meta.main) {
  const port = Number(Deno.args[0] ?? 0);
  if (Deno.args.includes("--node")) {
    // Loaded only here: the plain baseline stays free of the app's modules.
    const { listenNode } = await import("@/lib/server/http/node_listener.ts");
    const { upgradeWebSocket } = await import("@/lib/fresh/upgrade.ts");
    upgrade = (req) => upgradeWebSocket(req);
    const listener = await listenNode(serve, {
      hostname: "127.0.0.1",
      port,
      headerTimeoutMs: 10_000,
      maxFrameBytes: 65_536,
      closeTimeoutMs: 5_000,
    });
    console.log(`Listening on http://127.0.0.1:${listener.port}`);
  } else {
    Deno.serve({
      hostname: "127.0.0.1",
      port,
      onListen: ({ port }) =>
        console.log(`Listening on http://127.0.0.1:${port}`),
    }, serve);
  }
  const stop = () => {
    console.error(`baseline: ${connections} connections at exit`);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
