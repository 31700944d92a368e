import { expect } from "expect";
import { applyReactionChanges } from "./reaction_ops.ts";
import type { ReactionChange } from "./store.ts";

const c = (key: string, emoji: string, add = true): ReactionChange => ({
  room: "r",
  id: 1,
  emoji,
  key,
  name: key,
  add,
});

Deno.test("reaction ops - changes apply in order; only the net effect is written", () => {
  const effect = applyReactionChanges(
    { counts: new Map([["👍", 1]]), present: new Set(["👍\u0000a"]) },
    [c("a", "👍"), c("b", "👍"), c("b", "👍", false), c("a", "👍", false)],
  );
  expect(effect.outcomes).toEqual(["unchanged", "added", "removed", "removed"]);
  expect(effect.inserts).toEqual([]);
  expect(effect.deletes.map((d) => d.key)).toEqual(["a"]);
  expect([...effect.counts]).toEqual([]);
});

Deno.test("reaction ops - a 21st kind is refused, a freed place can be taken", () => {
  const counts = new Map(Array.from({ length: 20 }, (_, i) => [`e${i}`, 1]));
  const present = new Set(Array.from({ length: 20 }, (_, i) => `e${i}\u0000k`));
  const effect = applyReactionChanges({ counts, present }, [
    c("x", "🤗"),
    c("x", "e3"),
    c("k", "e0", false),
    c("x", "🤗"),
  ]);
  expect(effect.outcomes).toEqual(["limit", "added", "removed", "added"]);
  expect(effect.counts.size).toBe(20);
  expect(effect.inserts.map((i) => i.emoji)).toEqual(["e3", "🤗"]);
});
