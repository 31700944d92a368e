/**
 * JSON request bodies of the API: `Content-Type: application/json` (which
 * a cross-site form can't send without a CORS preflight), a small size
 * limit, and a 400 saying what is wrong with anything else.
 *
 * @module
 */
import { HttpError } from "fresh";
import { mediaTypeOf } from "./media_type.ts";

/** JSON bodies larger than this are refused; the API's are a few hundred bytes. */
export const MAX_JSON_BYTES = 16 * 1024;

/** The request's body parsed as JSON (`unknown`: narrow it with a schema). */
export async function readJson(req: Request): Promise<unknown> {
  if (mediaTypeOf(req.headers) !== "application/json") {
    throw new HttpError(415, "Expected Content-Type: application/json");
  }
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > MAX_JSON_BYTES) {
    throw new HttpError(413, `Body too large: at most ${MAX_JSON_BYTES} bytes`);
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    for await (const part of req.body) {
      size += part.length;
      if (size > MAX_JSON_BYTES) {
        throw new HttpError(
          413,
          `Body too large: at most ${MAX_JSON_BYTES} bytes`,
        );
      }
      parts.push(part);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HttpError(400, "Bad JSON: the body does not parse");
  }
}
