/**
 * The error a chat operation refuses with: a protocol error code and a
 * message the client sees.
 *
 * @module
 */
import { ERROR_CODES, type ErrorCode } from "@/lib/shared/protocol.ts";

/** An error a client should see, with its protocol code. */
export class ChatError extends Error {
  /** Always `"ChatError"`. */
  override name = "ChatError";
  /** Creates the error; the message defaults to the code's description. */
  constructor(readonly code: ErrorCode, message: string = ERROR_CODES[code]) {
    super(message);
  }
}
