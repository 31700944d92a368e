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
