/**
 * One native-protocol connection (v2, which v1 clients also speak): reads
 * client frames, enforces the limits, and answers each bad frame with an
 * `error` frame while keeping the connection open. Frames over the size
 * limit and binary frames close it.
 *
 * @module
 */
import { type Chat, ChatError } from "@/lib/server/chat/chat.ts";
import type { Client } from "@/lib/server/realtime/hub.ts";
import { type Identity, NameError } from "@/lib/server/chat/identity.ts";
import {
  type ClientFrame,
  CLOSE,
  ERROR_CODES,
  frameRef,
  parseClientFrame,
  PROTOCOL_VERSION,
  type ServerFrame,
} from "@/lib/shared/protocol.ts";
import { closeReason } from "@/lib/shared/close_reason.ts";
import { TokenBucket } from "@/lib/server/http/token_bucket.ts";
import { StoreUnavailableError } from "@/lib/server/store/store.ts";
import {
  ABUSE,
  ABUSE_STRIKES,
  FrameGuard,
  MAX_EARLY_FRAMES,
  type Spend,
} from "./frame_guard.ts";
import { logger } from "@/lib/server/log.ts";
import { speaksFirst } from "@/lib/server/http/node_websocket.ts";

/**
 * Membership and view frames (join, leave, view, members, read) per second
 * per connection, and how many at once.
 */
const JOINS_PER_SECOND = 20;
const JOIN_BURST = 100;

/**
 * Ids of a `reactions` frame that count as one ask (asks for pins and
 * reactions have a budget of their own, as large as the message budget).
 */
const IDS_PER_ASK = 100;

const log = logger("session");

/** What an `unavailable` answer to anything but a send says. */
const STORE_UNAVAILABLE =
  "The store can't be reached right now; try again shortly";

/**
 * Serves the native protocol on an upgraded socket for `identity`, or for
 * the identity a claim still on its way resolves to (a claim that fails
 * closes the socket: 1008 for a name with no free variant, 1011 else).
 */

export function serveV1(
  chat: Chat,
  socket: WebSocket,
  identity: Identity | Promise<Identity>,
  /** The client's address, for per-address quotas. */
  address?: string,
  /** The login session it came with (an account's): its logout closes it. */
  session?: string,
): void {
  // The welcome (or a close) is always the first frame.
  speaksFirst(socket);
  const claimed = Promise.resolve(identity);
  // Awaited when the socket opens; a socket that never opens drops it.
  claimed.catch(() => {});
  let client: Client | undefined;
  const guard = new FrameGuard(chat.config);
  const joins = new TokenBucket(JOINS_PER_SECOND, JOIN_BURST);
  const asks = new TokenBucket(
    chat.config.ratePerSecond,
    chat.config.rateBurst,
  );
  // Membership changes run one after another; sends wait for them but not for each other.
  let membership: Promise<void> = Promise.resolve();

  const reply = (frame: ServerFrame) => client && chat.sendFrame(client, frame);
  const fail = (error: unknown, frame: ClientFrame) => {
    const ref = frameRef(frame);
    if (error instanceof ChatError) {
      chat.metrics.errors.inc();
      reply({
        type: "error",
        code: error.code,
        message: error.message,
        frame: ref,
      });
    } else {
      // An outage is logged once, by the store; anything else here.
      if (!(error instanceof StoreUnavailableError)) {
        log.error("handling {type} failed: {error}", {
          type: frame.type,
          error: String(error),
        });
      }
      reply({
        type: "error",
        code: "unavailable",
        // Only a send has a clientId to retry with.
        message: frame.type === "send"
          ? ERROR_CODES.unavailable
          : STORE_UNAVAILABLE,
        frame: ref,
      });
    }
  };

  // Frames that arrive before the welcome is ready wait for it, in order.
  let opened: () => void = () => {};
  const ready = new Promise<void>((r) => opened = r);

  socket.onopen = async () => {
    try {
      const identity = await claimed;
      // Closed while the name was claimed: the close released it.
      if (socket.readyState !== WebSocket.OPEN) return;
      const member = await chat.connectMember(socket, identity, session);
      client = member.client;
      chat.flow.opened(client, { endpoint: "/ws", address });
      reply({
        type: "welcome",
        protocol: PROTOCOL_VERSION,
        user: { name: identity.name, guest: identity.guest },
        ...(identity.token ? { token: identity.token } : {}),
        serverTime: Date.now(),
        rooms: member.rooms,
        limits: {
          maxTextBytes: chat.config.maxTextBytes,
          maxFrameBytes: chat.config.maxFrameBytes,
          typingTtlMs: chat.config.typingTtlMs,
        },
      });
      if (socket.readyState !== WebSocket.OPEN) chat.disconnect(client);
    } catch (e) {
      if (e instanceof NameError) {
        // The reason quotes the name: cut to what a close frame holds.
        try {
          socket.close(CLOSE.policy, closeReason(e.message));
        } catch { /* already closing */ }
        return;
      }
      // An outage is logged once, by the store; anything else here.
      if (!(e instanceof StoreUnavailableError)) {
        log.error("welcome failed: {error}", { error: String(e) });
      }
      const reason = e instanceof StoreUnavailableError
        ? "The store is unavailable; reconnect later"
        : "Could not start";
      if (client) chat.drop(client, CLOSE.internal, reason);
      else socket.close(CLOSE.internal, reason);
    } finally {
      opened();
    }
  };

  const receive = (event: MessageEvent) => {
    if (!client || client.closed) return;
    chat.activity(client);
    const admitted = guard.admit(event.data);
    if ("refuse" in admitted) {
      const { code, reason } = admitted.refuse;
      return chat.drop(client, code, reason);
    }
    const parsed = parseClientFrame(admitted.text);
    const frame = parsed.ok ? parsed.frame : undefined;
    // Joining, viewing and reading have a budget of their own: a client
    // joining its rooms at start must not eat its message budget or count
    // as abuse. Asking for pins and reactions has another, which does (a
    // page asks when a room opens, not per message). Every other frame
    // spends from the message budget, pings and frames that don't parse
    // included: answering them costs as much.
    const isMembership = frame?.type === "join" || frame?.type === "leave" ||
      frame?.type === "view" || frame?.type === "members" ||
      frame?.type === "read";
    const spent = isMembership
      ? (joins.take() ? "ok" : "limited")
      : frame?.type === "reactions" || frame?.type === "pins"
      ? spendAsk(frame)
      : guard.spend();
    if (spent !== "ok") {
      if (spent === "abusive") {
        return chat.drop(client, ABUSE.code, ABUSE.reason);
      }
      chat.metrics.errors.inc();
      return reply({
        type: "error",
        code: "rate_limited",
        message: ERROR_CODES.rate_limited,
        ...(frame ? { frame: frameRef(frame) } : {}),
      });
    }
    if (!parsed.ok) {
      chat.metrics.errors.inc();
      return reply(parsed.error);
    }
    if (parsed.frame.type === "ping") {
      return reply({ type: "pong", serverTime: Date.now() });
    }
    handle(client, parsed.frame);
  };

  /** Spends an ask's cost from its budget; sustained refusals are abuse. */
  const spendAsk = (frame: ClientFrame): Spend => {
    const cost = frame.type === "reactions"
      ? Math.ceil(frame.ids.length / IDS_PER_ASK)
      : 1;
    if (asks.take(cost)) return "ok";
    return asks.strikes >= ABUSE_STRIKES ? "abusive" : "limited";
  };

  // Frames may come before the welcome (a client joining at once), but a
  // slow store must not let one pile up frames without end meanwhile.
  let early = 0;
  socket.onmessage = (event) => {
    if (client) return receive(event);
    if (++early > MAX_EARLY_FRAMES) {
      if (early === MAX_EARLY_FRAMES + 1) {
        socket.close(CLOSE.policy, "Too many frames before the welcome");
      }
      return;
    }
    ready.then(() => receive(event));
  };

  /** Runs a membership change after the ones before it. */
  const inTurn = (frame: ClientFrame, act: () => Promise<unknown>) => {
    membership = membership.then(act).then(() => {}, (e) => fail(e, frame));
  };

  const handle = (c: Client, frame: ClientFrame) => {
    switch (frame.type) {
      case "join":
        return inTurn(frame, () => chat.join(c, frame.room, frame.since));
      case "leave":
        return inTurn(frame, () => chat.leave(c, frame.room));
      case "view":
        return inTurn(frame, () => chat.view(c, frame.room));
      case "members":
        membership.then(() =>
          chat.members(c, frame.room, frame.cursor, frame.limit)
        ).then(reply).catch((e) => fail(e, frame));
        return;
      case "read":
        membership.then(() => chat.read(c, frame.room, frame.id))
          .catch((e) => fail(e, frame));
        return;
      case "send":
        membership.then(() =>
          chat.send(
            c,
            frame.room,
            frame.text,
            frame.clientId,
            { parent: frame.parent, alsoInRoom: frame.alsoInRoom },
          )
        )
          .then(({ message, duplicate }) =>
            reply({
              type: "ack",
              room: message.room,
              clientId: frame.clientId,
              id: message.id,
              ts: message.ts,
              ...(duplicate ? { duplicate } : {}),
            })
          )
          .catch((e) => fail(e, frame));
        return;
      case "thread":
        membership.then(() =>
          chat.thread(c, frame.room, frame.id, frame.before, frame.limit)
        ).then(reply).catch((e) => fail(e, frame));
        return;
      case "typing":
        membership.then(() => chat.typing(c, frame.room, frame.typing)).catch((
          e,
        ) => fail(e, frame));
        return;
      case "create":
        return inTurn(
          frame,
          () =>
            chat.createRoom(c.user, frame.room, {
              address,
              private: frame.private,
              client: c,
            }),
        );
      case "invite":
        return inTurn(frame, async () => {
          await chat.shown(c, frame.room);
          await chat.invite(c, frame.room, frame.user);
        });
      case "remove":
        return inTurn(frame, async () => {
          await chat.shown(c, frame.room);
          await chat.remove(c, frame.room, frame.user);
        });
      case "dm":
        return inTurn(frame, () => chat.dm(c, frame.user));
      case "close_dm":
        return inTurn(frame, () => chat.closeDm(c, frame.room));
      // The room's sockets learn an edit or a delete; a socket that is
      // not in it (it left, or never joined) is answered all the same.
      case "edit":
        chat.edit(c, frame.room, frame.id, frame.text).then((text) => {
          if (!c.rooms.has(frame.room)) {
            reply({ type: "edited", room: frame.room, id: frame.id, text });
          }
        }).catch((e) => fail(e, frame));
        return;
      case "delete":
        chat.delete(c, frame.room, frame.id).then(() => {
          if (!c.rooms.has(frame.room)) {
            reply({ type: "deleted", room: frame.room, id: frame.id });
          }
        }).catch((e) => fail(e, frame));
        return;
      case "kick":
        chat.shown(c, frame.room)
          .then(() => chat.kick(c.user, frame.room, frame.user))
          .catch((e) => fail(e, frame));
        return;
      case "delete_room":
        return inTurn(frame, async () => {
          await chat.shown(c, frame.room);
          await chat.deleteRoom(c.user, frame.room);
        });
      case "react":
      case "unreact":
        membership.then(() =>
          chat.react(
            c,
            frame.room,
            frame.id,
            frame.emoji,
            frame.type === "react",
          )
        ).catch((e) => fail(e, frame));
        return;
      case "reactions":
        membership.then(() => chat.reactions(c, frame.room, frame.ids))
          .then(reply).catch((e) => fail(e, frame));
        return;
      case "pin":
      case "unpin":
        membership.then(() =>
          frame.type === "pin"
            ? chat.pin(c, frame.room, frame.id)
            : chat.unpin(c, frame.room, frame.id)
        ).catch((e) => fail(e, frame));
        return;
      case "pins":
        membership.then(() => chat.pins(c, frame.room)).then(reply)
          .catch((e) => fail(e, frame));
        return;
      case "topic":
        membership.then(() => chat.setTopic(c, frame.room, frame.topic))
          .catch((e) => fail(e, frame));
        return;
    }
  };

  socket.onclose = (e) => {
    if (client) chat.flow.closed(client, e.code, e.reason);
    if (client) chat.disconnect(client);
    // Once claimed: a claim still on its way is released when it lands.
    claimed.then((identity) => chat.identities.release(identity), () => {});
  };
  socket.onerror = (e) =>
    log.debug("socket error for {name}: {error}", {
      name: client?.user.name ?? "(connecting)",
      error: e instanceof ErrorEvent ? e.message : e.type,
    });
}
