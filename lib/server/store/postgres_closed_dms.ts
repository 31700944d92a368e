/**
 * The DMs people closed, in PostgreSQL's `closed_dms` (room, member key,
 * the message id it was closed at).
 *
 * @module
 */
import type { Db } from "./postgres.ts";
import type { Guard } from "./postgres_records.ts";
import { assertMessageId, type ClosedDmRecords } from "./store.ts";

/** {@link ClosedDmRecords} in `closed_dms`. */
export class PgClosedDms implements ClosedDmRecords {
  /** Creates the records over the pool. */
  constructor(readonly sql: Db, readonly guard: Guard) {}

  async close(key: string, room: string, upTo: number): Promise<void> {
    assertMessageId(upTo);
    await this.guard(this.sql`
      INSERT INTO closed_dms (room, key, up_to) VALUES (${room}, ${key}, ${upTo})
      ON CONFLICT (room, key) DO UPDATE SET up_to = excluded.up_to`);
  }

  async reopen(key: string, room: string): Promise<boolean> {
    const rows = await this.guard(this.sql`
      DELETE FROM closed_dms WHERE room = ${room} AND key = ${key}
      RETURNING room`);
    return rows.length === 1;
  }

  async get(key: string, rooms: string[]): Promise<Map<string, number>> {
    if (rooms.length === 0) return new Map();
    const rows = await this.guard(this.sql<{ room: string; up_to: number }[]>`
      SELECT room, up_to FROM closed_dms
      WHERE key = ${key} AND room = ANY(${rooms}::text[])`);
    return new Map(rows.map((r) => [r.room, r.up_to]));
  }
}
