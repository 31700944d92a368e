/**
 * Presence per person (display name): online, away or offline, aggregated
 * over the person's tabs here and over every instance.
 *
 * Each instance owns the state of the people connected to it (tabs, last
 * activity, the rooms they are counted in) and replicates it to the others
 * over the bus: a `people` event carries the changes of a short batch, an
 * `instance` event every `beatMs` says the instance is alive and how many
 * change events it has sent (`seq`). A receiver that sees a gap in `seq`, or
 * an instance it does not know, asks that instance for its whole map
 * (`hello`), which comes back in parts; an instance not heard from for
 * `ttlMs` is forgotten with its people. So every instance holds the whole
 * online map, and the index room → online people makes a room's online
 * list and count local reads.
 *
 * @module
 */
import type {
  MemberEntry,
  PresenceStatus,
  PresenceUser,
} from "@/lib/shared/protocol.ts";
import type { BusEvent, PersonState } from "@/lib/server/bus/bus.ts";

/** Options of {@link Presence}. */
export interface PresenceOptions {
  /** This instance's name on the bus. */
  instance: string;
  /** Publishes an event on the bus (to every instance, this one included). */
  publish: (event: BusEvent) => void;
  /** The clock, in epoch milliseconds. */
  now: () => number;
  /** A person with no frame from any tab here for this long is away. */
  awayAfterMs: number;
  /** How often this instance says it is alive. */
  beatMs: number;
  /** An instance not heard from for this long is forgotten. */
  ttlMs: number;
  /**
   * Whether this instance's own bus is down: it then hears no one, so the
   * others' silence says nothing about them and they are not forgotten
   * (the resync once it is back brings their maps again).
   */
  deaf?: () => boolean;
  /** How long local changes gather before they go out together; 50 ms by default. */
  batchMs?: number;
  /**
   * Called when a person's presence in `room` changed (status `offline`:
   * they are not counted there any more).
   */
  onChange: (room: string, entry: MemberEntry) => void;
}

/** A person connected to this instance. */
interface Local {
  user: PresenceUser;
  /** Open connections (tabs). */
  tabs: number;
  lastActive: number;
  away: boolean;
  /** Rooms they are a member of. */
  member: Set<string>;
  /** Rooms of their original-endpoint connections, with how many each. */
  here: Map<string, number>;
}

/** What this instance knows of another. */
interface Remote {
  /** The last change event applied; -1 before the first map. */
  seq: number;
  people: Map<string, PersonState>;
  heard: number;
  /** Set while waiting for the instance's whole map. */
  syncing: { asked: number; parts: PersonState[][]; seq: number } | null;
}

/** A person as aggregated over every instance. */
interface Person {
  user: PresenceUser;
  status: Exclude<PresenceStatus, "offline">;
  rooms: Set<string>;
}

/** Characters of people per bus event, so each stays small on every bus. */
const EVENT_CHARS = 6000;

/** The replicated online map of every instance, and this instance's part of it. */
export class Presence {
  readonly #o: Required<PresenceOptions>;
  readonly #local = new Map<string, Local>();
  /** Names changed here and not yet published. */
  readonly #dirty = new Set<string>();
  #seq = 0;
  #batch: ReturnType<typeof setTimeout> | undefined;
  readonly #beat: ReturnType<typeof setInterval>;
  readonly #remote = new Map<string, Remote>();
  readonly #people = new Map<string, Person>();
  /** Room → the people online in it, in the order they came. */
  readonly #rooms = new Map<string, Map<string, PresenceUser>>();
  /** Each room's online people in name order, until the room's change. */
  readonly #byName = new Map<string, readonly PresenceUser[]>();
  #closed = false;
  #lastTick: number;

  /** Starts heartbeating; {@link Presence.start} asks for the others' maps. */
  constructor(options: PresenceOptions) {
    this.#o = { batchMs: 50, deaf: () => false, ...options };
    this.#lastTick = this.#o.now();
    this.#beat = setInterval(() => this.tick(), this.#o.beatMs);
  }

  /** Asks every instance for its map (call once the bus delivers to us). */
  start(): void {
    this.#announce("hello");
  }

  /** A connection of `user` opened here. */
  open(user: PresenceUser, rooms: Iterable<string> = []): void {
    let p = this.#local.get(user.name);
    if (!p) {
      p = {
        user,
        tabs: 0,
        lastActive: this.#o.now(),
        away: false,
        member: new Set(),
        here: new Map(),
      };
      this.#local.set(user.name, p);
    }
    p.tabs++;
    for (const room of rooms) p.member.add(room);
    this.#touch(p);
    this.#changed(user.name);
  }

  /** A connection of `name` closed here. */
  close(name: string): void {
    const p = this.#local.get(name);
    if (!p || --p.tabs > 0) return;
    this.#local.delete(name);
    this.#changed(name);
  }

  /** `name` sent a frame: online again if they were away. */
  active(name: string): void {
    const p = this.#local.get(name);
    if (!p) return;
    p.lastActive = this.#o.now();
    if (p.away) {
      p.away = false;
      this.#changed(name);
    }
  }

  /** `user` became a member of `room` (if connected here, they count there). */
  memberAdded(room: string, user: PresenceUser): void {
    const p = this.#local.get(user.name);
    if (!p || p.member.has(room)) return;
    p.member.add(room);
    this.#changed(user.name);
  }

  /** `name` is no longer a member of `room`. */
  memberRemoved(room: string, name: string): void {
    const p = this.#local.get(name);
    if (!p?.member.delete(room)) return;
    this.#changed(name);
  }

  /**
   * An original-endpoint connection of `name` is in `room`; true for the
   * first of theirs here.
   */
  enter(name: string, room: string): boolean {
    const p = this.#local.get(name);
    if (!p) return false;
    const n = p.here.get(room) ?? 0;
    p.here.set(room, n + 1);
    if (n === 0) this.#changed(name);
    return n === 0;
  }

  /** Such a connection left `room`; true for the last of theirs here. */
  exit(name: string, room: string): boolean {
    const p = this.#local.get(name);
    const n = p?.here.get(room);
    if (!p || n === undefined) return false;
    if (n > 1) {
      p.here.set(room, n - 1);
      return false;
    }
    p.here.delete(room);
    this.#changed(name);
    return true;
  }

  /** The people online (or away) in `room`, at most `limit`, earliest first. */
  online(room: string, limit = Infinity): PresenceUser[] {
    const out: PresenceUser[] = [];
    for (const u of this.#rooms.get(room)?.values() ?? []) {
      if (out.length >= limit) break;
      out.push(u);
    }
    return out;
  }

  /**
   * Who is online (or away) in `room`, in name order: sorted once and kept
   * until someone comes or goes there, so the members pages every viewer
   * asks for after a change cost one sort, not one each.
   */
  onlineByName(room: string): readonly PresenceUser[] {
    let sorted = this.#byName.get(room);
    if (!sorted) {
      sorted = this.online(room).sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0
      );
      this.#byName.set(room, sorted);
    }
    return sorted;
  }

  /** How many people are online (or away) in `room`. */
  count(room: string): number {
    return this.#rooms.get(room)?.size ?? 0;
  }

  /** A person's status over every instance. */
  status(name: string): PresenceStatus {
    return this.#people.get(name)?.status ?? "offline";
  }

  /** Handles a presence event from the bus; false for other events. */
  receive(event: BusEvent): boolean {
    if (event.kind !== "people" && event.kind !== "instance") return false;
    if (event.instance === this.#o.instance || this.#closed) return true;
    if (event.kind === "instance") {
      if (event.state === "bye") {
        this.#forget(event.instance);
        return true;
      }
      if (
        event.state === "hello" &&
        (event.to === undefined || event.to === this.#o.instance)
      ) this.#sendMap();
    }
    const now = this.#o.now();
    let r = this.#remote.get(event.instance);
    if (!r) {
      r = { seq: -1, people: new Map(), heard: now, syncing: null };
      this.#remote.set(event.instance, r);
    }
    r.heard = now;
    if (event.kind === "instance") {
      if (!r.syncing && event.seq !== r.seq) this.#ask(event.instance, r);
      return true;
    }
    if (event.parts !== undefined) {
      this.#mapPart(r, event);
    } else if (!r.syncing && event.seq === r.seq + 1) {
      r.seq = event.seq;
      for (const state of event.people) {
        if (state.status === "offline") r.people.delete(state.name);
        else r.people.set(state.name, state);
        this.#recompute(state.name);
      }
    } else if (!r.syncing) this.#ask(event.instance, r);
    return true;
  }

  /**
   * Once a beat: marks idle people away, says this instance is alive,
   * forgets silent instances and asks again for maps that never came.
   */
  tick(): void {
    if (this.#closed) return;
    const now = this.#o.now();
    for (const p of this.#local.values()) {
      if (!p.away && now - p.lastActive >= this.#o.awayAfterMs) {
        p.away = true;
        this.#changed(p.user.name);
      }
    }
    this.#announce("alive");
    // This instance was stalled (a busy event loop): the others' beats may
    // still wait unread, so they get another TTL rather than being forgotten.
    const stalled = now - this.#lastTick > this.#o.ttlMs / 2;
    this.#lastTick = now;
    const deaf = stalled || this.#o.deaf();
    for (const [id, r] of this.#remote) {
      if (deaf) r.heard = Math.max(r.heard, now - this.#o.beatMs);
      if (now - r.heard > this.#o.ttlMs) this.#forget(id);
      else if (r.syncing && now - r.syncing.asked > this.#o.ttlMs) {
        this.#ask(id, r);
      }
    }
  }

  /** Stops heartbeating and tells the others this instance's people left. */
  stop(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    clearInterval(this.#beat);
    clearTimeout(this.#batch);
    this.#o.publish({
      kind: "instance",
      instance: this.#o.instance,
      seq: this.#seq,
      state: "bye",
    });
  }

  #touch(p: Local): void {
    p.lastActive = this.#o.now();
    p.away = false;
  }

  /** Local state of `name` changed: update the map now, publish soon. */
  #changed(name: string): void {
    this.#recompute(name);
    this.#dirty.add(name);
    if (this.#batch === undefined && !this.#closed) {
      this.#batch = setTimeout(() => this.#flush(), this.#o.batchMs);
    }
  }

  /** Publishes the pending local changes, a few hundred people per event. */
  #flush(): void {
    clearTimeout(this.#batch);
    this.#batch = undefined;
    if (this.#closed || this.#dirty.size === 0) return;
    const states = [...this.#dirty].map((name) => this.#stateOf(name));
    this.#dirty.clear();
    for (const people of chunks(states)) {
      this.#o.publish({
        kind: "people",
        instance: this.#o.instance,
        seq: ++this.#seq,
        people,
      });
    }
  }

  /** Publishes this instance's whole map, in parts, after pending changes. */
  #sendMap(): void {
    this.#flush();
    if (this.#closed) return;
    const states = [...this.#local.keys()].map((n) => this.#stateOf(n));
    const parts = chunks(states);
    if (parts.length === 0) parts.push([]);
    parts.forEach((people, part) =>
      this.#o.publish({
        kind: "people",
        instance: this.#o.instance,
        seq: this.#seq,
        people,
        part,
        parts: parts.length,
      })
    );
  }

  #stateOf(name: string): PersonState {
    const p = this.#local.get(name);
    if (!p) return { name, guest: false, status: "offline", rooms: [] };
    const rooms = new Set(p.member);
    for (const room of p.here.keys()) rooms.add(room);
    return {
      name,
      guest: p.user.guest,
      status: p.away ? "away" : "online",
      rooms: [...rooms],
    };
  }

  #announce(state: "alive" | "hello", to?: string): void {
    if (this.#closed) return;
    this.#o.publish({
      kind: "instance",
      instance: this.#o.instance,
      seq: this.#seq,
      state,
      to,
    });
  }

  /** Asks instance `id` for its whole map. */
  #ask(id: string, r: Remote): void {
    r.syncing = { asked: this.#o.now(), parts: [], seq: -1 };
    this.#announce("hello", id);
  }

  /** One part of another instance's map; the last one replaces what we had. */
  #mapPart(
    r: Remote,
    e: { seq: number; people: PersonState[]; part?: number; parts?: number },
  ): void {
    // Unasked maps (answers to others) are only needed by a newcomer.
    if (!r.syncing) {
      if (r.seq !== -1 || e.part !== 0) return;
      r.syncing = { asked: this.#o.now(), parts: [], seq: -1 };
    }
    const s = r.syncing;
    if (e.part === 0) {
      s.parts = [];
      s.seq = e.seq;
    }
    if (e.part !== s.parts.length || e.seq !== s.seq) return;
    s.parts.push(e.people);
    if (s.parts.length < (e.parts ?? 1)) return;
    const before = r.people;
    r.people = new Map();
    for (const part of s.parts) for (const p of part) r.people.set(p.name, p);
    r.seq = s.seq;
    r.syncing = null;
    for (const name of before.keys()) this.#recompute(name);
    for (const name of r.people.keys()) {
      if (!before.has(name)) this.#recompute(name);
    }
  }

  /** Instance `id` is gone, and its people with it. */
  #forget(id: string): void {
    const r = this.#remote.get(id);
    if (!r) return;
    this.#remote.delete(id);
    for (const name of r.people.keys()) this.#recompute(name);
  }

  /** Re-aggregates `name` over every instance and reports what changed per room. */
  #recompute(name: string): void {
    let status: Person["status"] | undefined;
    let guest = false;
    const rooms = new Set<string>();
    const add = (s: PersonState) => {
      if (s.status === "offline") return;
      if (status !== "online") status = s.status;
      guest = s.guest;
      for (const room of s.rooms) rooms.add(room);
    };
    if (this.#local.has(name)) add(this.#stateOf(name));
    for (const r of this.#remote.values()) {
      const s = r.people.get(name);
      if (s) add(s);
    }
    const before = this.#people.get(name);
    if (!status) {
      if (!before) return;
      this.#people.delete(name);
      for (const room of before.rooms) this.#leaveRoom(room, before.user);
      return;
    }
    const user = before && before.user.guest === guest
      ? before.user
      : { name, guest };
    this.#people.set(name, { user, status, rooms });
    for (const room of before?.rooms ?? []) {
      if (!rooms.has(room)) this.#leaveRoom(room, user);
    }
    for (const room of rooms) {
      if (before?.rooms.has(room) && before.status === status) continue;
      let index = this.#rooms.get(room);
      if (!index) this.#rooms.set(room, index = new Map());
      index.set(name, user);
      this.#byName.delete(room);
      this.#o.onChange(room, { ...user, status });
    }
  }

  #leaveRoom(room: string, user: PresenceUser): void {
    const index = this.#rooms.get(room);
    if (!index?.delete(user.name)) return;
    this.#byName.delete(room);
    if (index.size === 0) this.#rooms.delete(room);
    this.#o.onChange(room, { ...user, status: "offline" });
  }
}

/** Splits `states` into lists of at most {@link EVENT_CHARS} characters. */
function chunks(states: PersonState[]): PersonState[][] {
  const out: PersonState[][] = [];
  let current: PersonState[] = [];
  let size = 0;
  for (const s of states) {
    const n = 40 + s.name.length +
      s.rooms.reduce((a, r) => a + r.length + 3, 0);
    if (current.length > 0 && size + n > EVENT_CHARS) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(s);
    size += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}
