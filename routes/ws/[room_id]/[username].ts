import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { releaseOnClose } from "@/lib/server/http/connection_limits.ts";
import { serveOriginal } from "@/lib/server/endpoints/original.ts";
import { handshakeRefusal } from "@/lib/server/http/handshake.ts";

/**
 * The original project's room endpoint, `WS /ws/{room_id}/{username}`:
 * plain text in, `{"sender","message","room_id"}` out. A room that does not
 * exist is refused with 403 before the upgrade, as the original did.
 */
export const handler = define.handlers({
  async GET(ctx) {
    const { chat, connections } = ctx.state;
    const { room_id, username } = ctx.params;
    // Private rooms and DMs are for members; this endpoint has none.
    if (!(await chat.isPublic(room_id))) {
      throw new HttpError(403, `No such room: ${room_id}`);
    }
    const refused = handshakeRefusal(ctx.req);
    if (refused) return refused;
    const { socket, response } = ctx.upgrade({
      idleTimeout: chat.config.idleTimeoutS,
    });
    releaseOnClose(socket, connections, ctx.state.clientAddress);
    serveOriginal(
      chat,
      socket,
      "original_room",
      username,
      room_id,
      ctx.state.clientAddress,
    );
    return response;
  },
});
