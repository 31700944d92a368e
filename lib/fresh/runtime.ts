/**
 * What code shared by the server and the browser may use, as
 * `fresh/runtime`: where it runs, asset URLs, `<Head>` and `<Partial>`.
 *
 * @module
 */
import { type ComponentChildren, h, type VNode } from "preact";

export { HttpError } from "./http_error.ts";

/** True in the browser, false on the server. */
export const IS_BROWSER: boolean = typeof document !== "undefined";

/** The query parameter that ties a static file's URL to one build. */
export const ASSET_CACHE_BUST_KEY = "__frsh_c";

let buildId = "";

/** @internal Set when a build is applied to an app. */
export function setBuildId(id: string): void {
  buildId = id;
}

/**
 * The URL of a static file tied to this build (`/styles.css` →
 * `/styles.css?__frsh_c=<build>`), which `staticFiles()` serves with a
 * year-long cache. Other URLs are returned unchanged.
 */
export function asset(path: string): string {
  if (!buildId || !path.startsWith("/") || path.startsWith("//")) return path;
  const url = new URL(path, "http://asset.local");
  if (url.searchParams.has(ASSET_CACHE_BUST_KEY)) return path;
  url.searchParams.set(ASSET_CACHE_BUST_KEY, buildId);
  return url.pathname + url.search + url.hash;
}

/** Props of {@link Head}. */
export interface HeadProps {
  /** Elements for the document's `<head>`. */
  children?: ComponentChildren;
}

/**
 * Puts its children into the document's `<head>` when rendered on the
 * server, wherever it is in the page; renders nothing in the browser.
 */
export function Head(props: HeadProps): VNode | null {
  return IS_BROWSER ? null : h("frsh-head", null, props.children) as VNode;
}

/** Props of {@link Partial}. */
export interface PartialProps {
  /** What the partial holds. */
  children?: ComponentChildren;
  /** The partial's name, unique on the page. */
  name: string;
  /** How new content is applied (default `"replace"`). */
  mode?: "replace" | "prepend" | "append";
}

/**
 * Marks a region of the page by name. This layer has no client-side
 * navigation, so it renders its children as they are.
 */
export function Partial(props: PartialProps): ComponentChildren {
  return props.children;
}
