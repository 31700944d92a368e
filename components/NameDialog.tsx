import type { VNode } from "preact";
import { USER_NAME } from "@/lib/shared/names.ts";

/** Props of {@link NameDialog}. */
export interface NameDialogProps {
  /** Why the last name was refused, if it was. */
  error: string;
  /** Called with a well-formed name; ill-formed ones are explained here. */
  onChoose: (name: string) => void;
  /** Called with the reason a typed name can't be used. */
  onInvalid: (message: string) => void;
}

/** Asks a guest for a display name before joining. */
export function NameDialog(
  { error, onChoose, onInvalid }: NameDialogProps,
): VNode {
  return (
    <div class="overlay">
      <form
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="name-title"
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
          Or <a href="/login">log in</a> to chat under your account.
        </p>
        <label for="name-input">Display name</label>
        <input
          id="name-input"
          name="name"
          autoFocus
          autoComplete="nickname"
          maxLength={24}
          required
        />
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="button">Join the chat</button>
      </form>
    </div>
  );
}
