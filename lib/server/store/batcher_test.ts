import { expect } from "expect";
import { Batcher } from "./batcher.ts";

/** A batcher that records each commit's items. */
function recording(options: { maxItems: number; failOn?: number }) {
  const commits: number[][] = [];
  const batcher = new Batcher<number, number>(async (items) => {
    commits.push(items);
    await new Promise((r) => setTimeout(r, 1));
    if (options.failOn !== undefined && items.includes(options.failOn)) {
      throw new Error(`bad ${options.failOn}`);
    }
    return items.map((x) => x * 10);
  }, { maxItems: options.maxItems });
  return { batcher, commits };
}

Deno.test("batcher - calls made together share commits, in order, up to the cap", async () => {
  const { batcher, commits } = recording({ maxItems: 4 });
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => batcher.push(i)),
  );
  expect(results).toEqual(Array.from({ length: 10 }, (_, i) => i * 10));
  expect(commits).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
});

Deno.test("batcher - one bad item fails alone, the rest of its batch commits", async () => {
  const { batcher } = recording({ maxItems: 10, failOn: 2 });
  const settled = await Promise.allSettled(
    [1, 2, 3].map((x) => batcher.push(x)),
  );
  expect(settled.map((s) => s.status)).toEqual([
    "fulfilled",
    "rejected",
    "fulfilled",
  ]);
});

Deno.test("batcher - a call made as a commit resolves is not left waiting", async () => {
  const { batcher } = recording({ maxItems: 10 });
  // Each result's continuation pushes the next item, racing the drain's end.
  let n = 0;
  const chain = async (): Promise<void> => {
    await batcher.push(n);
    if (++n < 50) await chain();
  };
  await chain();
  expect(n).toBe(50);
  await batcher.idle();
});

Deno.test("batcher - with spacing, calls queued under load wait and go in fewer commits", async () => {
  const starts: number[] = [];
  const commits: number[][] = [];
  const batcher = new Batcher<number, number>(async (items) => {
    starts.push(performance.now());
    commits.push(items);
    await new Promise((r) => setTimeout(r, 3));
    return items;
  }, { maxItems: 100, spacingMs: 30 });
  // A call every 2 ms or so for 120 ms: without spacing a commit (3 ms)
  // would carry one or two; with it, commits start at least 30 ms apart.
  const pushes: Promise<number>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < 60; i++) {
    pushes.push(batcher.push(i));
    await new Promise((r) => setTimeout(r, 2));
  }
  expect(await Promise.all(pushes)).toEqual(
    Array.from({ length: 60 }, (_, i) => i),
  );
  expect(commits.flat()).toEqual(Array.from({ length: 60 }, (_, i) => i));
  const elapsed = performance.now() - t0;
  expect(commits.length).toBeLessThanOrEqual(Math.ceil(elapsed / 30) + 1);
  for (let i = 1; i < starts.length; i++) {
    expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(28);
  }
});

Deno.test("batcher - with spacing, a call to an idle batcher commits at once", async () => {
  const batcher = new Batcher<number, number>(
    (items) => Promise.resolve(items),
    { maxItems: 100, spacingMs: 10_000 },
  );
  // Each call comes after the last commit finished: none waits the spacing.
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) expect(await batcher.push(i)).toBe(i);
  expect(performance.now() - t0).toBeLessThan(1000);
});

Deno.test("batcher - an item the batch's error refuses fails with it, not tried again alone", async () => {
  const commits: number[][] = [];
  const batcher = new Batcher<number, number>((items) => {
    commits.push(items);
    // 2 is refused in a batch; alone it would pass (its cause went away).
    if (items.length > 1 && items.includes(2)) {
      return Promise.reject(new Error("2 refused"));
    }
    return Promise.resolve(items.map((x) => x * 10));
  }, {
    maxItems: 10,
    refuses: (error, item) => String(error).includes(`${item} refused`),
  });
  const settled = await Promise.allSettled(
    [1, 2, 3].map((x) => batcher.push(x)),
  );
  expect(settled.map((s) => s.status)).toEqual([
    "fulfilled",
    "rejected",
    "fulfilled",
  ]);
  expect(commits).toEqual([[1, 2, 3], [1], [3]]);
});

Deno.test("batcher - settled waits for what was queued before it, not for what comes after", async () => {
  const gates = new Map<number, () => void>();
  const gated = (x: number) => new Promise<void>((r) => gates.set(x, r));
  const waits = new Map([[1, gated(1)], [3, gated(3)]]);
  const batcher = new Batcher<number, number>(async (items) => {
    for (const x of items) await waits.get(x);
    return items;
  }, { maxItems: 1 });
  const first = batcher.push(1);
  let done = false;
  const settled = batcher.settled().then(() => done = true);
  // Items keep coming after the call; 3 is held until the end.
  const later = [2, 3, 4].map((x) => batcher.push(x));
  await new Promise((r) => setTimeout(r, 10));
  expect(done).toBe(false);
  gates.get(1)!();
  await first;
  await settled;
  expect(done).toBe(true);
  // What came after is still waiting: idle would have waited for it.
  let after = false;
  const idle = batcher.idle().then(() => after = true);
  await new Promise((r) => setTimeout(r, 10));
  expect(after).toBe(false);
  gates.get(3)!();
  await Promise.all([...later, idle]);
});

Deno.test("batcher - settled resolves at once when nothing is queued, also after a failed batch, and when the item it waits for fails", async () => {
  const batcher = new Batcher<number, number>(async (items) => {
    await new Promise((r) => setTimeout(r, 1));
    if (items.includes(7)) throw new Error("bad 7");
    return items;
  }, { maxItems: 10 });
  await batcher.settled();
  const bad = batcher.push(7).catch((e) => String(e));
  const settled = batcher.settled();
  expect(await bad).toBe("Error: bad 7");
  await settled;
  await batcher.settled();
  const pair = Promise.allSettled([batcher.push(1), batcher.push(7)]);
  await batcher.settled();
  expect((await pair).map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
});
