import type { ComponentChildren, VNode } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { pushLayer } from "@/lib/client/layers.ts";
import { listenForEscape } from "@/lib/client/hooks/use_layer.ts";

/** Props of {@link Menu}. */
export interface MenuProps {
  /** The classes of the `<details>` element. */
  class: string;
  /** The button's accessible name (and tooltip). */
  label: string;
  /** What the button shows. */
  button: ComponentChildren;
  /** The menu's entries. */
  children: ComponentChildren;
}

/**
 * A drop-down menu on a `<details>` element (it opens and closes without
 * script): Escape closes it, when it is the top-most layer, and gives the
 * focus back to its button; a click or tap outside closes it too.
 */
export function Menu(props: MenuProps): VNode {
  const off = useRef<() => void>();
  useEffect(() => () => off.current?.(), []);
  // Makes the menu a layer while open, and forgets it once closed. Called
  // at once when its button is pressed (so an Escape right after finds it),
  // and on every toggle (a menu entry closing it, say).
  const sync = (d: HTMLDetailsElement) => {
    if (d.open === (off.current !== undefined)) return;
    if (!d.open) {
      off.current?.();
      off.current = undefined;
      return;
    }
    listenForEscape();
    const close = () => {
      d.open = false;
      sync(d);
    };
    // Captured, so a press outside closes it whatever handles the press.
    const down = (e: PointerEvent) => {
      if (!d.contains(e.target as Node)) close();
    };
    addEventListener("pointerdown", down, true);
    const pop = pushLayer(() => {
      close();
      d.querySelector("summary")?.focus();
    });
    off.current = () => {
      pop();
      removeEventListener("pointerdown", down, true);
    };
  };
  return (
    <details
      class={props.class}
      onToggle={(e) => sync(e.currentTarget)}
    >
      <summary
        class="icon"
        aria-label={props.label}
        title={props.label}
        onClick={(e) => {
          const d = e.currentTarget.parentElement as HTMLDetailsElement;
          e.preventDefault();
          d.open = !d.open;
          sync(d);
        }}
      >
        {props.button}
      </summary>
      <div class="menu">{props.children}</div>
    </details>
  );
}
