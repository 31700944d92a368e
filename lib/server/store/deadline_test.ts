import { expect } from "expect";
import { deadline, DeadlineError } from "./deadline.ts";

const later = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

/**
 * A call that never answers, holding the event loop open as a query's
 * socket would (the deadline's own timer does not); `cancel` counts.
 */
function hanging() {
  const held = setTimeout(() => {}, 10_000);
  const call = Object.assign(new Promise<never>(() => {}), {
    cancelled: 0,
    cancel: () => {
      call.cancelled++;
      clearTimeout(held);
    },
  });
  return call;
}

Deno.test("deadline - an answer in time passes through, value or error", async () => {
  await expect(deadline(later(10, 42), 1000)).resolves.toBe(42);
  const failing = Promise.reject(new Error("bad query"));
  await expect(deadline(failing, 1000)).rejects.toThrow("bad query");
});

Deno.test("deadline - a call with no answer fails on time and is cancelled", async () => {
  const call = hanging();
  const quick = later(30, "quick");
  const start = performance.now();
  const outcome = deadline(call, 250).catch((e) => e);
  // Other calls in flight meanwhile are not disturbed.
  await expect(deadline(quick, 250)).resolves.toBe("quick");
  const error = await outcome;
  const waited = performance.now() - start;
  expect(error).toBeInstanceOf(DeadlineError);
  expect(error.code).toBe("DEADLINE_EXCEEDED");
  expect(call.cancelled).toBe(1);
  expect(waited).toBeGreaterThanOrEqual(245);
  expect(waited).toBeLessThan(1000);
});

Deno.test("deadline - among many calls in flight, only the one with no answer fails", async () => {
  const calls = Array.from(
    { length: 1000 },
    (_, i) => deadline(later(i % 20, i), 5000),
  );
  const stuck = deadline(hanging(), 150).catch((e) => e);
  const values = await Promise.all(calls);
  expect(values[999]).toBe(999);
  expect(await stuck).toBeInstanceOf(DeadlineError);
  // Idle a while, then used again: the shared timer starts anew.
  await later(250, null);
  await expect(deadline(hanging(), 120)).rejects.toThrow(DeadlineError);
});
