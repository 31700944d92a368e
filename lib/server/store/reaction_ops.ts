/**
 * The rule both backends apply to a batch of reaction changes on one
 * message, given what is stored: one reaction per person and emoji, at most
 * `MAX_REACTIONS` emoji kinds, changes taken in order. The backends read the
 * state, call {@link applyReactionChanges}, and write its net effect in one
 * commit guarded against concurrent writers.
 *
 * @module
 */
import { MAX_REACTIONS } from "@/lib/shared/reactions.ts";
import type { ReactionChange, ReactionOutcome } from "./store.ts";

/** A message's reactions as stored, as far as the rule needs them. */
export interface ReactionState {
  /** People per emoji (emoji with none are absent). */
  counts: Map<string, number>;
  /** Which of the batch's (emoji, key) pairs are stored: {@link pairKey}. */
  present: Set<string>;
}

/** The net effect of a batch. */
export interface ReactionEffect {
  /** One outcome per change, in order. */
  outcomes: ReactionOutcome[];
  /** Reactions to store (the last change of each new pair). */
  inserts: ReactionChange[];
  /** Reactions to remove. */
  deletes: ReactionChange[];
  /** People per emoji afterwards. */
  counts: Map<string, number>;
}

/** The identity of one person's emoji on a message. */
export const pairKey = (emoji: string, key: string): string =>
  `${emoji}\u0000${key}`;

/** Applies `changes` (all of one message) in order to `state`. */
export function applyReactionChanges(
  state: ReactionState,
  changes: readonly ReactionChange[],
): ReactionEffect {
  const counts = new Map(state.counts);
  const present = new Set(state.present);
  const outcomes: ReactionOutcome[] = [];
  const last = new Map<string, ReactionChange>();
  for (const c of changes) {
    const pair = pairKey(c.emoji, c.key);
    const n = counts.get(c.emoji) ?? 0;
    if (c.add) {
      if (present.has(pair)) outcomes.push("unchanged");
      else if (n === 0 && counts.size >= MAX_REACTIONS) outcomes.push("limit");
      else {
        present.add(pair);
        counts.set(c.emoji, n + 1);
        last.set(pair, c);
        outcomes.push("added");
      }
    } else if (!present.has(pair)) outcomes.push("unchanged");
    else {
      present.delete(pair);
      if (n <= 1) counts.delete(c.emoji);
      else counts.set(c.emoji, n - 1);
      last.set(pair, c);
      outcomes.push("removed");
    }
  }
  const inserts: ReactionChange[] = [];
  const deletes: ReactionChange[] = [];
  for (const [pair, c] of last) {
    const before = state.present.has(pair);
    const after = present.has(pair);
    if (after && !before) inserts.push(c);
    if (!after && before) deletes.push(c);
  }
  return { outcomes, inserts, deletes, counts };
}

/** Groups changes by message, keeping each one's index. */
export function byMessage(
  changes: readonly ReactionChange[],
): Map<string, { room: string; id: number; at: number[] }> {
  const groups = new Map<string, { room: string; id: number; at: number[] }>();
  changes.forEach((c, i) => {
    const k = JSON.stringify([c.room, c.id]);
    let g = groups.get(k);
    if (!g) groups.set(k, g = { room: c.room, id: c.id, at: [] });
    g.at.push(i);
  });
  return groups;
}
