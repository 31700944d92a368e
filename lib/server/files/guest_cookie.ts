/**
 * The guest cookie: a copy of a guest's token that the browser sends with
 * the requests scripts can't add a header to — `<img>` thumbnails and
 * download links of a private room's files, and the page of a private room
 * the guest reloads. Set by `POST /api/guest` from the `X-Guest-Token`
 * header the page already has; read only by downloads and the room page
 * (`GET`s that change nothing), so a cross-site form can't act as the
 * guest.
 *
 * @module
 */
import { getCookie, setCookie } from "@/lib/server/http/cookies.ts";

/** The cookie's name. */
export const GUEST_COOKIE = "guest";
/** How long the browser keeps it: as long as a guest's name hold, a year. */
const GUEST_COOKIE_TTL_S = 365 * 24 * 60 * 60;

/** The `Set-Cookie` value holding `token` (or deleting the cookie). */
export function guestCookie(token: string | null, secure: boolean): string {
  return setCookie(GUEST_COOKIE, token ?? "", {
    secure,
    maxAge: token ? GUEST_COOKIE_TTL_S : 0,
  });
}

/** The guest token in the request's cookie, if any. */
export function guestCookieOf(req: Request): string | undefined {
  return getCookie(req, GUEST_COOKIE);
}
