import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { jsonError, jsonErrors } from "@/lib/server/http/json_errors.ts";
import { handshakeProblem } from "@/lib/server/http/handshake.ts";
import { clientAddress } from "@/lib/server/http/client_address.ts";
import { originAllowed } from "@/lib/server/http/origin.ts";

/**
 * Guards every WebSocket endpoint: a foreign Origin gets 403 before any
 * upgrade, a malformed handshake 400 (426 for another protocol version),
 * and an address over its connection limit gets 429. The slot taken
 * here is given back when the socket closes (see `lib/server/http/connection_limits.ts`).
 */
const wsGuard = define.middleware(async function wsGuard(ctx) {
  const { chat, connections } = ctx.state;
  if (!originAllowed(ctx.req, chat.config)) {
    throw new HttpError(
      403,
      `Origin not allowed: ${ctx.req.headers.get("origin")}`,
    );
  }
  // Refused before a route claims anything (a guest's name) for it.
  const problem = handshakeProblem(ctx.req);
  if (problem) {
    const res = jsonError(problem.status, problem.message);
    for (const [k, v] of Object.entries(problem.headers)) res.headers.set(k, v);
    return res;
  }
  const address = clientAddress(ctx.req, ctx.info, chat.config);
  if (!connections.acquire(address)) {
    throw new HttpError(429, `Too many connections from ${address}`);
  }
  ctx.state.clientAddress = address;
  let upgraded = false;
  try {
    const res = await ctx.next();
    upgraded = res.status === 101;
    return res;
  } finally {
    if (!upgraded) connections.release(address);
  }
});

/** Refusals before the upgrade are JSON, like the API's. */
export default [define.middleware(jsonErrors()), wsGuard];
