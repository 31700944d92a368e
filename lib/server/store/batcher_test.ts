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
