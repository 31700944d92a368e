import type { ComponentChildren, VNode } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** Props of {@link Modal}. */
export interface ModalProps {
  /** The heading, also the dialog's name. */
  title: string;
  /** Element id of the heading. */
  id: string;
  /** Called when Escape, the × button or the backdrop closes it. */
  onClose: () => void;
  children: ComponentChildren;
}

/**
 * A modal `<dialog>`: focus stays inside while it is open and returns to
 * where it was when it closes.
 */
export function Modal({ title, id, onClose, children }: ModalProps): VNode {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    const before = document.activeElement as HTMLElement | null;
    if (d && !d.open) d.showModal();
    return () => {
      d?.close();
      if (before?.isConnected) before.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={id}
      onClose={onClose}
      onClick={(e) => {
        // A click on the backdrop lands on the dialog, outside its box.
        const r = e.currentTarget.getBoundingClientRect();
        if (
          e.target === e.currentTarget &&
          (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top ||
            e.clientY > r.bottom)
        ) onClose();
      }}
    >
      <div class="dialog-head">
        <h2 id={id}>{title}</h2>
        <button
          type="button"
          class="icon close"
          aria-label="Close"
          onClick={onClose}
        >
          ×
        </button>
      </div>
      {children}
    </dialog>
  );
}
