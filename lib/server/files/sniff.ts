/**
 * What a file is, from its bytes alone: the type an uploader declares is
 * never trusted. Binary formats are recognised by their signatures
 * (`file-type`), raster images' sizes read from their headers
 * (`image-size`); text is told apart from binary, and markup a browser
 * would run (HTML, SVG, XML) from plain text.
 *
 * @module
 */
import { fileTypeFromBuffer } from "file-type";
import { imageSize } from "image-size";

/** Bytes of a file's start that {@link sniff} looks at (a JPEG's size may sit behind its EXIF block). */
export const SNIFF_BYTES = 256 * 1024;

/** The raster image types browsers show inline. */
export const RASTER_IMAGES: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
]);

/** What sniffing found. */
export interface Sniffed {
  /** The MIME type. */
  type: string;
  /** Pixels across, for a raster image whose header gives it. */
  width?: number;
  /** Pixels down, likewise. */
  height?: number;
}

/**
 * The type of a file whose first bytes are `head` (all of it when the file
 * is no longer than {@link SNIFF_BYTES}).
 *
 * @example
 * ```ts
 * await sniff(new TextEncoder().encode("<!doctype html><p>hi")); // { type: "text/html" }
 * ```
 */
export async function sniff(head: Uint8Array): Promise<Sniffed> {
  const found = await fileTypeFromBuffer(head).catch(() => undefined);
  if (found && RASTER_IMAGES.has(found.mime)) {
    return { type: found.mime, ...dimensions(head) };
  }
  // XML-based types are text: whether they are markup is decided below.
  if (found && !found.mime.includes("xml")) return { type: found.mime };
  const text = asText(head);
  if (text === null) return { type: "application/octet-stream" };
  return { type: markupType(text) ?? "text/plain" };
}

function dimensions(head: Uint8Array): { width?: number; height?: number } {
  try {
    const { width, height } = imageSize(head);
    return width > 0 && height > 0 ? { width, height } : {};
  } catch {
    return {}; // A header cut off or odd: the type stands, the size is unknown.
  }
}

/** Control characters that never occur in text (all C0 but tab, LF, FF, CR, ESC). */
// deno-lint-ignore no-control-regex
const BINARY = /[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]/;

/** The bytes as UTF-8 text, or null when they are not text. */
function asText(head: Uint8Array): string | null {
  // A multi-byte character may be cut at the end of the head.
  for (let cut = 0; cut < 4 && cut <= head.length; cut++) {
    try {
      const text = new TextDecoder("utf-8", { fatal: true }).decode(
        head.subarray(0, head.length - cut),
      );
      return BINARY.test(text) ? null : text;
    } catch { /* try without the last bytes */ }
  }
  // UTF-16 text (with its byte order mark) is text too, and may be markup.
  for (
    const [bom, label] of [[[0xff, 0xfe], "utf-16le"], [
      [0xfe, 0xff],
      "utf-16be",
    ]] as const
  ) {
    if (head[0] === bom[0] && head[1] === bom[1]) {
      const text = new TextDecoder(label).decode(head);
      return BINARY.test(text) ? null : text;
    }
  }
  return null;
}

/** Tags whose presence near the start makes a browser treat text as HTML. */
const HTML_START =
  /^<(!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p|img|svg|object|embed|meta|link|form|!--)[\s/>]/;

/**
 * The markup type of `text`, if a browser could take it for markup: HTML
 * by WHATWG's sniffing patterns or a script/event handler anywhere in the
 * head, SVG, or other XML.
 */
function markupType(text: string): string | null {
  const start = text.replace(/^\ufeff/, "").trimStart().toLowerCase();
  const head = start.slice(0, 4096);
  if (/<svg[\s>]/.test(head)) return "image/svg+xml";
  if (head.startsWith("<?xml")) return "application/xml";
  if (HTML_START.test(head)) return "text/html";
  if (/<(script|iframe|html|body)[\s>]/.test(head)) return "text/html";
  return null;
}
