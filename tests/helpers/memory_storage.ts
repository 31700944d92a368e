/**
 * An in-memory `Storage`, standing in for the browser's `localStorage` in
 * tests of client code; one instance shared by several objects is like
 * several tabs of one browser.
 *
 * @module
 */

/** A `Storage` kept in a `Map`. */
export class MemoryStorage implements Storage {
  #m = new Map<string, string>();
  /** How many keys are stored. */
  get length(): number {
    return this.#m.size;
  }
  /** Removes every key. */
  clear(): void {
    this.#m.clear();
  }
  /** The value of `k`, or null. */
  getItem(k: string): string | null {
    return this.#m.get(k) ?? null;
  }
  /** The `i`th key, or null. */
  key(i: number): string | null {
    return [...this.#m.keys()][i] ?? null;
  }
  /** Removes `k`. */
  removeItem(k: string): void {
    this.#m.delete(k);
  }
  /** Stores `v` under `k`. */
  setItem(k: string, v: string): void {
    this.#m.set(k, v);
  }
}
