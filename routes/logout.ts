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
 * of the account, on every device. Sockets opened with an ended session
 * close (1008, "Logged out"), so no open page goes on as the account. There
 * is no GET: a link or an image can't log anyone out.
 */
export const handler = define.handlers({
  async POST(ctx) {
    const { auth, chat } = ctx.state;
    const secure = isSecureRequest(ctx.req, chat.config.trustProxy);
    const form = await verifiedForm(ctx.req, ctx.state.sessionId, secure);
    const { user, sessionId } = ctx.state;
    const everywhere = form.get("everywhere") === "1" && user;
    if (everywhere) await auth.sessions.deleteAll(user.name);
    await auth.sessions.delete(getCookie(ctx.req, SESSION_COOKIE));
    // Pages open with the session (or any, everywhere) are signed in no more.
    if (user && (everywhere || sessionId)) {
      await chat.loggedOut(user.name, everywhere ? undefined : sessionId);
    }
    const res = ctx.redirect("/", 303);
    res.headers.append("set-cookie", clearSessionCookie(secure));
    return res;
  },
});
