/**
 * What the bus may have lost while it was down, read from the store again
 * once it is back: rooms created and deleted, topics, pins, and members
 * removed from private rooms. The hub asks after each resync with the
 * rooms that have subscribers here ({@link Hub.onResync}); this answers
 * with what its subscribers must be told.
 *
 * @module
 */
import type { Hub, RoomResync } from "@/lib/server/realtime/hub.ts";
import type { ServerFrame } from "@/lib/shared/protocol.ts";
import type { Logger } from "@/lib/server/log.ts";
import type { Reconciled, Rooms } from "./rooms.ts";

/** Rooms with subscribers read at once after a resync. */
const ROOMS_AT_ONCE = 16;

/** What {@link answerResyncs} reads with. */
export interface ResyncOptions {
  hub: Hub;
  rooms: Rooms;
  /**
   * `room`'s pins as stored now, when sockets here hold a list of them
   * that differs; else undefined.
   */
  pins: (room: string) => Promise<ServerFrame | undefined>;
  /** Of `keys`, those that may no longer read `room`. */
  nonReaders: (room: string, keys: Iterable<string>) => Promise<string[]>;
  /** Told of each room found deleted. */
  deleted: (room: string) => void;
  log: Logger;
}

/**
 * Answers the hub's resyncs: every room is read again (one read of all),
 * then each room with subscribers here, a few at a time, for its pins and
 * for who may still read it. Each part goes whether or not another could
 * be read.
 */
export function answerResyncs(o: ResyncOptions): void {
  o.hub.onResync(async (subscribed) => {
    const found = new Map<string, RoomResync>();
    let reconciled: Reconciled = { gone: [], topics: new Map() };
    try {
      reconciled = await o.rooms.reconcile();
    } catch (error) {
      o.log.warn("reading the rooms after a resync failed: {error}", {
        error: String(error),
      });
    }
    // Every socket here hears of a deletion: sidebars list rooms not shown.
    for (const room of reconciled.gone) {
      o.deleted(room);
      found.set(room, { deleted: true });
    }
    const rest = [...subscribed].filter(([room]) => !found.has(room));
    const next = async (): Promise<void> => {
      for (let entry = rest.pop(); entry; entry = rest.pop()) {
        const [room, keys] = entry;
        const change = await readRoom(o, room, keys, reconciled.topics);
        if (change) found.set(room, change);
      }
    };
    await Promise.all(Array.from({ length: ROOMS_AT_ONCE }, next));
    return found;
  });
}

/** What changed of one room with subscribers here, if anything. */
async function readRoom(
  o: ResyncOptions,
  room: string,
  keys: ReadonlySet<string>,
  topics: Map<string, string>,
): Promise<RoomResync | undefined> {
  const frames: ServerFrame[] = [];
  const topic = topics.get(room);
  if (topic !== undefined) {
    frames.push({ type: "topic", room, ...(topic ? { topic } : {}), by: "" });
  }
  const [pins, removed] = await Promise.allSettled([
    o.pins(room),
    o.nonReaders(room, keys),
  ]);
  if (pins.status === "fulfilled" && pins.value) frames.push(pins.value);
  for (const r of [pins, removed]) {
    if (r.status === "rejected") {
      o.log.warn("refreshing {room} after a resync failed: {error}", {
        room,
        error: String(r.reason),
      });
    }
  }
  const change: RoomResync = {};
  if (frames.length > 0) change.frames = frames;
  if (removed.status === "fulfilled" && removed.value.length > 0) {
    change.removed = removed.value;
  }
  return change.frames || change.removed ? change : undefined;
}
