/**
 * Build and development tasks, Fresh's way: `deno task build` builds the
 * island modules and writes `_fresh/server.js`; `deno task dev` serves the
 * app in development mode.
 *
 * @module
 */
import { Builder } from "fresh/dev";
import type { State } from "./utils.ts";

const builder = new Builder<State>({ root: import.meta.dirname });

if (Deno.args.includes("build")) {
  await builder.build();
} else {
  await builder.listen(() => import("./main.ts"));
}
