/**
 * The headers a stored file is served with, so no upload can run as a page
 * of this site: the type is the sniffed one (never the uploader's), browsers
 * may not guess another (`nosniff`), only raster images show inline, and
 * markup (HTML, SVG, XML, scripts) goes out as an opaque download.
 *
 * @module
 */
import { withoutBidi } from "@/lib/shared/text.ts";
import { RASTER_IMAGES } from "./sniff.ts";

/** Types served as `application/octet-stream`: a browser could run them. */
const MARKUP = /html|xml|svg|javascript|ecmascript|xhtml/;

/** What the headers depend on. */
export interface ServedFile {
  /** The sniffed type. */
  type: string;
  /** The name to save it under. */
  name: string;
  /** Its size in bytes. */
  size: number;
  /** Its id, which names one unchanging content (the ETag). */
  id: string;
  /** Whether the room it belongs to is public (shared caches may keep it). */
  publicRoom: boolean;
}

/**
 * The response headers of `file` (without `Content-Length`, which depends
 * on the range sent).
 */
export function fileHeaders(file: ServedFile): Headers {
  const inline = RASTER_IMAGES.has(file.type);
  const type = inline
    ? file.type
    : MARKUP.test(file.type)
    ? "application/octet-stream"
    : file.type === "text/plain"
    ? "text/plain; charset=utf-8"
    : file.type;
  return new Headers({
    "content-type": type,
    "content-disposition": `${inline ? "inline" : "attachment"}; ${
      filenameParams(file.name)
    }`,
    "x-content-type-options": "nosniff",
    "cross-origin-resource-policy": "same-origin",
    // no-transform: byte ranges refer to these bytes, never a gzipped copy.
    "cache-control": file.publicRoom
      ? "public, max-age=86400, no-transform"
      : "private, max-age=86400, no-transform",
    "accept-ranges": "bytes",
    etag: `"${file.id}"`,
  });
}

/**
 * `filename` (ASCII, quoted) and `filename*` (UTF-8, RFC 8187) parameters
 * of a `Content-Disposition` for `name`, without bidi controls (names
 * stored before uploads dropped them included), so the saved file can't
 * pose as another type.
 */
export function filenameParams(stored: string): string {
  const name = withoutBidi(stored);
  const ascii = name.normalize("NFKD").replace(/[^\x20-\x7e]/g, "_")
    .replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
