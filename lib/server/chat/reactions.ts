/**
 * Reactions: a member of a room adds or takes off an emoji on a message
 * (stored first, at most `MAX_REACTIONS` kinds per message); every socket of
 * that member learns its own change (`reacted`), and every instance is told
 * which message changed so the hub sends the room coalesced `reactions`
 * frames (see `lib/server/realtime/reaction_frames.ts`). A client asks for
 * the reactions of the messages it shows with a `reactions` request.
 *
 * @module
 */
import type { Bus } from "@/lib/server/bus/bus.ts";
import type { Client } from "@/lib/server/realtime/hub.ts";
import type { ServerFrame } from "@/lib/shared/protocol.ts";
import { MAX_REACTIONS } from "@/lib/shared/reactions.ts";
import {
  type ReactionOutcome,
  type Store,
  StoreUnavailableError,
} from "@/lib/server/store/store.ts";
import { logger } from "@/lib/server/log.ts";
import { ChatError } from "./chat_error.ts";

/** What {@link Reactions} needs from the chat around it. */
export interface ReactionsOptions {
  store: Store;
  bus: Bus;
  /** Throws unless the client may write in the room (`not_member`, `forbidden`). */
  maySend: (client: Client, room: string) => Promise<void>;
  /** Throws `forbidden` unless the client may read the room. */
  mayRead: (client: Client, room: string) => Promise<void>;
  /** Sends a frame to every socket of a member, on every instance. */
  toMember: (key: string, frame: ServerFrame) => Promise<void>;
}

/** Adding, taking off and listing reactions. */
export class Reactions {
  readonly #o: ReactionsOptions;
  readonly #log = logger("chat");

  /** Creates the rules over the store and bus. */
  constructor(options: ReactionsOptions) {
    this.#o = options;
  }

  /**
   * Adds (`add`) or takes off the client's `emoji` on message `id` of
   * `room`, once durable. Members only: a room it can't read is
   * `forbidden`, a previewed one `not_member`, one not joined `not_joined`.
   */
  async react(
    client: Client,
    room: string,
    id: number,
    emoji: string,
    add: boolean,
  ): Promise<void> {
    await this.#o.maySend(client, room);
    const key = client.author;
    if (!client.rooms.has(room) || key === undefined) {
      throw new ChatError("not_joined", `Join ${room} first`);
    }
    let outcome: ReactionOutcome;
    try {
      outcome = await this.#o.store.reactions.change({
        room,
        id,
        emoji,
        key,
        name: client.user.name,
        add,
      });
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) {
        this.#log.error("storing a reaction in {room} failed: {error}", {
          room,
          error: String(error),
        });
      }
      throw new ChatError("unavailable", "The reaction could not be stored");
    }
    if (outcome === "not_found") {
      throw new ChatError("not_found", `No message ${id} in ${room}`);
    }
    if (outcome === "limit") {
      throw new ChatError(
        "reaction_limit",
        `Message ${id} has ${MAX_REACTIONS} different reactions already: add one of them instead`,
      );
    }
    // Every tab of the person learns it, even when nothing changed.
    await this.#o.toMember(key, {
      type: "reacted",
      room,
      id,
      emoji,
      added: add,
    });
    if (outcome !== "unchanged") {
      await this.#o.bus.publish({ kind: "reaction", room, id });
    }
  }

  /**
   * The reactions of messages `ids` of `room` as the client sees them
   * (`mine` set), for a room it may read.
   */
  async list(
    client: Client,
    room: string,
    ids: number[],
  ): Promise<ServerFrame> {
    await this.#o.mayRead(client, room);
    const found = await this.#o.store.reactions.summaries(
      room,
      ids,
      client.author ?? "",
    );
    return {
      type: "reactions",
      room,
      mine: true,
      messages: [...new Set(ids)].map((id) => ({
        id,
        reactions: found.get(id) ?? [],
      })),
    };
  }
}
