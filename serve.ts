/**
 * The production entry, `deno task start`: reads the configuration, serves
 * the built app (`_fresh/server.js`, written by `deno task build`) and
 * shuts down gracefully on SIGINT or SIGTERM.
 *
 * @module
 */
import { loadConfigOrReport } from "@/lib/server/config.ts";
import { logger, setupLogging } from "@/lib/server/log.ts";
import { listen, type Listener } from "@/lib/server/http/listen.ts";
import { StartError } from "@/lib/server/start_error.ts";
import { services } from "./main.ts";

const log = logger("server");

/** The module `deno task build` writes: the app's fetch handler. */
interface Built {
  default: { fetch: Deno.ServeHandler<Deno.NetAddr> };
}

if (import.meta.main) {
  const config = loadConfigOrReport(Deno.env.toObject(), console.error);
  if (!config) Deno.exit(2);
  await setupLogging(config.logLevel, config.logFormat);
  const entry = new URL("./_fresh/server.js", import.meta.url);
  let built: Built;
  try {
    built = await import(entry.href);
  } catch (error) {
    if (!(error instanceof TypeError && /not found/i.test(error.message))) {
      throw error;
    }
    console.error("No build found: run `deno task build` first");
    Deno.exit(2);
  }
  // Opened now, so a bad store, an unreachable bus or an address that can't
  // be listened on stops the start with one line, as a bad setting does.
  let server: Listener;
  try {
    server = await listen(built.default.fetch, await services());
  } catch (error) {
    if (!(error instanceof StartError)) throw error;
    console.error(error.message);
    Deno.exit(2);
  }
  console.log(`Listening on ${server.url}`);
  const stop = async (signal: string) => {
    log.info("{signal}: shutting down", { signal });
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
}
