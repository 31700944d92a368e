/**
 * The build cache: what a build hands to an app — its file routes, its
 * islands and the built browser modules. `Builder.build()` returns a
 * function applying one to an app; the generated `_fresh/server.js` applies
 * one in production. An app without one serves no file routes or islands.
 *
 * @module
 */
import type { Island } from "./islands.ts";
import type { Manifest } from "./build.ts";
import {
  loadFsRoutes,
  loadIslands,
  type Modules,
  type RootSegment,
  type Route,
} from "./loader.ts";

/** What a build gives an app. */
export interface BuildCache {
  /** The project folder. */
  root: string;
  /** The file routes, most specific first. */
  routes: Route[];
  /** Middleware and pages for URLs no file route matches. */
  rootSegment: RootSegment;
  /** Island components, with the URLs of their browser modules. */
  islands: Map<unknown, Island>;
  /** The browser build, `null` when there are no islands. */
  manifest: Manifest | null;
}

/**
 * Loads the file routes and islands of the project at `root` against the
 * browser build `manifest`; `modules` (from `_fresh/snapshot.js`) supplies
 * modules already imported, by path relative to `root`.
 */
export async function loadBuildCache(
  root: string,
  manifest: Manifest | null,
  modules: Modules = {},
): Promise<BuildCache> {
  const tree = await loadFsRoutes(root, modules);
  const islands = await loadIslands(root, manifest, modules);
  return {
    root,
    routes: tree.routes,
    rootSegment: tree.root,
    islands,
    manifest,
  };
}
