/**
 * Configuration, read from the environment once at start and validated.
 * The rest of the code receives a {@link Config}; nothing else reads `Deno.env`.
 *
 * @module
 */
import { z } from "zod";
import { ROOM_ID } from "@/lib/shared/names.ts";

const int = (min: number, max: number) =>
  z.coerce.number().int().min(min).max(max);
const bool = z.enum(["true", "false", "1", "0"]).transform((v) =>
  v === "true" || v === "1"
);
const list = z.string().transform((v) =>
  v.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
);
/** A room id as rooms are made ({@link ROOM_ID}); the entry is named. */
const roomId = z.string().regex(ROOM_ID, {
  error: (issue) =>
    `${
      JSON.stringify(issue.input)
    } is not a room id (1–32 of a-z, 0-9, _ and -, starting with a letter or digit)`,
});

/** Every setting, its environment variable, its default and its bounds. */
const schema = z.object({
  PORT: int(0, 65535).default(8000),
  HOSTNAME: z.string().min(1).default("0.0.0.0"),
  KV_PATH: z.string().min(1).optional(),
  /** Set by Deno Deploy; selects its managed KV and the KV bus by default. */
  DENO_DEPLOYMENT_ID: z.string().optional(),
  BUS: z.enum(["auto", "local", "kv", "redis", "postgres"]).default("auto"),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  DATABASE_URL: z.url({
    protocol: /^postgres(ql)?$/,
    error: "expected postgres://user:password@host:port/database",
  }).optional(),
  DATABASE_POOL_SIZE: int(1, 1000).default(10),
  ALLOWED_ORIGINS: list.pipe(z.array(z.url())).default([]),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  // "warn" is accepted for "warning", as most tools spell it.
  LOG_LEVEL: z.enum([
    "trace",
    "debug",
    "info",
    "warn",
    "warning",
    "error",
    "fatal",
  ])
    .transform((v) => v === "warn" ? "warning" : v)
    .default("info"),
  LOG_FORMAT: z.enum(["auto", "pretty", "json"]).default("auto"),
  CHAT_ROOMS: list.pipe(z.array(roomId).min(1)).default([
    "general",
    "random",
  ]),
  HISTORY_LIMIT: int(10, 10_000_000).default(10_000),
  // Unset: 4 ms on Deno KV, none on PostgreSQL (see `commitSpacingMs`).
  COMMIT_SPACING_MS: int(0, 1000).optional(),
  // A message is one KV value, which holds at most 64 KiB.
  MAX_TEXT_BYTES: int(1, 60_000).default(4096),
  MAX_FRAME_BYTES: int(256, 16_777_216).default(65_536),
  IDLE_TIMEOUT_S: int(5, 3600).default(30),
  SLOW_CLIENT_BYTES: int(1024, 1_073_741_824).default(1_048_576),
  SLOW_CLIENT_GRACE_MS: int(0, 600_000).default(5000),
  TYPING_TTL_MS: int(500, 60_000).default(5000),
  AWAY_AFTER_MS: int(1000, 86_400_000).default(300_000),
  MEMBERSHIP_EVENT_WINDOW_MS: int(0, 60_000).default(1000),
  RATE_PER_SECOND: z.coerce.number().positive().max(10_000).default(10),
  RATE_BURST: int(1, 100_000).default(30),
  MAX_CONNECTIONS_PER_IP: int(1, 1_000_000).default(200),
  MAX_ROOMS_PER_USER: int(0, 10_000).default(10),
  MAX_ROOMS: int(1, 1_000_000).default(1000),
  MAX_NEW_DMS_PER_HOUR: int(1, 100_000).default(30),
  EMPTY_ROOM_TTL_MS: int(1000, 2_592_000_000).default(3_600_000),
  TRUST_PROXY: bool.default(false),
  ADMIN_USERS: list.default([]),
  METRICS_TOKEN: z.string().min(16).optional(),
  METRICS_PUBLIC: bool.default(false),
  LOGIN_MAX_ATTEMPTS: int(1, 1000).default(10),
  LOGIN_LOCK_MS: int(1000, 86_400_000).default(900_000),
  SHUTDOWN_GRACE_MS: int(0, 60_000).default(3000),
  LISTENER: z.enum(["node", "deno"]).default("node"),
  HEADER_TIMEOUT_MS: int(100, 600_000).default(10_000),
  WS_CLOSE_TIMEOUT_MS: int(100, 60_000).default(3000),
  MAX_UPLOAD_BYTES: int(1, 1_073_741_824).default(10 * 1024 * 1024),
  UPLOAD_QUOTA_BYTES: int(0, 1_099_511_627_776).default(100 * 1024 * 1024),
  UPLOAD_IDLE_MS: int(100, 600_000).default(30_000),
});

/** The validated configuration of one server instance. */
export interface Config {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to listen on. */
  hostname: string;
  /** Path of the Deno KV file, `:memory:`, or `""` for Deploy's managed KV. */
  kvPath: string;
  /** When set, instances fan out through Redis pub/sub. */
  redisUrl?: string;
  /** When set, everything durable lives in this PostgreSQL database, not KV. */
  databaseUrl?: string;
  /** Connections in the PostgreSQL pool. */
  databasePoolSize: number;
  /**
   * How instances reach each other: `redis` (needs `redisUrl`), `postgres`
   * (LISTEN/NOTIFY, needs `databaseUrl`), `kv` (Deno KV watch, for Deno
   * Deploy) or `local` (one instance).
   */
  bus: "local" | "kv" | "redis" | "postgres";
  /**
   * Origins allowed to open a WebSocket. When neither this nor `publicOrigin`
   * is set, the origin matching the request's Host is allowed instead.
   */
  allowedOrigins: string[];
  /** The origin of `PUBLIC_URL`, the address people use, when set. */
  publicOrigin?: string;
  /** The lowest level logged. */
  logLevel: "trace" | "debug" | "info" | "warning" | "error" | "fatal";
  /**
   * How log lines look: `pretty` (aligned, coloured) for a terminal, `json`
   * (JSON lines) for machines, `auto` pretty when stdout is a terminal.
   */
  logFormat: "auto" | "pretty" | "json";
  /** Rooms that exist from the start. */
  rooms: string[];
  /** Messages kept per room; older ones are removed. */
  historyLimit: number;
  /**
   * Under load, commits of sends start at most once per this many ms, so
   * each carries more of them; 0 commits as soon as the last one is done.
   * By default 4 on Deno KV, where a commit costs the process a write to
   * its SQLite file, and 0 on PostgreSQL, where a commit is one round trip
   * on a connection of its own and spacing it saves no measurable CPU.
   */
  commitSpacingMs: number;
  /** Longest message text, in UTF-8 bytes. */
  maxTextBytes: number;
  /** Largest WebSocket frame accepted, in bytes. */
  maxFrameBytes: number;
  /** Seconds without a pong before a socket is closed. */
  idleTimeoutS: number;
  /** A socket buffering more than this many bytes counts as backed up. */
  slowClientBytes: number;
  /** How long a socket may stay backed up before it is closed with 1013. */
  slowClientGraceMs: number;
  /** How long a typing notice lasts without being renewed. */
  typingTtlMs: number;
  /** A person with no frame from any of their sockets this long shows as away. */
  awayAfterMs: number;
  /**
   * Joins (or leaves) of one room within this long are written as one stored
   * membership event ("mina and 2 others joined"); a busy room's windows
   * double, up to 16 times this. 0: no wait.
   */
  membershipEventWindowMs: number;
  /** Token bucket per connection: refill rate and capacity. */
  ratePerSecond: number;
  /** The bucket's capacity: messages allowed in a burst. */
  rateBurst: number;
  /** Open connections allowed from one address. */
  maxConnectionsPerIp: number;
  /** Rooms one user may create. */
  maxRoomsPerUser: number;
  /** Public and private rooms the server holds at most (DMs aside); creating more is refused. */
  maxRooms: number;
  /** New DMs one account may open an hour, per instance. */
  maxNewDmsPerHour: number;
  /**
   * How long a guest-created room in which nothing was ever written lives
   * (with nobody in it) before it is deleted.
   */
  emptyRoomTtlMs: number;
  /** Whether to believe `X-Forwarded-For` and `X-Forwarded-Proto`. */
  trustProxy: boolean;
  /**
   * Account names made admins at start, each bound to its account if that
   * existed when the name was first listed (see `lib/server/auth/roles.ts`).
   */
  adminUsers: string[];
  /**
   * A bearer token that opens `/metrics` from anywhere; without it (and
   * without `metricsPublic`) only loopback clients may read it.
   */
  metricsToken?: string;
  /** Whether anyone may read `/metrics`. */
  metricsPublic: boolean;
  /**
   * Failed logins per (address, username) before a lock, slowed from half of
   * it; per username from any address, slowed past it, never locked.
   */
  loginMaxAttempts: number;
  /** How long a login lock lasts, in ms. */
  loginLockMs: number;
  /** How long shutdown waits for open requests before closing anyway, in ms. */
  shutdownGraceMs: number;
  /**
   * Who accepts connections: `node` (`lib/server/http/node_listener.ts`: header
   * timeout, descriptor budget, frame limit from the header, hard close) or
   * `deno` (`Deno.serve` and `Deno.upgradeWebSocket`, as on real Fresh).
   */
  listener: "node" | "deno";
  /** Time a connection has to send a request's headers, in ms (`node`). */
  headerTimeoutMs: number;
  /** How long a WebSocket close may go unanswered before a reset (`node`). */
  wsCloseTimeoutMs: number;
  /** Largest file one upload may hold, in bytes. */
  maxUploadBytes: number;
  /**
   * Bytes of uploads one person (account or guest token) may keep, counted
   * by declared size from the moment an upload starts.
   */
  uploadQuotaBytes: number;
  /** How long an upload's body may send nothing before it is cut off (408). */
  uploadIdleMs: number;
}

/** Thrown by {@link loadConfig} with one line per bad variable. */
export class ConfigError extends Error {
  /** Always `"ConfigError"`. */
  override name = "ConfigError";
}

/**
 * Parses configuration from an environment record.
 *
 * @example
 * ```ts
 * const config = loadConfig(Deno.env.toObject());
 * ```
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) =>
      k in schema.shape && v !== undefined && v !== ""
    ),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      // A connection URL may carry a password: its value is not echoed.
      const shown = key === "DATABASE_URL" || key === "REDIS_URL"
        ? ""
        : `=${JSON.stringify(env[key])}`;
      return `${key}${shown}: ${issue.message}`;
    });
    throw new ConfigError(
      lines.length === 1
        ? `Invalid configuration: ${lines[0]}`
        : `Invalid configuration:\n  ${lines.join("\n  ")}`,
    );
  }
  const e = parsed.data;
  if (e.BUS === "redis" && !e.REDIS_URL) {
    throw new ConfigError(
      `Invalid configuration:\n  BUS="redis": needs REDIS_URL`,
    );
  }
  if (e.BUS === "postgres" && !e.DATABASE_URL) {
    throw new ConfigError(
      `Invalid configuration:\n  BUS="postgres": needs DATABASE_URL`,
    );
  }
  return {
    port: e.PORT,
    hostname: e.HOSTNAME,
    kvPath: e.KV_PATH ?? (e.DENO_DEPLOYMENT_ID ? "" : "./data/chat.kv"),
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    bus: e.BUS !== "auto"
      ? e.BUS
      : e.REDIS_URL
      ? "redis"
      : e.DATABASE_URL
      ? "postgres"
      : e.DENO_DEPLOYMENT_ID
      ? "kv"
      : "local",
    allowedOrigins: e.ALLOWED_ORIGINS.map((o) => new URL(o).origin),
    publicOrigin: e.PUBLIC_URL ? new URL(e.PUBLIC_URL).origin : undefined,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    rooms: e.CHAT_ROOMS,
    historyLimit: e.HISTORY_LIMIT,
    commitSpacingMs: e.COMMIT_SPACING_MS ?? (e.DATABASE_URL ? 0 : 4),
    maxTextBytes: e.MAX_TEXT_BYTES,
    maxFrameBytes: e.MAX_FRAME_BYTES,
    idleTimeoutS: e.IDLE_TIMEOUT_S,
    slowClientBytes: e.SLOW_CLIENT_BYTES,
    slowClientGraceMs: e.SLOW_CLIENT_GRACE_MS,
    typingTtlMs: e.TYPING_TTL_MS,
    awayAfterMs: e.AWAY_AFTER_MS,
    membershipEventWindowMs: e.MEMBERSHIP_EVENT_WINDOW_MS,
    ratePerSecond: e.RATE_PER_SECOND,
    rateBurst: e.RATE_BURST,
    maxConnectionsPerIp: e.MAX_CONNECTIONS_PER_IP,
    maxRoomsPerUser: e.MAX_ROOMS_PER_USER,
    maxRooms: e.MAX_ROOMS,
    maxNewDmsPerHour: e.MAX_NEW_DMS_PER_HOUR,
    emptyRoomTtlMs: e.EMPTY_ROOM_TTL_MS,
    trustProxy: e.TRUST_PROXY,
    adminUsers: e.ADMIN_USERS,
    metricsToken: e.METRICS_TOKEN,
    metricsPublic: e.METRICS_PUBLIC,
    loginMaxAttempts: e.LOGIN_MAX_ATTEMPTS,
    loginLockMs: e.LOGIN_LOCK_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    listener: e.LISTENER,
    headerTimeoutMs: e.HEADER_TIMEOUT_MS,
    wsCloseTimeoutMs: e.WS_CLOSE_TIMEOUT_MS,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    uploadQuotaBytes: e.UPLOAD_QUOTA_BYTES,
    uploadIdleMs: e.UPLOAD_IDLE_MS,
  };
}

/**
 * {@link loadConfig} for an entry point: a bad setting is reported through
 * `out` as its one-line message and gives `undefined` (exit with 2).
 */
export function loadConfigOrReport(
  env: Record<string, string | undefined>,
  out: (line: string) => void,
): Config | undefined {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out(error.message);
    return undefined;
  }
}
