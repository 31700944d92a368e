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
