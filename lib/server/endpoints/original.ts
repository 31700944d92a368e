/**
 * The original project's WebSocket endpoints, with their exact wire formats.
 *
 * - `/ws/{room_id}/{username}`: plain text in; `{"sender","message","room_id"}`
 *   JSON out, and "시스템" notices on join and leave.
 * - `/ws/{client_id}`: plain text in; `"{client_id}: {text}"` out, for every
 *   client of that endpoint. Its messages live in the first default room.
 *
 * Messages from these clients are stored and reach native clients too.
 *
 * @module
 */
import { type Chat, ChatError } from "@/lib/server/chat/chat.ts";
import type { Client } from "@/lib/server/realtime/hub.ts";
import { noticeData, type WireFormat } from "@/lib/server/realtime/wire.ts";
import { NameError } from "@/lib/server/chat/identity.ts";
import { CLOSE } from "@/lib/shared/protocol.ts";
import { TokenBucket } from "@/lib/server/http/token_bucket.ts";
import { logger } from "@/lib/server/log.ts";

const log = logger("legacy");

/** Consecutive dropped messages after which a connection is closed. */
const ABUSE_STRIKES = 50;

/**
 * Serves an original-protocol client named `name` in `room` on an upgraded
 * socket. The name is claimed exactly; a taken name closes with 1008.
 */
export function serveLegacy(
  chat: Chat,
  socket: WebSocket,
  format: Exclude<WireFormat, "v1">,
  name: string,
  room: string,
  /** The client's address, for the log. */
  address?: string,
): void {
  let client: Client | undefined;
  let claimed = false;
  // Frames that arrive while the name is claimed and the room joined wait for it.
  let opened: (c: Client | undefined) => void = () => {};
  const ready = new Promise<Client | undefined>((r) => opened = r);
  const bucket = new TokenBucket(
    chat.config.ratePerSecond,
    chat.config.rateBurst,
  );
  const tell = (c: Client, text: string) =>
    c.socket.send(noticeData(format, text, room));

  // The socket may close while the claim or the join is awaited.
  let gone = false;
  const abandon = () => {
    if (client) chat.hub.disconnect(client);
    if (claimed) chat.identities.release({ name, guest: true });
    claimed = false;
    opened(undefined);
  };

  socket.onopen = async () => {
    try {
      await chat.identities.claimExact(name);
      claimed = true;
    } catch (error) {
      const reason = error instanceof NameError
        ? error.message
        : "Name refused";
      socket.close(CLOSE.policy, reason.slice(0, 120));
      opened(undefined);
      return;
    }
    if (gone) return abandon();
    client = chat.hub.connect(socket, { name, guest: true }, format);
    chat.hub.flow.opened(client, {
      endpoint: format === "room"
        ? "/ws/{room_id}/{username}"
        : "/ws/{client_id}",
      address,
      room,
    });
    try {
      await chat.join(client, room);
      if (gone) return abandon();
      opened(client);
    } catch (error) {
      log.error("joining {room} failed: {error}", {
        room,
        error: String(error),
      });
      chat.hub.drop(client, CLOSE.internal, "Could not join the room");
      opened(undefined);
    }
  };

  socket.onmessage = (event) => {
    ready.then((c) => {
      if (c && !c.closed) receive(c, event);
    });
  };

  const receive = (c: Client, event: MessageEvent) => {
    if (typeof event.data !== "string") {
      return chat.hub.drop(
        c,
        CLOSE.unsupported,
        "Binary frames are not supported",
      );
    }
    if (
      new TextEncoder().encode(event.data).length > chat.config.maxFrameBytes
    ) {
      return chat.hub.drop(
        c,
        CLOSE.tooBig,
        `Frame over ${chat.config.maxFrameBytes} bytes`,
      );
    }
    if (!bucket.take()) {
      if (bucket.strikes >= ABUSE_STRIKES) {
        chat.hub.drop(c, CLOSE.policy, "Rate limit exceeded repeatedly");
      }
      return;
    }
    chat.send(c, room, event.data).catch((error) => {
      if (error instanceof ChatError) tell(c, `Not sent: ${error.message}`);
      else log.error("send failed: {error}", { error: String(error) });
    });
  };

  socket.onclose = (e) => {
    gone = true;
    if (client) chat.hub.flow.closed(client, e.code, e.reason);
    if (client) chat.hub.disconnect(client);
    if (claimed) chat.identities.release({ name, guest: true });
    claimed = false;
  };
  socket.onerror = (e) =>
    log.debug("socket error for {name}: {error}", {
      name,
      error: e instanceof ErrorEvent ? e.message : e.type,
    });
}
