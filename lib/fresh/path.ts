/**
 * Path helpers from `node:path` and `node:url`, in one place.
 *
 * @module
 */
export { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The `file:` URL of an absolute path. */
export function toFileUrl(path: string): URL {
  return pathToFileURL(path);
}
