/**
 * Applies a fresh build of the project at `root` to an app, as
 * `_fresh/server.js` does, for tests of the layer.
 *
 * @module
 */
import type { App } from "../app.ts";
import { Builder } from "../dev.ts";

/** Builds the project at `root` and applies the build to `app`. */
export async function built<State>(
  app: App<State>,
  root: string,
): Promise<App<State>> {
  (await new Builder<State>({ root }).build())(app);
  return app;
}
