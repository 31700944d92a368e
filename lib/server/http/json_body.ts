/**
 * JSON request bodies of the API: `Content-Type: application/json` (which
 * a cross-site form can't send without a CORS preflight), a small size
 * limit, and a 400 saying what is wrong with anything else.
 *
 * @module
 */
import { HttpError } from "fresh";
import { mediaTypeOf } from "./media_type.ts";
import { readSmallBody } from "./small_body.ts";

/** JSON bodies larger than this are refused; the API's are a few hundred bytes. */
export const MAX_JSON_BYTES = 16 * 1024;

/** How long a JSON body may take to arrive unless told otherwise. */
export const JSON_BODY_TIMEOUT_MS = 10_000;

/**
 * The request's body parsed as JSON (`unknown`: narrow it with a schema);
 * the whole body must arrive within `timeoutMs` (408 otherwise).
 */
export async function readJson(
  req: Request,
  timeoutMs: number = JSON_BODY_TIMEOUT_MS,
): Promise<unknown> {
  if (mediaTypeOf(req.headers) !== "application/json") {
    throw new HttpError(415, "Expected Content-Type: application/json");
  }
  const bytes = await readSmallBody(req, {
    maxBytes: MAX_JSON_BYTES,
    tooLarge: `Body too large: at most ${MAX_JSON_BYTES} bytes`,
    timeoutMs,
  });
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HttpError(400, "Bad JSON: the body does not parse");
  }
}
