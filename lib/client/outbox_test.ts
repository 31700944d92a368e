import { expect } from "expect";
import { MemoryStorage } from "@/tests/helpers/memory_storage.ts";
import { Outbox, type Pending } from "./outbox.ts";

const pending = (clientId: string): Pending => ({
  room: "general",
  text: `text of ${clientId}`,
  clientId,
  ts: 0,
});
const stored = (s: Storage) =>
  (JSON.parse(s.getItem("chat:outbox:ana") ?? "[]") as Pending[]).map((p) =>
    p.error ? `${p.clientId}!` : p.clientId
  );

/** Two tabs of ana's that wrote a1 (one), b1 (two) and a2 (one), in order. */
function twoTabs() {
  const storage = new MemoryStorage();
  const one = new Outbox("ana", storage);
  const two = new Outbox("ana", storage);
  one.add(pending("a1"));
  two.add(pending("b1"));
  one.add(pending("a2"));
  return { storage, one, two };
}

Deno.test("outbox - two tabs of one user keep each other's messages, in the order written", () => {
  const { storage } = twoTabs();
  expect(stored(storage)).toEqual(["a1", "b1", "a2"]);
  // A reload (or a third tab) finds all of them.
  expect(new Outbox("ana", storage).items.map((p) => p.clientId)).toEqual([
    "a1",
    "b1",
    "a2",
  ]);
  // Another user's outbox is apart.
  expect(new Outbox("ben", storage).items).toEqual([]);
});

Deno.test("outbox - what one tab removes stays removed; a mark or removal in the other keeps the rest", () => {
  const { storage, one, two } = twoTabs();
  // Tab two heard a1's ack; tab one, which still lists it, changes a2.
  expect(two.remove("a1")).toBe(true);
  one.mark("a2", "Too long");
  expect(stored(storage)).toEqual(["b1", "a2!"]);
  expect(one.items.map((p) => p.clientId)).toEqual(["b1", "a2"]);
  expect(one.remove("b1")).toBe(true);
  // A message another tab already removed was still this tab's.
  expect(two.remove("b1")).toBe(true);
  expect(two.remove("never")).toBe(false);
  expect(stored(storage)).toEqual(["a2!"]);
});

Deno.test("outbox - sync loads what another tab wrote, the same list when nothing changed", () => {
  const storage = new MemoryStorage();
  const idle = new Outbox("ana", storage);
  const before = idle.items;
  idle.sync();
  expect(idle.items).toBe(before);
  const writer = new Outbox("ana", storage);
  writer.add(pending("a1"));
  expect(idle.items).toEqual([]);
  idle.sync();
  expect(idle.items.map((p) => p.clientId)).toEqual(["a1"]);
  const after = idle.items;
  idle.sync();
  expect(idle.items).toBe(after);
});

Deno.test("outbox - with storage full or corrupt, the page's own list still works", () => {
  const full = new MemoryStorage();
  full.setItem = () => {
    throw new DOMException("Full", "QuotaExceededError");
  };
  const box = new Outbox("ana", full);
  box.add(pending("a1"));
  box.add(pending("a2"));
  expect(box.remove("a1")).toBe(true);
  expect(box.items.map((p) => p.clientId)).toEqual(["a2"]);

  const corrupt = new MemoryStorage();
  corrupt.setItem("chat:outbox:ana", "{not json");
  const other = new Outbox("ana", corrupt);
  expect(other.items).toEqual([]);
  other.add(pending("a1"));
  expect(stored(corrupt)).toEqual(["a1"]);
});
