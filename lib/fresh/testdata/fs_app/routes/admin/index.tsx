import { page } from "fresh";
import { define } from "../../state.ts";

/** A handler object: GET renders the page with status and headers. */
export const handler = define.handlers({
  GET(ctx) {
    return page({ greeting: `Hello ${ctx.url.searchParams.get("name")}` }, {
      status: 201,
      headers: { "x-admin": "yes" },
    });
  },
  POST() {
    return new Response("Posted", { status: 202 });
  },
});

/** The admin page, showing every prop it gets. */
export default define.page<typeof handler>(
  function Admin({ data, url, params, state }) {
    return (
      <main id="admin">
        <p id="greeting">{data.greeting}</p>
        <p id="path">{url.pathname}</p>
        <p id="params">{JSON.stringify(params)}</p>
        <p id="trail">{state.trail.join(">")}</p>
      </main>
    );
  },
);
