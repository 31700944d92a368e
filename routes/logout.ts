import { define } from "@/utils.ts";
import { getCookie, isSecureRequest } from "@/lib/server/http/cookies.ts";
import { verifiedForm } from "@/lib/server/auth/csrf.ts";
import {
  clearSessionCookie,
  SESSION_COOKIE,
} from "@/lib/server/auth/login_sessions.ts";

/**
 * `POST /logout` (a form post carrying the CSRF token) ends the session and
 * redirects (303) home; with the field `everywhere=1` it ends every session
 * of the account, on every device. There is no GET: a link or an image
 * can't log anyone out.
 */
export const handler = define.handlers({
  async POST(ctx) {
    const { auth, chat } = ctx.state;
    const secure = isSecureRequest(ctx.req, chat.config.trustProxy);
    const form = await verifiedForm(ctx.req, ctx.state.sessionId, secure);
    if (form.get("everywhere") === "1" && ctx.state.user) {
      await auth.sessions.deleteAll(ctx.state.user.name);
    }
    await auth.sessions.delete(getCookie(ctx.req, SESSION_COOKIE));
    const res = ctx.redirect("/", 303);
    res.headers.append("set-cookie", clearSessionCookie(secure));
    return res;
  },
});
