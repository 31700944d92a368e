import { expect } from "expect";
import { closeTopLayer, pushLayer } from "./layers.ts";

Deno.test("layers - Escape closes the top-most open layer only, one per press", () => {
  const closed: string[] = [];
  pushLayer(() => closed.push("drawer"));
  const removeMenu = pushLayer(() => closed.push("menu"));
  pushLayer(() => closed.push("thread"));
  expect(closeTopLayer()).toBe(true);
  expect(closed).toEqual(["thread"]);
  // A layer closed by other means is no longer in the way.
  removeMenu();
  expect(closeTopLayer()).toBe(true);
  expect(closed).toEqual(["thread", "drawer"]);
  expect(closeTopLayer()).toBe(false);
});
