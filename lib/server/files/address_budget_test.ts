import { expect } from "expect";
import { AddressBudget } from "./address_budget.ts";

Deno.test("address budget - grants up to the limit per window, then says how long to wait", () => {
  let now = 1_000;
  const budget = new AddressBudget(100, 60_000, () => now);
  expect(budget.take("1.2.3.4", 60)).toBe(0);
  expect(budget.take("1.2.3.4", 40)).toBe(0);
  now += 15_000;
  expect(budget.take("1.2.3.4", 1)).toBe(45_000);
  // Another address has a budget of its own.
  expect(budget.take("5.6.7.8", 100)).toBe(0);
  // A refund makes room again; a new window starts afresh.
  budget.refund("1.2.3.4", 40);
  expect(budget.take("1.2.3.4", 40)).toBe(0);
  now += 45_000;
  expect(budget.take("1.2.3.4", 100)).toBe(0);
});
