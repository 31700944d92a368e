import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { isGuestToken } from "@/lib/server/chat/identity.ts";
import { isSecureRequest } from "@/lib/server/http/cookies.ts";
import { guestCookie } from "@/lib/server/files/guest_cookie.ts";

/**
 * `POST /api/guest` with `X-Guest-Token`: stores the token in an HttpOnly
 * cookie, so the guest's browser can load its private rooms' images and
 * pages; `DELETE` forgets it. 400 for a missing or malformed token.
 */
export const handler = define.handlers({
  POST(ctx) {
    const token = ctx.req.headers.get("x-guest-token");
    if (!isGuestToken(token)) {
      throw new HttpError(400, "X-Guest-Token must be a guest token");
    }
    const secure = isSecureRequest(ctx.req, ctx.state.chat.config.trustProxy);
    return new Response(null, {
      status: 204,
      headers: { "set-cookie": guestCookie(token, secure) },
    });
  },
  DELETE(ctx) {
    const secure = isSecureRequest(ctx.req, ctx.state.chat.config.trustProxy);
    return new Response(null, {
      status: 204,
      headers: { "set-cookie": guestCookie(null, secure) },
    });
  },
});
