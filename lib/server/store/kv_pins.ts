/**
 * Pinned messages in Deno KV: `["pins", room]` holds a room's pins, newest
 * first, as one value (at most `MAX_PINS`), written with a versionstamp
 * check so concurrent pins on several instances can't pass the limit.
 *
 * @module
 */
import { MAX_PINS } from "@/lib/shared/reactions.ts";
import type { PinRecords, StoredPin } from "./store.ts";
import { tryCommit } from "./kv_commit.ts";

const pinsKey = (room: string) => ["pins", room];

/** Pins under `["pins", room]`. */
export class KvPins implements PinRecords {
  /** Creates the records over `kv`. */
  constructor(readonly kv: Deno.Kv, readonly now: () => number = Date.now) {}

  async pin(
    room: string,
    id: number,
    by: string,
  ): Promise<"pinned" | "present" | "limit" | "not_found"> {
    for (let attempt = 1;; attempt++) {
      const [message, pins] = await this.kv.getMany<[
        { deleted?: boolean; event?: unknown },
        StoredPin[],
      ]>([["msg", room, id], pinsKey(room)]);
      const { value } = message;
      if (!value || value.deleted || value.event !== undefined) {
        return "not_found";
      }
      const list = pins.value ?? [];
      if (list.some((p) => p.id === id)) return "present";
      if (list.length >= MAX_PINS) return "limit";
      const next = [{ id, by, ts: this.now() }, ...list];
      const op = this.kv.atomic().check(pins).set(pinsKey(room), next);
      if (await tryCommit(op, attempt)) return "pinned";
    }
  }

  async unpin(room: string, id: number): Promise<boolean> {
    for (let attempt = 1;; attempt++) {
      const pins = await this.kv.get<StoredPin[]>(pinsKey(room));
      const list = pins.value ?? [];
      if (!list.some((p) => p.id === id)) return false;
      const next = list.filter((p) => p.id !== id);
      const op = this.kv.atomic().check(pins);
      if (next.length === 0) op.delete(pinsKey(room));
      else op.set(pinsKey(room), next);
      if (await tryCommit(op, attempt)) return true;
    }
  }

  async list(room: string): Promise<StoredPin[]> {
    return (await this.kv.get<StoredPin[]>(pinsKey(room))).value ?? [];
  }

  /** Unpins the messages of `room` before `end` (retention). */
  async prune(room: string, end: number): Promise<void> {
    for (const p of await this.list(room)) {
      if (p.id < end) await this.unpin(room, p.id);
    }
  }

  /** Removes a room's pins. */
  async clear(room: string): Promise<void> {
    await this.kv.delete(pinsKey(room));
  }
}
