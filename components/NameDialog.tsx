import type { VNode } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { USER_NAME } from "@/lib/shared/names.ts";

/** Props of {@link NameDialog}. */
export interface NameDialogProps {
  /** Why the last name was refused, if it was. */
  error: string;
  /** The page to come back to after logging in instead. */
  next: string;
  /** Called with a well-formed name; ill-formed ones are explained here. */
  onChoose: (name: string) => void;
  /** Called with the reason a typed name can't be used. */
  onInvalid: (message: string) => void;
}

/**
 * Asks a guest for a display name before joining: a modal `<dialog>`, so
 * focus stays inside it and the page behind is inert until a name is chosen.
 */
export function NameDialog(
  { error, next, onChoose, onInvalid }: NameDialogProps,
): VNode {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="name-title"
      // There is no chat without a name: Escape doesn't dismiss it.
      onCancel={(e) => e.preventDefault()}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          const input = (e.currentTarget as HTMLFormElement).elements
            .namedItem("name") as HTMLInputElement;
          const wanted = input.value.trim();
          if (USER_NAME.test(wanted)) onChoose(wanted);
          else onInvalid("Use 1–24 letters, digits, _, - or .");
        }}
      >
        <h2 id="name-title">Choose a name</h2>
        <p class="note">
          Or <a href={`/login?next=${encodeURIComponent(next)}`}>log in</a>{" "}
          to chat under your account.
        </p>
        <label for="name-input">Display name</label>
        <input
          id="name-input"
          name="name"
          autoFocus
          autoComplete="nickname"
          maxLength={24}
          required
          aria-describedby={error ? "name-error" : undefined}
        />
        {error && <p class="error" role="alert" id="name-error">{error}</p>}
        <button type="submit" class="button">Join the chat</button>
      </form>
    </dialog>
  );
}
