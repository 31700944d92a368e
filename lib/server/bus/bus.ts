/**
 * The bus between instances: room events published on one instance reach
 * the hub of every instance, and presence is the union over all of them.
 * {@link LocalBus} serves a single instance; `redis.ts` and `kv.ts` many.
 *
 * @module
 */
import { z } from "zod";
import type { Logger } from "@/lib/server/log.ts";
import {
  chatMessage,
  type PresenceUser,
  presenceUser,
} from "@/lib/shared/protocol.ts";

/** A presence list as it travels between instances. */
export const presenceUsers = z.array(presenceUser);

/**
 * What may arrive from another instance: any {@link BusEvent} but `resync`.
 * A message is the protocol's {@link chatMessage}, so every field a client
 * sees crosses the bus.
 */
export const wireEvent = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("message"), message: chatMessage }),
  z.object({
    kind: z.literal("typing"),
    room: z.string(),
    user: z.string(),
    typing: z.boolean(),
  }),
  z.object({
    kind: z.literal(["presence", "room", "room_deleted"]),
    room: z.string(),
  }),
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
  z.object({ kind: z.literal("deleted"), room: z.string(), id: z.number() }),
  z.object({ kind: z.literal("kick"), room: z.string(), user: z.string() }),
]);

/**
 * An event travelling between instances, or the local-only `resync`: the
 * bus was cut off and is back, so history must be re-read.
 */
export type BusEvent = z.infer<typeof wireEvent> | { kind: "resync" };

/** Publish/subscribe between instances, plus presence. */
export interface Bus {
  /** Sends an event to every instance, this one included. */
  publish(event: BusEvent): Promise<void>;
  /** Registers the receiver of every event. */
  subscribe(handler: (event: BusEvent) => void): void;
  /** Records who is connected to `room` on this instance and tells the others. */
  setPresence(room: string, users: PresenceUser[]): Promise<void>;
  /** Who is in `room` on any instance, each user once. */
  presence(room: string): Promise<PresenceUser[]>;
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

/** The bus of a single instance: events go straight to the local hub. */
export class LocalBus implements Bus {
  readonly #handlers: ((event: BusEvent) => void)[] = [];
  readonly #presence = new Map<string, PresenceUser[]>();

  publish(event: BusEvent): Promise<void> {
    for (const h of this.#handlers) h(event);
    return Promise.resolve();
  }

  subscribe(handler: (event: BusEvent) => void): void {
    this.#handlers.push(handler);
  }

  setPresence(room: string, users: PresenceUser[]): Promise<void> {
    if (users.length === 0) this.#presence.delete(room);
    else this.#presence.set(room, users);
    return this.publish({ kind: "presence", room });
  }

  presence(room: string): Promise<PresenceUser[]> {
    return Promise.resolve(this.#presence.get(room) ?? []);
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

/** Merges per-instance presence lists, each user once, sorted by name. */
export function mergePresence(lists: Iterable<PresenceUser[]>): PresenceUser[] {
  const byName = new Map<string, PresenceUser>();
  for (const list of lists) for (const u of list) byName.set(u.name, u);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
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

/**
 * Another instance's presence list from its JSON, or an empty list (and a
 * warning in `log`) when it is malformed.
 */
export function presenceFromJson(
  json: string,
  instance: string,
  log: Logger,
): PresenceUser[] {
  const users = presenceUsers.safeParse(parseJson(json));
  if (users.success) return users.data;
  log.warn("ignoring malformed presence of instance {instance}", { instance });
  return [];
}
