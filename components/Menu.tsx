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
  return (
    <details
      class={props.class}
      onToggle={(e) => {
        const d = e.currentTarget;
        off.current?.();
        off.current = undefined;
        if (!d.open) return;
        listenForEscape();
        // Captured, so a press outside closes it whatever handles the press.
        const down = (e: PointerEvent) => {
          if (!d.contains(e.target as Node)) d.open = false;
        };
        addEventListener("pointerdown", down, true);
        const pop = pushLayer(() => {
          d.open = false;
          d.querySelector("summary")?.focus();
        });
        off.current = () => {
          pop();
          removeEventListener("pointerdown", down, true);
        };
      }}
    >
      <summary class="icon" aria-label={props.label} title={props.label}>
        {props.button}
      </summary>
      <div class="menu">{props.children}</div>
    </details>
  );
}
