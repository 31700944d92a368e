import { define } from "@/utils.ts";
import { releaseOnClose } from "@/lib/server/http/connection_limits.ts";
import { serveOriginal } from "@/lib/server/endpoints/original.ts";
import { handshakeRefusal } from "@/lib/server/http/handshake.ts";

/**
 * The original client endpoint, `WS /ws/{client_id}`: plain text in,
 * `"{client_id}: {text}"` out to every client of this endpoint.
 */
export const handler = define.handlers({
  GET(ctx) {
    const { chat, connections } = ctx.state;
    const refused = handshakeRefusal(ctx.req);
    if (refused) return refused;
    const { socket, response } = ctx.upgrade({
      idleTimeout: chat.config.idleTimeoutS,
    });
    releaseOnClose(socket, connections, ctx.state.clientAddress);
    serveOriginal(
      chat,
      socket,
      "original_client",
      ctx.params.client_id,
      chat.config.rooms[0],
      ctx.state.clientAddress,
    );
    return response;
  },
});
