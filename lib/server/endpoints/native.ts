/**
 * One native-protocol (v1) connection: reads client frames, enforces the
 * limits, and answers each bad frame with an `error` frame while keeping the
 * connection open. Frames over the size limit and binary frames close it.
 *
 * @module
 */
import { type Chat, ChatError } from "@/lib/server/chat/chat.ts";
import type { Client } from "@/lib/server/realtime/hub.ts";
import { authorKey, type Identity } from "@/lib/server/chat/identity.ts";
import {
  type ClientFrame,
  ERROR_CODES,
  frameRef,
  parseClientFrame,
  PROTOCOL_VERSION,
  type ServerFrame,
} from "@/lib/shared/protocol.ts";
import { TokenBucket } from "@/lib/server/http/token_bucket.ts";
import { ABUSE, FrameGuard } from "./frame_guard.ts";
import { logger } from "@/lib/server/log.ts";

/** Joins and leaves per second per connection, and how many at once. */
const JOINS_PER_SECOND = 20;
const JOIN_BURST = 100;

const log = logger("session");

/** Serves the v1 protocol on an upgraded socket for `identity`. */
export function serveV1(
  chat: Chat,
  socket: WebSocket,
  identity: Identity,
  /** The client's address, for per-address quotas. */
  address?: string,
): void {
  let client: Client | undefined;
  const guard = new FrameGuard(chat.config);
  const joins = new TokenBucket(JOINS_PER_SECOND, JOIN_BURST);
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
      log.error("handling {type} failed: {error}", {
        type: frame.type,
        error: String(error),
      });
      reply({
        type: "error",
        code: "unavailable",
        message: ERROR_CODES.unavailable,
        frame: ref,
      });
    }
  };

  socket.onopen = () => {
    client = chat.connect(
      socket,
      { name: identity.name, guest: identity.guest },
      "v1",
      authorKey(identity),
    );
    chat.flow.opened(client, { endpoint: "/ws", address });
    chat.rooms().then((rooms) =>
      reply({
        type: "welcome",
        protocol: PROTOCOL_VERSION,
        user: { name: identity.name, guest: identity.guest },
        ...(identity.token ? { token: identity.token } : {}),
        serverTime: Date.now(),
        rooms,
        limits: {
          maxTextBytes: chat.config.maxTextBytes,
          maxFrameBytes: chat.config.maxFrameBytes,
        },
      })
    ).catch((e) => log.error("welcome failed: {error}", { error: String(e) }));
  };

  socket.onmessage = (event) => {
    if (!client || client.closed) return;
    const admitted = guard.admit(event.data);
    if ("refuse" in admitted) {
      const { code, reason } = admitted.refuse;
      return chat.drop(client, code, reason);
    }
    const parsed = parseClientFrame(admitted.text);
    if (!parsed.ok) {
      chat.metrics.errors.inc();
      return reply(parsed.error);
    }
    const frame = parsed.frame;
    if (frame.type === "ping") {
      return reply({ type: "pong", serverTime: Date.now() });
    }
    // Joining and leaving have a budget of their own: a client joining its
    // rooms at start must not eat its message budget or count as abuse.
    const isMembership = frame.type === "join" || frame.type === "leave";
    const spent = isMembership
      ? (joins.take() ? "ok" : "limited")
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
        frame: frameRef(frame),
      });
    }
    handle(client, frame);
  };

  const handle = (c: Client, frame: ClientFrame) => {
    switch (frame.type) {
      case "join":
        membership = membership.then(() =>
          chat.join(c, frame.room, frame.since)
        )
          .catch((e) => fail(e, frame));
        return;
      case "leave":
        membership = membership.then(() => {
          chat.leave(c, frame.room);
          reply({ type: "left", room: frame.room });
        });
        return;
      case "send":
        membership.then(() =>
          chat.send(c, frame.room, frame.text, frame.clientId)
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
      case "typing":
        membership.then(() => chat.typing(c, frame.room, frame.typing)).catch((
          e,
        ) => fail(e, frame));
        return;
      case "create":
        membership = membership.then(async () => {
          await chat.createRoom(c.user, frame.room, address);
        }).catch((e) => fail(e, frame));
        return;
      case "edit":
        chat.edit(c, frame.room, frame.id, frame.text).catch((e) =>
          fail(e, frame)
        );
        return;
      case "delete":
        chat.delete(c, frame.room, frame.id).catch((e) => fail(e, frame));
        return;
      case "kick":
        chat.kick(c.user, frame.room, frame.user).catch((e) => fail(e, frame));
        return;
      case "delete_room":
        membership = membership.then(() => chat.deleteRoom(c.user, frame.room))
          .catch((e) => fail(e, frame));
        return;
    }
  };

  socket.onclose = (e) => {
    if (client) chat.flow.closed(client, e.code, e.reason);
    if (client) chat.disconnect(client);
    chat.identities.release(identity);
  };
  socket.onerror = (e) =>
    log.debug("socket error for {name}: {error}", {
      name: identity.name,
      error: e instanceof ErrorEvent ? e.message : e.type,
    });
}
