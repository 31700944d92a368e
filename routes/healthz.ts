import { define } from "@/utils.ts";

/** `GET /healthz`: the process is alive and serving. */
export const handler = define.handlers({
  GET() {
    return Response.json({ status: "ok" });
  },
});
