/**
 * Who reacted, in words, for a reaction's hover and long-press text.
 *
 * @module
 */
import type { Reaction } from "@/lib/shared/protocol.ts";

/**
 * "bo, gus and 3 others" for a reaction's hover and long-press text.
 *
 * @example
 * ```ts
 * whoReacted({ emoji: "👍", count: 5, users: ["bo", "gus"] });
 * // "👍 by bo, gus and 3 more"
 * ```
 */
export function whoReacted(r: Reaction): string {
  const others = r.count - r.users.length;
  return `${r.emoji} by ${r.users.join(", ")}${
    others > 0 ? ` and ${others} more` : ""
  }`;
}
