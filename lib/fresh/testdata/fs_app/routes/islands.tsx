import { signal } from "@preact/signals";
import Counter from "../islands/Counter.tsx";
import SharedCount from "../islands/SharedCount.tsx";
import TypeProbe from "../islands/TypeProbe.tsx";
import Widget from "./(_components)/Widget.tsx";
import { define } from "../state.ts";

/** A page of islands: a counter, two sharing a signal, a type probe. */
export default define.page(function Islands() {
  const shared = signal(10);
  return (
    <main>
      <Widget />
      <Counter start={3} />
      <SharedCount label="a" count={shared} />
      <SharedCount label="b" count={shared} />
      <TypeProbe
        date={new Date("2024-05-06T07:08:09.000Z")}
        url={new URL("https://example.com/a/b?c=d")}
        map={new Map([["a", 1], ["b", 2]])}
        set={new Set(["x", "y"])}
      />
    </main>
  );
});
