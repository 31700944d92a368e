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
import { CLOSE, ERROR_CODES } from "@/lib/shared/protocol.ts";
import { closeReason } from "@/lib/shared/close_reason.ts";
import { ABUSE, FrameGuard, MAX_EARLY_FRAMES } from "./frame_guard.ts";
import { logger } from "@/lib/server/log.ts";
import { StoreUnavailableError } from "@/lib/server/store/store.ts";

const log = logger("original");

/** Why a message was not sent when it could not be stored. */
const NOT_STORED = "The message could not be stored; send it again";

/** The close reason while the store can't be reached. */
const STORE_AWAY = "The store is unavailable; reconnect later";

/**
 * Serves an original-protocol client named `name` in `room` on an upgraded
 * socket. The name is claimed exactly; a taken name closes with 1008.
 */

export function serveOriginal(
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
  const guard = new FrameGuard(chat.config);
  // Through the hub, like every frame: a client that sends but never
  // reads is dropped as slow rather than buffered without end.
  const tell = (c: Client, text: string) =>
    chat.sendData(c, noticeData(format, text, room));

  // The socket may close while the claim or the join is awaited.
  let gone = false;
  const abandon = () => {
    if (client) chat.disconnect(client);
    if (claimed) chat.identities.release({ name, guest: true });
    claimed = false;
    opened(undefined);
  };

  const start = async () => {
    try {
      await chat.identities.claimExact(name);
      claimed = true;
    } catch (error) {
      // A name refused is the client's doing (1008); the store being away
      // is not (1011, logged once by the store).
      const [code, reason] = error instanceof NameError
        ? [CLOSE.policy, error.message]
        : error instanceof StoreUnavailableError
        ? [CLOSE.internal, STORE_AWAY]
        : [CLOSE.policy, "Name refused"];
      // The reason quotes the name: cut to what a close frame holds.
      try {
        socket.close(code, closeReason(reason));
      } catch { /* already closing */ }
      opened(undefined);
      return;
    }
    if (gone) return abandon();
    client = chat.connect(socket, { name, guest: true }, format);
    chat.flow.opened(client, {
      endpoint: format === "original_room"
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
      if (error instanceof ChatError) {
        // Refused (a moderator's ban, a private room): the client's doing.
        chat.drop(client, CLOSE.policy, error.message);
      } else if (error instanceof StoreUnavailableError) {
        // Logged once per outage, by the store.
        chat.drop(client, CLOSE.internal, STORE_AWAY);
      } else {
        log.error("joining {room} failed: {error}", {
          room,
          error: String(error),
        });
        chat.drop(client, CLOSE.internal, "Could not join the room");
      }
      opened(undefined);
    }
  };
  socket.onopen = () => {
    // Nothing thrown on the way may go unhandled: it would end the process.
    start().catch((error) => {
      log.error("opening the original endpoint failed: {error}", {
        error: String(error),
      });
      try {
        socket.close(CLOSE.internal, "Could not start");
      } catch { /* already closing */ }
      abandon();
    });
  };

  // Messages may come before the room is joined, but a slow store must not
  // let a client pile up frames without end meanwhile.
  let early = 0;
  let joined = false;
  ready.then(() => joined = true);
  socket.onmessage = (event) => {
    if (!joined && ++early > MAX_EARLY_FRAMES) {
      if (early === MAX_EARLY_FRAMES + 1) {
        socket.close(CLOSE.policy, "Too many frames before joining");
      }
      return;
    }
    ready.then((c) => {
      if (c && !c.closed) receive(c, event);
    });
  };

  const receive = (c: Client, event: MessageEvent) => {
    const admitted = guard.admit(event.data);
    if ("refuse" in admitted) {
      const { code, reason } = admitted.refuse;
      return chat.drop(c, code, reason);
    }
    // This wire format has no error frames: a refusal is a notice.
    const spent = guard.spend();
    if (spent === "abusive") return chat.drop(c, ABUSE.code, ABUSE.reason);
    if (spent === "limited") {
      return tell(c, `Not sent: ${ERROR_CODES.rate_limited}`);
    }
    chat.send(c, room, admitted.text).catch((error) => {
      if (error instanceof ChatError) {
        // Without a clientId to resend, "unavailable" says it its own way.
        const why = error.code === "unavailable" ? NOT_STORED : error.message;
        return tell(c, `Not sent: ${why}`);
      }
      log.error("send in {room} failed: {error}", {
        room,
        error: String(error),
      });
      tell(c, `Not sent: ${NOT_STORED}`);
    });
  };

  socket.onclose = (e) => {
    gone = true;
    if (client) chat.flow.closed(client, e.code, e.reason);
    if (client) chat.disconnect(client);
    if (claimed) chat.identities.release({ name, guest: true });
    claimed = false;
  };
  socket.onerror = (e) =>
    log.debug("socket error for {name}: {error}", {
      name,
      error: e instanceof ErrorEvent ? e.message : e.type,
    });
}
