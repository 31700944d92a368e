/**
 * File sizes as people read them, the same in the page and in the server's
 * refusals.
 *
 * @module
 */

/**
 * Bytes as people read them: 980 B, 12.3 KB, 4.5 MB (powers of 1,000).
 *
 * @example
 * ```ts
 * formatSize(12_345); // "12.3 KB"
 * ```
 */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/**
 * Why a file of `size` bytes is over `limit`: both readable, and exact
 * when rounding would make them look the same.
 *
 * @example
 * ```ts
 * tooLarge(12_000_000, 10_485_760); // "12.0 MB, the limit is 10.5 MB"
 * tooLarge(10_485_770, 10_485_760);
 * // "10,485,770 bytes, the limit is 10,485,760 bytes (10.5 MB)"
 * ```
 */
export function tooLarge(size: number, limit: number): string {
  if (formatSize(size) !== formatSize(limit)) {
    return `${formatSize(size)}, the limit is ${formatSize(limit)}`;
  }
  const exact = (n: number) => `${n.toLocaleString("en-US")} bytes`;
  return `${exact(size)}, the limit is ${exact(limit)} (${formatSize(limit)})`;
}
