/**
 * The byte ranges of uploads and downloads: `Content-Range` on a `PUT` of
 * an upload's bytes, `Range` on a `GET` of a file. A malformed header is a
 * 400 (or 416 for a download's range outside the file) saying what was
 * expected.
 *
 * @module
 */
import { HttpError } from "fresh";

/** Where a `PUT`'s bytes go: `start` to `end` inclusive, of `total` (or unknown). */
export interface ContentRange {
  /** The first byte's offset. */
  start: number;
  /** The last byte's offset (inclusive). */
  end: number;
  /** The whole file's size, when the client said it. */
  total?: number;
}

const CONTENT_RANGE = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16}|\*)$/;

/**
 * Parses `Content-Range: bytes {start}-{end}/{total}`. Without the header,
 * the body is taken to start at 0 and run `length` bytes (a one-request
 * upload), when `length` is known.
 *
 * @example
 * ```ts
 * parseContentRange("bytes 0-99/1000", 100); // { start: 0, end: 99, total: 1000 }
 * ```
 */
export function parseContentRange(
  header: string | null,
  length: number | undefined,
): ContentRange {
  if (header === null) {
    if (length === undefined || length === 0) {
      throw new HttpError(
        400,
        "Bad range: send Content-Range: bytes {start}-{end}/{total}",
      );
    }
    return { start: 0, end: length - 1 };
  }
  const m = CONTENT_RANGE.exec(header.trim());
  if (!m) {
    throw new HttpError(
      400,
      `Bad range: expected Content-Range: bytes {start}-{end}/{total}, got ${
        JSON.stringify(header.slice(0, 80))
      }`,
    );
  }
  const start = Number(m[1]), end = Number(m[2]);
  const total = m[3] === "*" ? undefined : Number(m[3]);
  if (end < start || (total !== undefined && end >= total)) {
    throw new HttpError(
      400,
      `Bad range: ${header} is empty or ends past the file`,
    );
  }
  if (length !== undefined && length !== end - start + 1) {
    throw new HttpError(
      400,
      `Bad range: ${header} is ${end - start + 1} bytes, the body ${length}`,
    );
  }
  return { start, end, total };
}

/**
 * The one range a download's `Range: bytes=…` asks for within a file of
 * `size` bytes, as `[from, to)`; null without the header or for several
 * ranges (the whole file is sent). Throws 416 for a range outside the file.
 */
export function parseRange(
  header: string | null,
  size: number,
): [from: number, to: number] | null {
  if (header === null) return null;
  const m = /^bytes=(\d{0,16})-(\d{0,16})$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let from: number, to: number;
  if (m[1] === "") {
    // The last n bytes.
    from = Math.max(0, size - Number(m[2]));
    to = size;
  } else {
    from = Number(m[1]);
    to = m[2] === "" ? size : Math.min(size, Number(m[2]) + 1);
  }
  if (from >= size || to <= from) {
    throw new HttpError(
      416,
      `Range not satisfiable: the file is ${size} bytes`,
    );
  }
  return [from, to];
}
