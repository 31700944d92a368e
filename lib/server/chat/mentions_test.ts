import { expect } from "expect";
import { resolveMentions } from "./mentions.ts";
import type { MemberRecords } from "@/lib/server/store/store.ts";

Deno.test("mentions - a long list of names (@here in a busy room) is resolved in batches, each key once", async () => {
  const asked: number[] = [];
  const members = {
    named(_room: string, names: string[]) {
      asked.push(names.length);
      return Promise.resolve(
        names.filter((n) => n.startsWith("m")).map((n) => ({
          key: `k-${n}`,
          name: n,
          guest: true,
          joinedAt: 0,
        })),
      );
    },
  } as unknown as MemberRecords;
  const names = Array.from(
    { length: 1200 },
    (_, i) => `${i % 2 ? "m" : "x"}${i}`,
  );
  const keys = await resolveMentions(members, "general", [...names, "m1"]);
  expect(asked).toEqual([500, 500, 200]);
  expect(keys.length).toBe(600);
  expect(new Set(keys).size).toBe(600);
});

Deno.test("mentions - a Korean particle or honorific written onto a name means the longest member name before it, only when no member has the whole token", async () => {
  const room = ["민수", "민", "민수야", "ana"];
  const members = {
    named(_room: string, names: string[]) {
      return Promise.resolve(
        names.filter((n) => room.includes(n)).map((n) => ({
          key: `k-${n}`,
          name: n,
          guest: true,
          joinedAt: 0,
        })),
      );
    },
  } as unknown as MemberRecords;
  const resolve = (names: string[]) =>
    resolveMentions(members, "general", names, { particles: true });
  expect(await resolve(["민수님"])).toEqual(["k-민수"]);
  expect(await resolve(["민수에게"])).toEqual(["k-민수"]);
  // A member has the whole token: that one, not a shorter name.
  expect(await resolve(["민수야"])).toEqual(["k-민수야"]);
  // Nobody has the name before it: nobody.
  expect(await resolve(["지수님"])).toEqual([]);
  // Latin names take no particles.
  expect(await resolve(["anai"])).toEqual([]);
  // Names that aren't typed ones (who is online, for @here) are taken whole.
  expect(await resolveMentions(members, "general", ["민수님"])).toEqual([]);
});
