import { expect } from "expect";
import { deadline, DeadlineError } from "./deadline.ts";

const later = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

Deno.test("deadline - an answer in time passes through, value or error", async () => {
  await expect(deadline(later(10, 42), 1000)).resolves.toBe(42);
  const failing = Promise.reject(new Error("bad query"));
  await expect(deadline(failing, 1000)).rejects.toThrow("bad query");
});

Deno.test("deadline - a call with no answer fails on time and is cancelled", async () => {
  let cancelled = 0;
  const hanging = Object.assign(new Promise<never>(() => {}), {
    cancel: () => cancelled++,
  });
  const quick = later(30, "quick");
  const start = performance.now();
  const outcome = deadline(hanging, 250).catch((e) => e);
  // Other calls in flight meanwhile are not disturbed.
  await expect(deadline(quick, 250)).resolves.toBe("quick");
  const error = await outcome;
  const waited = performance.now() - start;
  expect(error).toBeInstanceOf(DeadlineError);
  expect(error.code).toBe("DEADLINE_EXCEEDED");
  expect(cancelled).toBe(1);
  expect(waited).toBeGreaterThanOrEqual(245);
  expect(waited).toBeLessThan(1000);
});

Deno.test("deadline - many calls share the timer and leave none behind", async () => {
  // The test sanitizer fails this test if a timer is still set at its end.
  const calls = Array.from(
    { length: 1000 },
    (_, i) => deadline(later(i % 20, i), 5000),
  );
  const values = await Promise.all(calls);
  expect(values[999]).toBe(999);
});
