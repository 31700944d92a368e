/**
 * The bus between instances: events published on one instance reach the hub
 * of every instance, this one included. {@link LocalBus} serves a single
 * instance; `redis.ts`, `kv.ts` and `postgres.ts` many. Presence is not kept
 * by the buses: each hub replicates the online map with the `people` and
 * `instance` events (see `lib/server/realtime/presence.ts`).
 *
 * @module
 */
import { z } from "zod";
import type { Logger } from "@/lib/server/log.ts";
import {
  chatMessage,
  presenceStatus,
  presenceUser,
  serverFrame,
  threadSummary,
} from "@/lib/shared/protocol.ts";

/**
 * One person's presence as one instance has it: their status there and the
 * rooms they are counted online in (their member rooms, and the rooms of
 * their original-endpoint connections). `offline` means "gone from here".
 */
export const personState = z.object({
  name: z.string(),
  guest: z.boolean(),
  status: presenceStatus,
  rooms: z.array(z.string()),
});

/** One person's presence as one instance has it. */
export type PersonState = z.infer<typeof personState>;

/**
 * What may arrive from another instance: any {@link BusEvent} but `resync`.
 * A message is the protocol's {@link chatMessage}, so every field a client
 * sees crosses the bus.
 */
export const wireEvent = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("message"),
    message: chatMessage,
    /**
     * The member who sent it (their key), when it is read by them in the
     * commit that stored it: each of their sockets is told so with the
     * message (a `read` frame), with no event of its own.
     */
    reader: z.string().optional(),
  }),
  z.object({
    kind: z.literal("typing"),
    room: z.string(),
    user: z.string(),
    typing: z.boolean(),
  }),
  z.object({
    kind: z.literal(["room", "room_deleted"]),
    room: z.string(),
  }),
  /** An original-endpoint connection came or went (its join/leave line). */
  z.object({
    kind: z.literal(["joined", "left"]),
    room: z.string(),
    user: presenceUser,
  }),
  z.object({
    kind: z.literal("edited"),
    room: z.string(),
    id: z.number(),
    text: z.string(),
  }),
  z.object({
    kind: z.literal("deleted"),
    room: z.string(),
    id: z.number(),
    /** For a reply: its thread's first message, and the summary after it. */
    parent: z.number().optional(),
    thread: threadSummary.optional(),
  }),
  z.object({ kind: z.literal("kick"), room: z.string(), user: z.string() }),
  /**
   * A login session of account `user` ended (`session`, a digest of its
   * id), or all of them: connections opened with it close.
   */
  z.object({
    kind: z.literal("logged_out"),
    user: z.string(),
    session: z.string().optional(),
  }),
  /**
   * Changes of one instance's people (`seq` counts these events, so a
   * receiver notices one it missed), or with `part`/`parts` one part of
   * that instance's whole map as of `seq`.
   */
  z.object({
    kind: z.literal("people"),
    instance: z.string(),
    seq: z.number().int(),
    people: z.array(personState),
    part: z.number().int().min(0).optional(),
    parts: z.number().int().min(1).optional(),
  }),
  /**
   * An instance's heartbeat (`alive`), its request for the whole map of
   * every instance or of `to` only (`hello`), or its goodbye (`bye`).
   */
  z.object({
    kind: z.literal("instance"),
    instance: z.string(),
    seq: z.number().int(),
    state: z.enum(["alive", "hello", "bye"]),
    to: z.string().optional(),
  }),
  /**
   * `name` became (`added`) or stopped being a member of `room`. With `key`,
   * the member's sockets subscribed to the room leave it, told `reason`.
   */
  z.object({
    kind: z.literal("member"),
    room: z.string(),
    name: z.string(),
    guest: z.boolean(),
    added: z.boolean(),
    key: z.string().optional(),
    reason: z.enum(["kicked", "deleted", "removed"]).optional(),
  }),
  /**
   * A message's reactions changed: each instance sends the room's
   * subscribers its current reactions, coalesced (see `reaction_frames.ts`).
   */
  z.object({
    kind: z.literal("reaction"),
    room: z.string(),
    id: z.number().int(),
  }),
  /** A frame for every socket subscribed to `room` (pins, topics). */
  z.object({
    kind: z.literal("room_frame"),
    room: z.string(),
    frame: serverFrame,
  }),
  /** A frame for every socket of one member key (`authorKey`). */
  z.object({
    kind: z.literal("to_member"),
    key: z.string(),
    frame: serverFrame,
  }),
  /**
   * `instance`'s bus is back after an outage: what it published meanwhile
   * reached no other instance, so each catches up as after a `resync` of
   * its own (edits, deletions, reactions, topics and pins; messages come
   * again through the republisher anyway).
   */
  z.object({
    kind: z.literal("catch_up"),
    instance: z.string(),
  }),
]);

/**
 * An event travelling between instances, or the local-only `resync`: the
 * bus was cut off and is back, so history must be re-read.
 */
export type BusEvent = z.infer<typeof wireEvent> | { kind: "resync" };

/** What a publisher knows about who needs an event. */
export interface PublishOptions {
  /**
   * The tags of the buses listening when the event's message committed
   * (`Appended.listeners`): a bus whose own tag is the only one may keep
   * the event to this instance, since a bus registering later reads the
   * message from history.
   */
  listeners?: string;
}

/** Publish/subscribe between instances. */
export interface Bus {
  /** Sends an event to every instance, this one included. */
  publish(event: BusEvent, options?: PublishOptions): Promise<void>;
  /** Registers the receiver of every event. */
  subscribe(handler: (event: BusEvent) => void): void;
  /** Whether the bus can carry events now. */
  healthy(): Promise<boolean>;
  /**
   * True while the bus can't reach the other instances (e.g. Redis is
   * down): the hub then reads new messages of its rooms from the shared
   * store every second, so chat across instances goes on, slower.
   */
  degraded?(): boolean;
  /** Stops delivering events and releases the connection. */
  close(): Promise<void>;
}

/** The bus of a single instance: events go straight to the local hubs. */
export class LocalBus implements Bus {
  readonly #handlers: ((event: BusEvent) => void)[] = [];

  publish(event: BusEvent): Promise<void> {
    for (const h of this.#handlers) h(event);
    return Promise.resolve();
  }

  subscribe(handler: (event: BusEvent) => void): void {
    this.#handlers.push(handler);
  }

  healthy(): Promise<boolean> {
    return Promise.resolve(true);
  }

  /** Forgets every receiver. */
  close(): Promise<void> {
    this.#handlers.length = 0;
    return Promise.resolve();
  }
}

/**
 * The receivers of a bus's events. A receiver that throws is logged and
 * the others still get the event.
 */
export class Subscribers {
  readonly #handlers: ((event: BusEvent) => void)[] = [];

  /** Creates an empty list; failures go to `log`. */
  constructor(readonly log: Logger) {}

  /** Registers a receiver. */
  add(handler: (event: BusEvent) => void): void {
    this.#handlers.push(handler);
  }

  /** Forgets every receiver. */
  clear(): void {
    this.#handlers.length = 0;
  }

  /** Hands `event` to every receiver. */
  emit(event: BusEvent): void {
    for (const handler of this.#handlers) {
      try {
        handler(event);
      } catch (error) {
        this.log.error("a bus handler threw on {kind}: {error}", {
          kind: event.kind,
          error: String(error),
        });
      }
    }
  }

  /**
   * Hands on an event that arrived from another instance as JSON, after
   * checking it against {@link wireEvent}; a malformed one is logged.
   */
  receive(parsed: unknown, raw: string): void {
    const event = wireEvent.safeParse(parsed);
    if (!event.success) {
      this.log.warn("ignoring a malformed bus event: {raw}", {
        raw: raw.slice(0, 200),
      });
      return;
    }
    this.emit(event.data);
  }
}

/** `JSON.parse`, or undefined for text that is not JSON. */
export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
