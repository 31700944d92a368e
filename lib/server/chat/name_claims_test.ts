import { expect } from "expect";
import { KvNameClaims } from "./name_claims.ts";

/** A KV database in memory that counts the atomic commits made on it. */
async function counted() {
  const kv = await Deno.openKv(":memory:");
  const counts = { commits: 0 };
  const view = {
    get: kv.get.bind(kv),
    getMany: kv.getMany.bind(kv),
    atomic: () => {
      counts.commits++;
      return kv.atomic();
    },
  } as unknown as Deno.Kv;
  return { kv, view, counts };
}

Deno.test("name claims - a storm of claims shares commits, one name still goes to one holder", async () => {
  const { kv, view, counts } = await counted();
  try {
    const claims = new KvNameClaims(view);
    const names = Array.from({ length: 1000 }, (_, i) => `guest${i}`);
    const won = await Promise.all(
      names.map((n, i) => claims.claim(n, `holder${i}`, 60_000)),
    );
    expect(won.every((w) => w)).toBe(true);
    // 1,000 holds in batches of up to 100 names, not one commit each.
    expect(counts.commits).toBeLessThanOrEqual(20);
    // Rivals for one name in one batch: the first wins, its holder may
    // claim again, the others are refused.
    const rivals = await Promise.all([
      claims.claim("mina", "a", 60_000),
      claims.claim("Mina", "b", 60_000),
      claims.claim("MINA", "a", 60_000),
      claims.claim("guest7", "c", 60_000),
    ]);
    expect(rivals).toEqual([true, false, true, false]);
    // A release in the same batch as a claim frees the name for the next.
    const [, freed] = await Promise.all([
      claims.release("mina", "a", 0),
      claims.claim("mina", "b", 60_000),
    ]);
    expect(freed).toBe(true);
    expect(await claims.isHeld("mina")).toBe(true);
  } finally {
    kv.close();
  }
});

Deno.test("name claims - a second instance's hold written meanwhile is respected", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const one = new KvNameClaims(kv);
    const two = new KvNameClaims(kv);
    const [a, b] = await Promise.all([
      one.claim("bo", "a", 60_000),
      two.claim("bo", "b", 60_000),
    ]);
    expect([a, b].filter((x) => x)).toHaveLength(1);
  } finally {
    kv.close();
  }
});
