/**
 * What the generated `_fresh/server.js` uses, as `fresh/internal`: applying
 * a build snapshot to the app `main.ts` exports.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type App, setBuildCache } from "./app.ts";
import type { Manifest } from "./build.ts";
import { loadBuildCache } from "./build_cache.ts";
import type { Modules } from "./loader.ts";

export { setBuildCache };

/** The module `_fresh/snapshot.js`: the build manifest and every module. */
export interface Snapshot {
  /** The browser build, `null` without islands. */
  manifest: Manifest | null;
  /** Route, layout, middleware and island modules by project-relative path. */
  modules: Modules;
}

/** Applies the build in `snapshot` of the project at `root` to `app`. */
export async function applySnapshot<State>(
  app: App<State>,
  root: URL,
  snapshot: Snapshot,
): Promise<void> {
  const dir = fileURLToPath(root).replace(/\/$/, "");
  const cache = await loadBuildCache(dir, snapshot.manifest, snapshot.modules);
  setBuildCache(app, cache, "production");
}
