import { define } from "@/utils.ts";

/** `GET /metrics`: counters, gauges and histograms in Prometheus text format. */
export const handler = define.handlers({
  GET(ctx) {
    return new Response(ctx.state.chat.metrics.render(), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  },
});
