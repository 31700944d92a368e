import type { Signal } from "@preact/signals";

/** Shows and increments a count that other islands may share. */
export default function SharedCount(
  { label, count }: { label: string; count: Signal<number> },
) {
  return (
    <div class="shared">
      <span id={`shared-${label}`}>{count}</span>
      <button
        type="button"
        id={`shared-${label}-add`}
        onClick={() => count.value++}
      >
        Add {label}
      </button>
    </div>
  );
}
