import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { jsonErrors } from "@/lib/server/http/json_errors.ts";
import { clientAddress } from "@/lib/server/http/client_address.ts";
import { originAllowed } from "@/lib/server/http/origin.ts";

/**
 * Guards every WebSocket endpoint: a foreign Origin gets 403 before any
 * upgrade, and an address over its connection limit gets 429. The slot taken
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
