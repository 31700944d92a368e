/**
 * What one client got of one room after reconnecting with `since`: every
 * message id after `since` must arrive exactly once. Ids are gapless per
 * room, so what is missing is known from the room's last id.
 *
 * @module
 */

/** The ids one client received in one room after `since`. */
export class DeliveryTally {
  readonly #ids = new Set<number>();
  /** Ids received twice, or at or before `since` (already held). */
  duplicated = 0;

  /** `since`: the last id the client held when it came back. */
  constructor(readonly since: number) {}

  /** Counts a message id as received. */
  record(id: number): void {
    if (id <= this.since || this.#ids.has(id)) this.duplicated++;
    else this.#ids.add(id);
  }

  /** Ids in (`since`, `upTo`] that never arrived. */
  lost(upTo: number): number {
    return Math.max(0, upTo - this.since) - this.received(upTo);
  }

  /** Distinct ids in (`since`, `upTo`] received. */
  received(upTo: number): number {
    let got = 0;
    for (const id of this.#ids) if (id <= upTo) got++;
    return got;
  }
}
