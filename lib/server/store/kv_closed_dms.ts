/**
 * The DMs people closed, in Deno KV: `["dm_closed", room, key]` holds the
 * message id the member `key` closed `room` at. Keyed by room first, so a
 * deleted room's records go with one prefix.
 *
 * @module
 */
import { deletePrefix, getMany } from "./kv_members.ts";
import { assertMessageId, type ClosedDmRecords } from "./store.ts";

const closedKey = (room: string, key: string): Deno.KvKey => [
  "dm_closed",
  room,
  key,
];

/** {@link ClosedDmRecords} over a KV database. */
export class KvClosedDms implements ClosedDmRecords {
  readonly #kv: Deno.Kv;

  /** Creates the records over `kv`. */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async close(key: string, room: string, upTo: number): Promise<void> {
    assertMessageId(upTo);
    await this.#kv.set(closedKey(room, key), upTo);
  }

  async reopen(key: string, room: string): Promise<boolean> {
    const k = closedKey(room, key);
    const entry = await this.#kv.get<number>(k);
    if (entry.value === null) return false;
    // Checked: a close landing meanwhile is the newer wish and stays.
    return (await this.#kv.atomic().check(entry).delete(k).commit()).ok;
  }

  async get(key: string, rooms: string[]): Promise<Map<string, number>> {
    const entries = await getMany<number>(
      this.#kv,
      rooms.map((room) => closedKey(room, key)),
    );
    const out = new Map<string, number>();
    entries.forEach((e, i) => {
      if (e.value !== null) out.set(rooms[i], e.value);
    });
    return out;
  }

  /** Forgets every close of `room` (it was deleted). */
  async clear(room: string): Promise<void> {
    await deletePrefix(this.#kv, ["dm_closed", room]);
  }
}
