import Echo from "../islands/Echo.tsx";
import { define } from "../state.ts";

/** Passes a function to an island, which can't be serialized. */
export default define.page(function BadProp() {
  return <Echo value={() => 1} />;
});
