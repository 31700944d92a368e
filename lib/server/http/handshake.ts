/**
 * The WebSocket opening handshake's own headers (RFC 6455, section 4.2.1),
 * checked by a route once its own refusals are made (a bad name first) and
 * before it claims anything for the connection (a guest's name, say): a
 * request the upgrade would refuse is answered here, as a JSON error like
 * every other refusal before the upgrade.
 *
 * @module
 */
import { jsonError } from "./json_errors.ts";

/** Why an upgrade request can't be upgraded, as an HTTP answer. */
export interface HandshakeProblem {
  /** 400, or 426 for a protocol version other than 13. */
  status: 400 | 426;
  /** Said to the client. */
  message: string;
  /** Headers the answer carries (the version spoken, with 426). */
  headers: Record<string, string>;
}

/** A nonce: 16 bytes in base64 (as the `ws` library checks it). */
const KEY = /^[A-Za-z0-9+/]{22}==$/;

/**
 * What is wrong with `req`'s handshake headers, or null when they are fine
 * (or it asks for no WebSocket at all: the route answers that).
 *
 * @example
 * ```ts
 * const problem = handshakeProblem(req);
 * if (problem) return jsonError(problem.status, problem.message);
 * ```
 */
export function handshakeProblem(req: Request): HandshakeProblem | null {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return null;
  const version = req.headers.get("sec-websocket-version");
  if (version?.trim() !== "13") {
    return {
      status: 426,
      message: `Unsupported Sec-WebSocket-Version ${
        JSON.stringify(version ?? "")
      }: this server speaks 13`,
      headers: { "sec-websocket-version": "13" },
    };
  }
  if (!KEY.test(req.headers.get("sec-websocket-key")?.trim() ?? "")) {
    return {
      status: 400,
      message: "Missing or invalid Sec-WebSocket-Key header",
      headers: {},
    };
  }
  return null;
}

/**
 * The JSON answer refusing `req`'s upgrade for its handshake headers, or
 * null when they are fine.
 */
export function handshakeRefusal(req: Request): Response | null {
  const problem = handshakeProblem(req);
  if (!problem) return null;
  const res = jsonError(problem.status, problem.message);
  for (const [k, v] of Object.entries(problem.headers)) res.headers.set(k, v);
  return res;
}
