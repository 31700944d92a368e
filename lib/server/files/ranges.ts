/**
 * The byte ranges of uploads and downloads: `Content-Range` on a `PUT` of
 * an upload's bytes, `Range` on a `GET` of a file. A malformed
 * `Content-Range` is a 400 saying what was expected; a `Range` is ignored
 * when invalid (the whole file is sent, as RFC 9110 allows) and a 416 when
 * it lies outside the file.
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
 * A download's `Range` that no byte of the file satisfies: a 416, whose
 * response gives the file's size in its `Content-Range` (`bytes` and `*`
 * for the range).
 */
export class RangeNotSatisfiableError extends HttpError {
  /** The file's size in bytes. */
  readonly size: number;

  /** The error for a file of `size` bytes. */
  constructor(size: number) {
    super(416, `Range not satisfiable: the file is ${size} bytes`);
    this.name = "RangeNotSatisfiableError";
    this.size = size;
  }
}

/**
 * The one range a download's `Range: bytes=…` asks for within a file of
 * `size` bytes, as `[from, to)`; null (the whole file is sent) without the
 * header, for several ranges, or for an invalid one (`bytes=5-3`, its last
 * byte before its first). Throws {@link RangeNotSatisfiableError} for a
 * range that starts past the file's end (or asks for its last 0 bytes).
 *
 * @example
 * ```ts
 * parseRange("bytes=100-199", 1000); // [100, 200]
 * parseRange("bytes=-100", 1000); // [900, 1000]
 * parseRange("bytes=5-3", 1000); // null: invalid, ignored
 * ```
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
    if (m[2] !== "" && Number(m[2]) < from) return null;
    to = m[2] === "" ? size : Math.min(size, Number(m[2]) + 1);
  }
  if (from >= size || to <= from) throw new RangeNotSatisfiableError(size);
  return [from, to];
}
