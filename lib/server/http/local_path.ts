/**
 * Where to send a user after a form: only a path on this site, so a
 * `?next=` link can't bounce anyone to another origin (open redirect).
 *
 * @module
 */

const BASE = "http://local.invalid";

/**
 * `next` when it is a path on this site (`/rooms?x=1`), else `/`.
 * Protocol-relative (`//evil.example`, also after dot segments:
 * `/..//evil.example`), backslashed (`/\evil.example`) and absolute URLs are
 * refused.
 */
export function localPath(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.length > 2048) return "/";
  // deno-lint-ignore no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(next) || next.startsWith("//")) {
    return "/";
  }
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE) return "/";
  // Dot segments can leave a protocol-relative path: "/..//evil.example"
  // resolves to "//evil.example", which a browser reads as another host.
  if (url.pathname.startsWith("//")) return "/";
  return url.pathname + url.search + url.hash;
}
