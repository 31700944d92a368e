import { HttpError } from "fresh";
import { define } from "@/utils.ts";
import { clientAddress } from "@/lib/server/http/client_address.ts";
import { metricsAllowed } from "@/lib/server/http/metrics_access.ts";

/**
 * `GET /metrics`: counters, gauges and histograms in Prometheus text format,
 * for loopback clients, a `METRICS_TOKEN` bearer, or anyone with
 * `METRICS_PUBLIC=true`.
 */
export const handler = define.handlers({
  GET(ctx) {
    const { config } = ctx.state.chat;
    const address = clientAddress(ctx.req, ctx.info, config);
    if (!metricsAllowed(ctx.req, address, config)) {
      throw new HttpError(
        config.metricsToken ? 401 : 403,
        config.metricsToken
          ? "Metrics: send Authorization: Bearer METRICS_TOKEN"
          : "Metrics: readable from loopback only (see METRICS_TOKEN)",
      );
    }
    return new Response(ctx.state.chat.metrics.render(), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  },
});
