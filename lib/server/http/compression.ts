/**
 * Compressed responses: text bodies (HTML, JSON, CSS, JavaScript, SVG)
 * above {@link MIN_COMPRESS_BYTES} are sent gzipped to clients that accept
 * it, with `Vary: Accept-Encoding` and a weak ETag (the bytes changed, the
 * content didn't). Bodies already encoded (precompressed built modules) are
 * left alone.
 *
 * @module
 */

/** Bodies smaller than this go as they are: gzip would gain little. */
export const MIN_COMPRESS_BYTES = 1024;

const COMPRESSIBLE =
  /^(text\/|application\/(json|javascript|manifest\+json|xml)|image\/svg\+xml)/i;

/** Whether an `Accept-Encoding` header accepts `coding` (q-values honoured). */
export function accepts(header: string | null, coding: string): boolean {
  if (!header) return false;
  let star: boolean | undefined;
  for (const part of header.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const ok = q === undefined || Number(q.slice(2)) > 0;
    if (name === coding) return ok;
    if (name === "*") star = ok;
  }
  return star ?? false;
}

/** Wraps a request handler so its text responses go gzipped when accepted. */
export function withCompression<A extends unknown[]>(
  handler: (req: Request, ...rest: A) => Response | Promise<Response>,
): (req: Request, ...rest: A) => Promise<Response> {
  return async (req, ...rest) => {
    const res = await handler(req, ...rest);
    // A status without a body first: its headers need not even be made.
    if (res.status === 101 || res.status === 204 || res.status === 304) {
      return res;
    }
    const type = res.headers.get("content-type") ?? "";
    if (
      !COMPRESSIBLE.test(type) ||
      res.headers.has("content-encoding") ||
      /no-transform/i.test(res.headers.get("cache-control") ?? "")
    ) return res;
    const headers = new Headers(res.headers);
    headers.append("vary", "Accept-Encoding");
    const init = { status: res.status, statusText: res.statusText, headers };
    const length = res.headers.get("content-length");
    if (
      !res.body || !accepts(req.headers.get("accept-encoding"), "gzip") ||
      (length !== null && Number(length) < MIN_COMPRESS_BYTES)
    ) return new Response(res.body, init);
    let body: ReadableStream<BufferSource> = res.body;
    if (length === null) {
      // A rendered page or JSON: small enough to look at whole first.
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.byteLength < MIN_COMPRESS_BYTES) {
        return new Response(bytes, init);
      }
      body = new Blob([bytes]).stream();
    }
    headers.set("content-encoding", "gzip");
    headers.delete("content-length");
    const etag = headers.get("etag");
    if (etag && !etag.startsWith("W/")) headers.set("etag", `W/${etag}`);
    return new Response(
      body.pipeThrough(new CompressionStream("gzip")),
      init,
    );
  };
}
