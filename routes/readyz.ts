import { define } from "@/utils.ts";

/** `GET /readyz`: 200 when the store (KV) and the bus answer, else 503. */
export const handler = define.handlers({
  async GET(ctx) {
    const checks = await ctx.state.chat.health();
    const ready = checks.store && checks.bus;
    return Response.json({ status: ready ? "ready" : "unavailable", checks }, {
      status: ready ? 200 : 503,
    });
  },
});
