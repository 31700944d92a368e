/**
 * Build and development tasks, Fresh's way: `deno task build` builds the
 * island modules and writes `_fresh/server.js`; `deno task dev` serves the
 * app in development mode on the configuration's `PORT` and `HOSTNAME`.
 *
 * @module
 */
import { Builder } from "fresh/dev";
import { loadConfigOrReport } from "@/lib/server/config.ts";
import type { State } from "./utils.ts";

const builder = new Builder<State>({ root: import.meta.dirname });

if (Deno.args.includes("build")) {
  await builder.build();
} else {
  const config = loadConfigOrReport(Deno.env.toObject(), console.error);
  if (!config) Deno.exit(2);
  await builder.listen(() => import("./main.ts"), {
    port: config.port,
    hostname: config.hostname,
  });
}
