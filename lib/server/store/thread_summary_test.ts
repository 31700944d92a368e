import { expect } from "expect";
import { nextSummary, summaryWithout } from "./thread_summary.ts";

Deno.test("thread summary - a reply counts one more and leads the repliers; a deletion counts one fewer and names the live ones", () => {
  let s = nextSummary(undefined, { id: 3, ts: 30, user: "ana" });
  s = nextSummary(s, { id: 4, ts: 40, user: "bo" });
  s = nextSummary(s, { id: 5, ts: 50, user: "ana" });
  expect(s).toEqual({
    replies: 3,
    lastId: 5,
    lastTs: 50,
    users: ["ana", "bo"],
  });
  // ana's newest went: bo's is now the newest live reply.
  expect(summaryWithout(s, [{ ts: 40, user: "bo" }, { ts: 30, user: "ana" }]))
    .toEqual({ replies: 2, lastId: 5, lastTs: 40, users: ["bo", "ana"] });
  // Six live repliers: five are named, the newest first.
  const live = ["a", "b", "c", "d", "e", "f"].map((user, i) => ({
    user,
    ts: 100 - i,
  }));
  expect(summaryWithout({ ...s, replies: 7 }, live).users).toEqual([
    "a",
    "b",
    "c",
    "d",
    "e",
  ]);
  // None left: none named, and the count never goes below zero.
  const empty = summaryWithout({ ...s, replies: 0 }, []);
  expect(empty).toEqual({ replies: 0, lastId: 5, lastTs: 50, users: [] });
});
