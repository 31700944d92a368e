/**
 * A small request body (an API call's JSON, a form post) read whole, within
 * a size limit and a time limit: a client trickling its body can't hold a
 * connection for minutes, and one that hangs up mid-body is its own
 * business, not a server error.
 *
 * @module
 */
import { HttpError } from "fresh";

/** Options of {@link readSmallBody}. */
export interface SmallBodyOptions {
  /** Bytes the body may hold; more is a 413 saying `tooLarge`. */
  maxBytes: number;
  /** The 413's message. */
  tooLarge: string;
  /** How long the whole body may take to arrive; longer is a 408. */
  timeoutMs: number;
}

/**
 * The body of `req`, whole (empty when it has none). Throws a 413 past
 * `maxBytes` (declared or sent), a 408 when it has not all arrived within
 * `timeoutMs` (the answer closes the connection), and a 400 when the client
 * cut it off.
 */
export async function readSmallBody(
  req: Request,
  options: SmallBodyOptions,
): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > options.maxBytes) throw new HttpError(413, options.tooLarge);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new HttpError(
            408,
            `The request's body did not arrive within ${
              options.timeoutMs / 1000
            } s`,
          ),
        ),
      options.timeoutMs,
    );
  });
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([
        reader.read().catch(() => {
          throw new HttpError(400, "The request's body was cut off");
        }),
        late,
      ]);
      if (done) break;
      size += value.length;
      if (size > options.maxBytes) throw new HttpError(413, options.tooLarge);
      parts.push(value);
    }
  } catch (error) {
    // Read no more of it: the answer goes now and the connection with it.
    reader.cancel().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}
