import type { VNode } from "preact";
import { Modal } from "./Modal.tsx";

const SHORTCUTS: [string, string][] = [
  ["Ctrl+K or ⌘K", "Switch to a room by name"],
  ["Alt+↑ / Alt+↓", "Previous / next room"],
  ["Alt+Shift+↑ / Alt+Shift+↓", "Previous / next room with unread messages"],
  ["↑ in an empty message box", "Edit your last message"],
  ["Esc", "Cancel an edit, close a dialog or drawer"],
  ["Enter / Shift+Enter", "Send / new line"],
  ["?", "This list"],
];

/** The `?` dialog: every keyboard shortcut. */
export function HelpDialog({ onClose }: { onClose: () => void }): VNode {
  return (
    <Modal title="Keyboard shortcuts" id="help-title" onClose={onClose}>
      <dl class="shortcuts">
        {SHORTCUTS.map(([keys, what]) => (
          <div key={keys}>
            <dt>
              <kbd>{keys}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
    </Modal>
  );
}
