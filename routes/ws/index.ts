import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { releaseOnClose } from "@/lib/server/http/connection_limits.ts";
import {
  checkName,
  type Identity,
  NameError,
} from "@/lib/server/chat/identity.ts";
import { serveV1 } from "@/lib/server/endpoints/native.ts";
import { handshakeRefusal } from "@/lib/server/http/handshake.ts";

/**
 * The native protocol (v1): `GET /ws?name={guest name}&token={guest token}`,
 * or with the `sid` cookie of a logged-in user. See docs/protocol.md.
 */
export const handler = define.handlers({
  GET(ctx) {
    const { chat, connections } = ctx.state;
    const name = ctx.url.searchParams.get("name") ?? "";
    const token = ctx.url.searchParams.get("token") ?? undefined;
    if (ctx.req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      throw new HttpError(400, "Expected a WebSocket upgrade request");
    }
    // A name no one may take is refused before the upgrade; the claim (a
    // store round trip or two) runs while the handshake completes, so a
    // connect storm doesn't keep thousands of requests in flight for it.
    // A logged-in user connects under the account's name; `name` is for guests.
    const account = ctx.state.user?.name;
    if (account === undefined) {
      try {
        checkName(name);
      } catch (error) {
        if (error instanceof NameError) throw new HttpError(400, error.message);
        throw error;
      }
    }
    // A handshake the upgrade would refuse claims no name.
    const refused = handshakeRefusal(ctx.req);
    if (refused) return refused;
    let identity: Identity | Promise<Identity>;
    try {
      identity = account !== undefined
        ? chat.identities.claimAccount(account)
        : chat.identities.claimGuest(name, token);
    } catch (error) {
      if (error instanceof NameError) throw new HttpError(400, error.message);
      throw error;
    }
    const { socket, response } = ctx.upgrade({
      idleTimeout: chat.config.idleTimeoutS,
    });
    releaseOnClose(socket, connections, ctx.state.clientAddress);
    serveV1(
      chat,
      socket,
      identity,
      ctx.state.clientAddress,
      ctx.state.user ? ctx.state.sessionId : undefined,
    );
    return response;
  },
});
