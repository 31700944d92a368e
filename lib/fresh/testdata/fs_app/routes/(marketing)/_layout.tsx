import { define } from "../../state.ts";

/** The layout of the marketing group's pages. */
export default define.layout(function MarketingLayout({ Component }) {
  return (
    <div id="marketing-layout">
      <Component />
    </div>
  );
});
