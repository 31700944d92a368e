/**
 * Who may read `/metrics`: everyone with `METRICS_PUBLIC`, a holder of
 * `METRICS_TOKEN` (`Authorization: Bearer …`), and otherwise only clients on
 * loopback (behind a trusted proxy, the forwarded address counts).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import type { Config } from "@/lib/server/config.ts";

/** Whether the request from `address` may read the metrics. */
export function metricsAllowed(
  req: Request,
  address: string,
  config: Config,
): boolean {
  if (config.metricsPublic) return true;
  if (config.metricsToken !== undefined) {
    // The scheme is case-insensitive (RFC 9110, section 11.1).
    const given = /^bearer +(.+)$/i.exec(req.headers.get("authorization") ?? "")
      ?.[1];
    return given !== undefined && sameSecret(given, config.metricsToken);
  }
  return isLoopback(address);
}

/** Whether an address is this machine's. */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1" ||
    /^::ffff:127\./i.test(address);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
