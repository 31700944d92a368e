/**
 * The device cookie: proof that this browser logged in to an account
 * before, so the username-wide login slowdown (see `login_limiter.ts`)
 * doesn't keep the owner out while others guess the password. It holds the
 * folded account name, a random nonce and an HMAC keyed with the account's
 * password hash: any instance can check it without storing anything, and a
 * password change voids every device cookie of the account.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { fold } from "@/lib/shared/names.ts";
import { setCookie } from "@/lib/server/http/cookies.ts";
import type { Account } from "@/lib/server/store/store.ts";
import { base64url } from "./login_sessions.ts";

/** The name of the device cookie. */
export const DEVICE_COOKIE = "device";
/** How long a device is remembered: a year. */
const DEVICE_TTL_S = 365 * 24 * 60 * 60;

function mac(account: Account, nonce: string): string {
  return createHmac("sha256", account.passwordHash)
    .update(`device\u0000${fold(account.name)}\u0000${nonce}`)
    .digest("base64url");
}

/** A fresh device token for `account`. */
export function deviceToken(account: Account): string {
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const name = Buffer.from(fold(account.name)).toString("base64url");
  return `${name}.${nonce}.${mac(account, nonce)}`;
}

/** Whether `token` (a cookie's value) was issued to `account`. */
export function isDeviceOf(
  token: string | undefined,
  account: Account | null,
): boolean {
  if (!token || !account || token.length > 200) return false;
  const [name, nonce, sent] = token.split(".");
  if (sent === undefined) return false;
  if (Buffer.from(name, "base64url").toString() !== fold(account.name)) {
    return false;
  }
  const expected = Buffer.from(mac(account, nonce));
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The `Set-Cookie` value remembering this device for `account`. */
export function deviceCookie(account: Account, secure: boolean): string {
  return setCookie(DEVICE_COOKIE, deviceToken(account), {
    secure,
    maxAge: DEVICE_TTL_S,
  });
}
