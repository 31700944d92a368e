/**
 * The rules of messages: only a member sends, text is cleaned and within
 * `MAX_TEXT_BYTES`, a message is stored before it is published, only its
 * author edits it, and its author or a moderator deletes it.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";
import type { Bus } from "@/lib/server/bus/bus.ts";
import type { Client } from "@/lib/server/realtime/hub.ts";
import { logger } from "@/lib/server/log.ts";
import type { Metrics } from "@/lib/server/metrics.ts";
import type { FlowLog } from "@/lib/server/flow_log.ts";
import {
  type ChatMessage,
  type FileRef,
  type MembershipEvent,
  utf8Length,
} from "@/lib/shared/protocol.ts";
import { cleanText } from "@/lib/shared/text.ts";
import {
  type Appended,
  type Draft,
  RoomGoneError,
  type Store,
  StoreUnavailableError,
} from "@/lib/server/store/store.ts";
import { ChatError } from "./chat_error.ts";
import type { Moderation } from "./moderation.ts";
import type { ReplyTo } from "./threads.ts";

/** Sending, editing and deleting messages. */
export class Messages {
  readonly #log = logger("chat");

  /** Creates the message rules over `store` and `bus`. */
  constructor(
    readonly config: Config,
    readonly store: Store,
    readonly bus: Bus,
    readonly moderation: Moderation,
    readonly metrics: Metrics,
    readonly flow: FlowLog,
  ) {}

  /**
   * Stores a message and publishes it. Resolves once it is durable, with
   * the stored message (the original one when `clientId` was seen before).
   */
  async send(
    client: Client,
    room: string,
    text: string,
    clientId?: string,
    reply?: ReplyTo,
    wasIn = false,
  ): Promise<{ message: ChatMessage; duplicate: boolean }> {
    // `wasIn`: it was in the room when the send arrived. A socket closed
    // since (for a flood after this message, say) has left its rooms, but
    // what it sent while in them is still stored.
    if (!wasIn && !client.rooms.has(room)) {
      throw new ChatError("not_joined", `Join ${room} first`);
    }
    text = this.cleanText(text);
    const started = performance.now();
    const result = await this.#append({
      room,
      user: client.user.name,
      text,
      clientId,
      guest: client.user.guest,
      // Account names are unique, so accounts are known by name.
      author: client.user.guest ? client.author : undefined,
      ...(reply ? { parent: reply.parent } : {}),
      ...(reply?.alsoInRoom ? { alsoInRoom: true } : {}),
      // One's own message is read, in the same commit.
      reader: client.author,
      requireRoom: true,
    });
    this.metrics.ackLatency.observe((performance.now() - started) / 1000);
    if (!result.duplicate) {
      this.flow.message(client, room, result.message.id, text);
    }
    this.#publish(result, client.author);
    return result;
  }

  /**
   * Stores a message posted by the server for someone (an upload's file),
   * through the same path as a send: durable first, then published; a
   * repeat of its `clientId` resolves to the original.
   */
  async post(draft: Draft): Promise<Appended> {
    const result = await this.#append({ ...draft, requireRoom: true });
    this.#publish(result, draft.reader);
    return result;
  }

  /**
   * Stores `draft`; a room deleted meanwhile answers `no_such_room`, any
   * other failure `unavailable`.
   */
  async #append(draft: Draft): Promise<Appended> {
    const result = await this.#inRoom(draft).catch((error) => {
      if (error instanceof ChatError) throw error;
      // An outage is logged once, by the store; anything else here.
      if (!(error instanceof StoreUnavailableError)) {
        this.#log.error("storing a message in {room} failed: {error}", {
          room: draft.room,
          error: String(error),
        });
      }
      throw new ChatError("unavailable");
    });
    this.metrics.messagesIn.inc();
    if (!result.duplicate) this.metrics.messagesOut.inc();
    return result;
  }

  /** Stores `draft`; a room deleted meanwhile answers `no_such_room`. */
  #inRoom(draft: Draft): Promise<Appended> {
    return this.store.append(draft).catch((error) => {
      if (error instanceof RoomGoneError) {
        throw new ChatError("no_such_room", `No such room: ${draft.room}`);
      }
      throw error;
    });
  }

  /**
   * Publishes a stored message, with its `reader` (whose other sockets get
   * a `read` frame). A resend is published again: its first commit may have
   * been answered only after its deadline, so nobody published it. A hub
   * drops a message it has delivered, so this costs a repeat nothing; but a
   * resend names no reader, as its `read` frame would take the reader's
   * sockets back to it past what came since (the store's mark moved with
   * the first commit).
   */
  #publish(result: Appended, reader: string | undefined): void {
    const read = reader !== undefined && !result.duplicate;
    this.bus.publish({
      kind: "message",
      message: result.message,
      ...(read ? { reader } : {}),
    }, { listeners: result.listeners }).catch((error) =>
      // Stored already: the other instances find it when they next fill a gap.
      this.#log.warn("publishing {room}#{id} failed: {error}", {
        room: result.message.room,
        id: result.message.id,
        error: String(error),
      })
    );
  }

  /**
   * Stores a membership event (`user` "", `text` in words) as a message of
   * `room`, through the same path as any message: its id takes the next
   * place in the room's history, and it replays like the others.
   */
  async announce(
    room: string,
    event: MembershipEvent,
    text: string,
  ): Promise<void> {
    const { message } = await this.#inRoom({
      room,
      user: "",
      text,
      event,
      requireRoom: true,
    });
    this.metrics.messagesOut.inc();
    await this.bus.publish({ kind: "message", message });
  }

  /**
   * The text as stored (see `lib/shared/text.ts`: NFC, no controls but
   * newline and tab, no lone surrogates, not invisible-only), or throws.
   */
  cleanText(raw: string): string {
    const clean = cleanText(raw);
    if (!clean.ok) {
      throw new ChatError(
        clean.problem === "empty" ? "empty_text" : "invalid_text",
        clean.message,
      );
    }
    const text = clean.text;
    const bytes = utf8Length(text);
    if (bytes > this.config.maxTextBytes) {
      throw new ChatError(
        "text_too_long",
        `Text too long: ${bytes} bytes, the limit is ${this.config.maxTextBytes}`,
      );
    }
    return text;
  }

  /** Edits one's own message; resolves with its text as stored. */
  async edit(
    client: Client,
    room: string,
    id: number,
    text: string,
  ): Promise<string> {
    text = this.cleanText(text);
    const m = await this.#existing(room, id);
    if (!(await this.moderation.wrote(client, m))) {
      throw new ChatError("forbidden", "Only the author may edit a message");
    }
    if (!(await this.store.update(room, id, { text, edited: true }))) {
      throw notFound(room, id);
    }
    await this.bus.publish({ kind: "edited", room, id, text });
    return text;
  }

  /** Deletes a message: one's own, or any as the room's moderator. */
  async delete(client: Client, room: string, id: number): Promise<void> {
    const m = await this.#existing(room, id);
    if (
      !(await this.moderation.wrote(client, m)) &&
      !(await this.moderation.canModerate(client.user, room))
    ) {
      throw new ChatError(
        "forbidden",
        "Only the author or a moderator may delete a message",
      );
    }
    const gone = await this.store.update(room, id, { text: "", deleted: true });
    if (!gone) throw notFound(room, id);
    // A reply's thread counts one fewer: its summary as stored after the
    // deletion goes with it (read after the commit, so it is never older).
    const parent = gone.parent;
    const thread = parent === undefined
      ? undefined
      : (await this.store.get(room, parent))?.thread;
    await this.bus.publish(
      parent === undefined
        ? { kind: "deleted", room, id }
        : { kind: "deleted", room, id, parent, ...(thread ? { thread } : {}) },
    );
    if (m.file) await this.#removeFile(room, m.file);
  }

  /** Removes a deleted message's file and thumbnail, freeing their quota. */
  async #removeFile(room: string, file: FileRef): Promise<void> {
    const ids = file.thumbnail ? [file.id, file.thumbnail] : [file.id];
    for (const id of ids) {
      await this.store.files.delete(id).catch((error) =>
        // The message is deleted either way; the bytes stay until its room goes.
        this.#log.warn("removing file {id} of {room} failed: {error}", {
          id,
          room,
          error: String(error),
        })
      );
    }
  }

  /** A stored message that is not deleted, or `not_found`. */
  async #existing(room: string, id: number): Promise<ChatMessage> {
    const m = await this.store.get(room, id);
    if (!m || m.deleted) throw notFound(room, id);
    return m;
  }
}

function notFound(room: string, id: number): ChatError {
  return new ChatError("not_found", `No message ${id} in ${room}`);
}
