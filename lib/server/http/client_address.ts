/**
 * Who is asking: the client's address, as per-address limits count it.
 *
 * @module
 */
import type { Config } from "@/lib/server/config.ts";

/**
 * The client's address: the socket's, or, with `TRUST_PROXY`, the last
 * `X-Forwarded-For` entry — the one our proxy added; earlier ones come from
 * the client and can be forged.
 */
export function clientAddress(
  req: Request,
  info: Deno.ServeHandlerInfo | undefined,
  config: Config,
): string {
  if (config.trustProxy) {
    const forwarded = req.headers.get("x-forwarded-for")?.split(",").at(-1)
      ?.trim();
    if (forwarded) return forwarded;
  }
  const addr = info?.remoteAddr;
  return addr && "hostname" in addr ? addr.hostname : "unknown";
}
