/** A server component; its folder is not a route. */
export default function Widget() {
  return <span id="widget">Widget</span>;
}
