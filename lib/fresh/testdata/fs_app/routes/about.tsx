import { page } from "fresh";
import { define } from "../state.ts";

/** Page data of the about page. */
export const handler = define.handlers({
  GET: () => page({ title: "About" }),
});

/** A page without islands. */
export default define.page<typeof handler>(function About({ data }) {
  return <h1 id="about">{data.title}</h1>;
});
