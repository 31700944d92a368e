import { useSignal } from "@preact/signals";

/** A counter starting at `start`; the button adds one. */
export default function Counter({ start }: { start: number }) {
  const count = useSignal(start);
  return (
    <div class="counter">
      <p id="counter-value">{count}</p>
      <button type="button" id="counter-add" onClick={() => count.value++}>
        Add
      </button>
    </div>
  );
}
