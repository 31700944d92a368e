/**
 * Chat protocol v2: the frames a browser and the server exchange over one
 * WebSocket, their schemas, and the tables of error and close codes.
 * Shared by server and browser; imports nothing server-only.
 * `docs/protocol.md` documents every frame described here. Past 300 lines
 * because it is one concept: every frame's schema, in one place.
 *
 * @module
 */
import { z } from "zod";
import { ROOM_ID, USER_NAME } from "./names.ts";
import { isEmoji, MAX_REACTION_IDS, MAX_TOPIC_LENGTH } from "./reactions.ts";

/** The protocol version announced in `welcome`. */
export const PROTOCOL_VERSION = 2;

/** A room id, validated. */
export const roomId: z.ZodString = z.string().regex(
  ROOM_ID,
  "Room ids are 1–32 of a-z, 0-9, _ and -",
);

/** Longest `clientId` a client may choose. */
const MAX_CLIENT_ID = 64;

/** Longest `members` cursor a client may send back (the server's are shorter). */
const MAX_CURSOR = 200;

/**
 * What a `clientId` or a `members` cursor may not hold: control characters
 * and lone surrogates (broken UTF-16). Both are refused up front: the store
 * keeps the id as text, and PostgreSQL refuses `\u0000` and a lone
 * surrogate, which would fail the whole group commit the send joined (or,
 * in a cursor, the read it bounds).
 */
const CONTROL_OR_BROKEN = /[\p{Cc}\p{Cs}]/u;

/** A client-chosen id making a `send` idempotent. */
const clientId = z.string().min(1).max(MAX_CLIENT_ID).refine(
  (id) => !CONTROL_OR_BROKEN.test(id),
  "clientId may not hold control characters or broken UTF-16",
);

/** A user's display name, validated. */
const userName = z.string().regex(USER_NAME, "Not a user name");

/** Who may see a room: anyone, its members only, or the two people of a DM. */
export const roomKind = z.enum(["public", "private", "dm"]);

/** Who may see a room. */
export type RoomKind = z.infer<typeof roomKind>;

/** A person's presence: online, away (idle a while), offline. */
export const presenceStatus = z.enum(["online", "away", "offline"]);

/** A person's presence. */
export type PresenceStatus = z.infer<typeof presenceStatus>;

/** A message id in a frame. */
const messageId = z.number().int().positive();

/** One emoji, as a reaction (see `reactions.ts`). */
const emoji = z.string().refine(isEmoji, "Not a single emoji");

/** Every frame a client may send, discriminated by `type`. */
export const clientFrame = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("join"),
    room: roomId,
    /** The last message id the client holds; everything after it is replayed. */
    since: z.number().int().min(0).optional(),
  }),
  /** Leaves the room: membership ends (a stored event), traffic stops. */
  z.object({ type: z.literal("leave"), room: roomId }),
  /**
   * The room this socket shows (null: none). Presence and typing go only to
   * sockets showing a room; a socket that never sent `view` (a v1 client)
   * counts as showing every room it joined.
   */
  z.object({ type: z.literal("view"), room: roomId.nullable() }),
  /** A page of a room's members, online ones first. */
  z.object({
    type: z.literal("members"),
    room: roomId,
    /** The `next` cursor of the previous page. */
    cursor: z.string().max(MAX_CURSOR).refine(
      (c) => !CONTROL_OR_BROKEN.test(c),
      "cursor may not hold control characters or broken UTF-16",
    ).optional(),
    limit: z.number().int().min(1).max(200).optional(),
  }),
  /** Marks everything up to `id` read, on every tab and device of the user. */
  z.object({
    type: z.literal("read"),
    room: roomId,
    id: z.number().int().min(0),
  }),
  /** Adds an account (or a guest by its current name) to a private room. */
  z.object({ type: z.literal("invite"), room: roomId, user: userName }),
  /** Removes a member from a private room, as its owner or a moderator. */
  z.object({ type: z.literal("remove"), room: roomId, user: userName }),
  /** Opens (or reopens) the direct-message room with an account. */
  z.object({ type: z.literal("dm"), user: userName }),
  /**
   * Closes a DM for this user, on every tab: out of their list until a
   * newer message arrives or they open it again (answered by `room`).
   */
  z.object({ type: z.literal("close_dm"), room: roomId }),
  z.object({
    type: z.literal("send"),
    room: roomId,
    text: z.string(),
    clientId,
    /** A reply: the id of the thread's first message in the same room. */
    parent: z.number().int().positive().optional(),
    /** A reply shown in the room's timeline too ("also send to the room"). */
    alsoInRoom: z.boolean().optional(),
  }),
  /** A page of a thread's replies (answered by `thread`). */
  z.object({
    type: z.literal("thread"),
    room: roomId,
    /** The thread's first message. */
    id: z.number().int().positive(),
    /** Replies older than this id; the newest page without it. */
    before: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(200).optional(),
  }),
  z.object({ type: z.literal("typing"), room: roomId, typing: z.boolean() }),
  z.object({
    type: z.literal("create"),
    room: roomId,
    /** A private room: only its members see it. Public by default. */
    private: z.boolean().optional(),
  }),
  z.object({ type: z.literal("kick"), room: roomId, user: userName }),
  z.object({
    type: z.literal("edit"),
    room: roomId,
    id: z.number().int().positive(),
    text: z.string(),
  }),
  z.object({
    type: z.literal("delete"),
    room: roomId,
    id: z.number().int().positive(),
  }),
  z.object({ type: z.literal("delete_room"), room: roomId }),
  z.object({ type: z.literal("ping") }),
  /** Adds the sender's reaction `emoji` to a message (once per person and emoji). */
  z.object({ type: z.literal("react"), room: roomId, id: messageId, emoji }),
  /** Takes the sender's reaction `emoji` off a message. */
  z.object({ type: z.literal("unreact"), room: roomId, id: messageId, emoji }),
  /** Asks for the reactions of messages (answered by `reactions` with `mine`). */
  z.object({
    type: z.literal("reactions"),
    room: roomId,
    ids: z.array(messageId).min(1).max(MAX_REACTION_IDS),
  }),
  /** Pins a message, as the room's owner or a moderator. */
  z.object({ type: z.literal("pin"), room: roomId, id: messageId }),
  /** Unpins a message, as the room's owner or a moderator. */
  z.object({ type: z.literal("unpin"), room: roomId, id: messageId }),
  /** Asks for a room's pinned messages (answered by `pins`). */
  z.object({ type: z.literal("pins"), room: roomId }),
  /** Sets (or with "" clears) a room's topic, as its owner or a moderator. */
  z.object({
    type: z.literal("topic"),
    room: roomId,
    topic: z.string().max(
      MAX_TOPIC_LENGTH,
      `At most ${MAX_TOPIC_LENGTH} characters`,
    ),
  }),
]);

/** A frame from a client, after validation. */
export type ClientFrame = z.infer<typeof clientFrame>;

/** A user as presence lists show it. */
export const presenceUser = z.object({
  /** The display name. */
  name: z.string(),
  /** Whether the name is a guest's rather than an account's. */
  guest: z.boolean(),
});

/** A user as presence lists show it. */
export type PresenceUser = z.infer<typeof presenceUser>;

/** A room member as member lists show it. */
export const memberEntry = presenceUser.extend({
  status: presenceStatus,
  /**
   * In a `presence` change only: no longer a member of the room (left,
   * removed), so member lists drop the name.
   */
  left: z.literal(true).optional(),
});

/** A room member as member lists show it. */
export type MemberEntry = z.infer<typeof memberEntry>;

/**
 * A stored membership event ("mina and 2 others joined"): joins or leaves
 * within a short window are written as one event. Names are the first few;
 * `count` is how many in all.
 */
export const membershipEvent = z.object({
  kind: z.enum(["joined", "left"]),
  /** The first few names (at most 5). */
  users: z.array(z.string()).max(5),
  /** How many joined or left in all. */
  count: z.number().int().min(1),
});

/** A stored membership event. */
export type MembershipEvent = z.infer<typeof membershipEvent>;

/** The longest file id accepted (the server makes ids of 22 characters). */
export const MAX_FILE_ID_LENGTH = 64;

/**
 * A file or image a message refers to (see "Files" in docs/protocol.md):
 * its bytes are at `GET /api/files/{id}`. `type` is sniffed from the bytes
 * by the server; `width`/`height` are set for raster images, and
 * `thumbnail` names a small image made by the uploader's browser.
 */
export const fileRef = z.object({
  /** The file's id. */
  id: z.string().min(1).max(MAX_FILE_ID_LENGTH),
  /** Its name as uploaded. */
  name: z.string().max(255),
  /** Its size in bytes. */
  size: z.number().int().min(0),
  /** Its MIME type as sniffed from its first bytes. */
  type: z.string().max(100),
  /** Pixels across, for a raster image. */
  width: z.number().int().min(1).optional(),
  /** Pixels down, for a raster image. */
  height: z.number().int().min(1).optional(),
  /** The id of its thumbnail (another file), for an image. */
  thumbnail: z.string().min(1).max(MAX_FILE_ID_LENGTH).optional(),
});

/** A file or image a message refers to. */
export type FileRef = z.infer<typeof fileRef>;

/**
 * What a thread's first message shows of its replies ("3 replies, last
 * 10:42, by ana and bo"), kept with the message as replies are stored.
 */
export const threadSummary = z.object({
  /** How many replies were stored. */
  replies: z.number().int().min(0),
  /** The newest reply's id. */
  lastId: z.number().int().min(0),
  /** The newest reply's time, milliseconds since the epoch. */
  lastTs: z.number(),
  /** Who replied, most recent first (at most 5 names). */
  users: z.array(z.string()).max(5),
});

/** What a thread's first message shows of its replies. */
export type ThreadSummary = z.infer<typeof threadSummary>;

/** A stored chat message as it travels to clients and between instances. */
export const chatMessage = z.object({
  /** Per-room, strictly increasing. */
  id: z.number().int(),
  /** The room it was sent to. */
  room: z.string(),
  /** The sender's display name. */
  user: z.string(),
  /** What was written. */
  text: z.string(),
  /** Milliseconds since the epoch, server time. */
  ts: z.number(),
  /** The sender's idempotency key, when the sender gave one. */
  clientId: z.string().optional(),
  /** Set once the message has been edited. */
  edited: z.boolean().optional(),
  /** Set once the message has been deleted; `text` is then empty. */
  deleted: z.boolean().optional(),
  /** Set when a guest wrote it: guest names pass from person to person. */
  guest: z.boolean().optional(),
  /**
   * Set on a membership event written by the server (then `user` is "" and
   * `text` the event in words, for clients that show only text).
   */
  event: membershipEvent.optional(),
  /** Set on a message posted by an upload (`text` is then the file's name). */
  file: fileRef.optional(),
  /** Set on a reply: the id of the thread's first message (same room). */
  parent: z.number().int().optional(),
  /** Set on a reply also shown in the room's timeline. */
  alsoInRoom: z.boolean().optional(),
  /** Set on a thread's first message once it has replies. */
  thread: threadSummary.optional(),
});

/** A stored chat message as it travels to clients. */
export type ChatMessage = z.infer<typeof chatMessage>;

/**
 * One emoji's reactions on a message: how many people, the first few of
 * them by name (earliest first), and in answers to `reactions` whether the
 * asking person is one of them.
 */
export const reaction = z.object({
  emoji: z.string(),
  count: z.number().int().min(1),
  /** The first people who reacted (at most 10), earliest first. */
  users: z.array(z.string()),
  /** Set in answers to a `reactions` request: the asker reacted so. */
  mine: z.boolean().optional(),
});

/** One emoji's reactions on a message. */
export type Reaction = z.infer<typeof reaction>;

/** A message's reactions, in the order each emoji was first used. */
export const messageReactions = z.object({
  id: z.number().int(),
  reactions: z.array(reaction),
});

/** A message's reactions. */
export type MessageReactions = z.infer<typeof messageReactions>;

/** A pinned message, who pinned it and when. */
export const pin = z.object({
  message: chatMessage,
  by: z.string(),
  ts: z.number(),
});

/** A pinned message. */
export type Pin = z.infer<typeof pin>;

/** A room as listings show it. */
export const roomInfo = z.object({
  /** The room id used in frames and URLs. */
  id: z.string(),
  /** The name to show. */
  name: z.string(),
  /** Users online in the room now. */
  users_count: z.number().int().min(0),
});

/** A room as listings show it. */
export type RoomInfo = z.infer<typeof roomInfo>;

/** One of the user's own rooms, as `welcome` and `room` list it. */
export const myRoom = z.object({
  id: z.string(),
  /** The name to show; for a DM, the other person's name. */
  name: z.string(),
  kind: roomKind,
  /** The room's topic, when it has one. */
  topic: z.string().optional(),
  /** How many members it has. */
  members: z.number().int().min(0),
  /** How many of them are online. */
  online: z.number().int().min(0),
  /** The id of its newest message. */
  lastId: z.number().int().min(0),
  /** The newest message id this user has read. */
  lastRead: z.number().int().min(0),
  /** Messages after `lastRead`. */
  unread: z.number().int().min(0),
  /** Messages after `lastRead` that mention this user. */
  mentions: z.number().int().min(0),
  /**
   * A DM this user closed, at this message id: kept out of their list
   * until a newer message arrives (or they open it again).
   */
  closed: z.number().int().min(0).optional(),
});

/** One of the user's own rooms. */
export type MyRoom = z.infer<typeof myRoom>;

/** A public room as the directory (`GET /api/directory`) lists it. */
export const directoryRoom = z.object({
  id: z.string(),
  name: z.string(),
  topic: z.string().optional(),
  members: z.number().int().min(0),
  online: z.number().int().min(0),
});

/** A public room as the directory lists it. */
export type DirectoryRoom = z.infer<typeof directoryRoom>;

/** Identifies the client frame an `error` answers. */
export const frameRefSchema = z.object({
  /** The frame's `type`, when it had one. */
  type: z.string().optional(),
  /** The frame's `room`, when it had one. */
  room: z.string().optional(),
  /** The frame's `clientId`, when it had one. */
  clientId: z.string().optional(),
  /**
   * The frame's message `id` (`edit`, `delete`, `react`, `pin`, …), when it
   * had a valid one: which of several frames in flight failed.
   */
  id: z.number().int().optional(),
});

/** Identifies the client frame an `error` answers. */
export type FrameRef = z.infer<typeof frameRefSchema>;

/** Error codes carried by `error` frames; the connection stays open. */
export const ERROR_CODES = {
  bad_json: "The frame is not valid JSON",
  unknown_type: "The frame type is unknown",
  invalid_frame: "A field is missing or has the wrong type",
  text_too_long: "The text is longer than the limit",
  empty_text: "The text is empty",
  invalid_text: "The text holds control characters or broken UTF-16",
  no_such_room: "The room does not exist",
  not_joined: "Join the room first",
  not_member: "Only the room's members may do that",
  no_such_user: "There is no such account",
  room_exists: "A room with that id exists already",
  room_limit: "You have created as many rooms as allowed",
  rate_limited: "Too many messages; slow down",
  forbidden: "You may not do that",
  not_found: "No such message",
  unavailable: "The message could not be stored; retry with the same clientId",
  reaction_limit: "A message has as many different reactions as allowed",
  pin_limit: "The room has as many pinned messages as allowed",
} as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Every frame the server sends, discriminated by `type`. */
export const serverFrame = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("welcome"),
    protocol: z.number().int(),
    user: presenceUser,
    /** For guests: present it on reconnect to keep the same name. */
    token: z.string().optional(),
    serverTime: z.number(),
    /** The user's own rooms only; the others are in the directory. */
    rooms: z.array(myRoom),
    limits: z.object({
      maxTextBytes: z.number().int(),
      maxFrameBytes: z.number().int(),
      /**
       * How long a `typing` notice lasts unless renewed (`TYPING_TTL_MS`);
       * servers before it was sent meant 5000.
       */
      typingTtlMs: z.number().int().optional(),
    }),
  }),
  z.object({
    type: z.literal("joined"),
    room: z.string(),
    /** The first online members (at most 50); `members` pages the rest. */
    users: z.array(presenceUser),
    lastId: z.number().int(),
    /** The newest message id this user has read. */
    lastRead: z.number().int(),
    /** How many members the room has, and how many are online. */
    members: z.number().int(),
    online: z.number().int(),
  }),
  z.object({
    type: z.literal("gap"),
    room: z.string(),
    since: z.number().int(),
    oldestId: z.number().int(),
  }),
  z.object({
    type: z.literal("left"),
    room: z.string(),
    /** Set when a moderator removed this user from the room. */
    reason: z.enum(["kicked", "deleted", "removed"]).optional(),
  }),
  chatMessage.extend({ type: z.literal("message") }),
  z.object({
    type: z.literal("ack"),
    room: z.string(),
    clientId: z.string(),
    id: z.number().int(),
    ts: z.number(),
    duplicate: z.boolean().optional(),
  }),
  /**
   * Presence changes among a room's members, coalesced (a few frames a
   * second at most, to sockets showing the room). `changes` holds at most
   * 20 people; with `more` set, more changed than listed: a member list on
   * screen reloads its first page with `members`.
   */
  z.object({
    type: z.literal("presence"),
    room: z.string(),
    online: z.number().int(),
    changes: z.array(memberEntry),
    more: z.boolean().optional(),
  }),
  /** A page of members, answering `members`. */
  z.object({
    type: z.literal("members"),
    room: z.string(),
    users: z.array(memberEntry),
    /** Pass as `cursor` for the next page; absent on the last. */
    next: z.string().optional(),
    total: z.number().int(),
    online: z.number().int(),
  }),
  /** The user's read state of a room changed (any tab or device). */
  z.object({
    type: z.literal("read"),
    room: z.string(),
    lastRead: z.number().int(),
    unread: z.number().int(),
    mentions: z.number().int(),
    /** The room's newest id when counted (messages after it are news). */
    lastId: z.number().int().optional(),
  }),
  z.object({
    type: z.literal("typing"),
    room: z.string(),
    user: z.string(),
    typing: z.boolean(),
  }),
  /** The user became a member of a room (created, joined, invited, DM). */
  z.object({ type: z.literal("room"), room: myRoom }),
  z.object({ type: z.literal("room_deleted"), room: z.string() }),
  z.object({
    type: z.literal("edited"),
    room: z.string(),
    id: z.number().int(),
    text: z.string(),
  }),
  z.object({
    type: z.literal("deleted"),
    room: z.string(),
    id: z.number().int(),
    /** For a reply: the id of its thread's first message. */
    parent: z.number().int().optional(),
    /**
     * For a reply: its thread's summary as stored after the deletion
     * (`replies` 0 when none are left; absent if the first message is gone).
     */
    thread: threadSummary.optional(),
  }),
  /** A page of a thread's replies, answering `thread`. */
  z.object({
    type: z.literal("thread"),
    room: z.string(),
    /** The thread's first message. */
    id: z.number().int(),
    /** The first message as stored now (with its summary). */
    root: chatMessage,
    /** Replies, oldest first. */
    replies: z.array(chatMessage),
    /** Whether older replies exist before this page. */
    hasMore: z.boolean(),
  }),
  z.object({ type: z.literal("pong"), serverTime: z.number() }),
  /**
   * Reactions of messages of a room: every emoji of each listed message.
   * Live changes are coalesced (a few frames a second per room, each
   * naming the messages that changed); an answer to a `reactions` request
   * has `mine` set, and each reaction's `mine` is then authoritative.
   */
  z.object({
    type: z.literal("reactions"),
    room: z.string(),
    messages: z.array(messageReactions),
    mine: z.boolean().optional(),
  }),
  /** The user's own reaction was stored or taken off (to all its sockets). */
  z.object({
    type: z.literal("reacted"),
    room: z.string(),
    id: z.number().int(),
    emoji: z.string(),
    added: z.boolean(),
  }),
  /** A room's pinned messages, newest pin first (answers `pins`). */
  z.object({ type: z.literal("pins"), room: z.string(), pins: z.array(pin) }),
  /** A message was pinned in a room the socket is subscribed to. */
  z.object({ type: z.literal("pinned"), room: z.string(), pin }),
  /** A message was unpinned. */
  z.object({
    type: z.literal("unpinned"),
    room: z.string(),
    id: z.number().int(),
  }),
  /** A room's topic changed (absent: cleared). */
  z.object({
    type: z.literal("topic"),
    room: z.string(),
    topic: z.string().optional(),
    by: z.string(),
  }),
  z.object({
    type: z.literal("error"),
    code: z.enum(
      Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]],
    ),
    message: z.string(),
    frame: frameRefSchema.optional(),
  }),
]);

/** A frame from the server. */
export type ServerFrame = z.infer<typeof serverFrame>;

/** WebSocket close codes the server uses. */
export const CLOSE = {
  /** The server is shutting down; reconnect. */
  goingAway: 1001,
  /** A binary frame where text is expected. */
  unsupported: 1003,
  /** Name taken, origin refused, sustained abuse, removed by a moderator. */
  policy: 1008,
  /** A frame over the frame limit. */
  tooBig: 1009,
  /** An unexpected server error. */
  internal: 1011,
  /** The client could not keep up with its messages; reconnect. */
  tryAgain: 1013,
} as const;

/** Byte length of a string in UTF-8, without allocating for short strings. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** What {@link parseClientFrame} yields: a frame, or an error frame to send back. */
export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; error: Extract<ServerFrame, { type: "error" }> };

/**
 * Parses and validates one text frame from a client.
 *
 * @example
 * ```ts
 * const r = parseClientFrame('{"type":"join","room":"general"}');
 * if (r.ok) console.log(r.frame.type);
 * ```
 */
export function parseClientFrame(data: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return fail("bad_json", ERROR_CODES.bad_json);
  }
  const send = parseSend(raw);
  if (send) return { ok: true, frame: send };
  const ref = frameRef(raw);
  const known = clientFrame.options.some((o) =>
    o.shape.type.value === ref?.type
  );
  if (!known) {
    return fail(
      "unknown_type",
      `Unknown frame type: ${String(ref?.type ?? "(none)")}`,
      ref,
    );
  }
  const parsed = clientFrame.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(
      "invalid_frame",
      `Invalid field ${issue.path.join(".")}: ${issue.message}`,
      ref,
    );
  }
  return { ok: true, frame: parsed.data };
}

/** A `send` frame, as {@link clientFrame} yields it. */
export type SendFrame = Extract<ClientFrame, { type: "send" }>;

/**
 * `send`, the frame a busy server parses most, checked by hand by the rules
 * of its schema above: undefined unless `raw` is a valid `send`, which then
 * comes back as the schema would return it (unknown keys left out). In a
 * running server the schema's generic walk costs several times what it does
 * in a loop (zod's shared code sees every schema), and a send takes it once
 * per message. Anything this doesn't accept goes to the schema, which words
 * the error; `protocol_test.ts` checks both agree.
 */
export function parseSend(raw: unknown): SendFrame | undefined {
  if (typeof raw !== "object" || raw === null) return;
  const { type, room, text, clientId, parent, alsoInRoom } = raw as Record<
    string,
    unknown
  >;
  if (
    type !== "send" || typeof room !== "string" || !ROOM_ID.test(room) ||
    typeof text !== "string" || typeof clientId !== "string" ||
    clientId.length < 1 || clientId.length > MAX_CLIENT_ID ||
    CONTROL_OR_BROKEN.test(clientId)
  ) return;
  if (
    parent !== undefined &&
    !(typeof parent === "number" && Number.isSafeInteger(parent) && parent > 0)
  ) return;
  if (alsoInRoom !== undefined && typeof alsoInRoom !== "boolean") return;
  const frame: SendFrame = { type, room, text, clientId };
  if (parent !== undefined) frame.parent = parent;
  if (alsoInRoom !== undefined) frame.alsoInRoom = alsoInRoom;
  return frame;
}

function fail(code: ErrorCode, message: string, frame?: FrameRef): ParseResult {
  return {
    ok: false,
    error: { type: "error", code, message, ...(frame ? { frame } : {}) },
  };
}

/** Picks the identifying fields of a client frame, for error replies. */
export function frameRef(raw: unknown): FrameRef | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const ref: FrameRef = {};
  if (typeof r.type === "string") ref.type = r.type.slice(0, 32);
  if (typeof r.room === "string") ref.room = r.room.slice(0, 64);
  if (typeof r.clientId === "string") ref.clientId = r.clientId.slice(0, 64);
  const id = r.id;
  if (typeof id === "number" && Number.isSafeInteger(id) && id >= 0) {
    ref.id = id;
  }
  return ref;
}
