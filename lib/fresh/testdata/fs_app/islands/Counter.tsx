import { useSignal } from "@preact/signals";
import { IS_BROWSER } from "fresh/runtime";

/** A counter starting at `start`; the button adds one once hydrated. */
export default function Counter({ start }: { start: number }) {
  const count = useSignal(start);
  return (
    <div class="counter">
      <p id="counter-value">{count}</p>
      <button
        type="button"
        id="counter-add"
        disabled={!IS_BROWSER}
        onClick={() => count.value++}
      >
        Add
      </button>
    </div>
  );
}
