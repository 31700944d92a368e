import type { VNode } from "preact";
import { useSignal } from "@preact/signals";
import { MAX_TOPIC_LENGTH } from "@/lib/shared/reactions.ts";

/** Props of {@link TopicForm}. */
export interface TopicFormProps {
  /** The topic now. */
  topic?: string;
  /** Saves the new topic ("" clears it). */
  onSave: (topic: string) => void;
  /** Closes the form without saving. */
  onCancel: () => void;
}

/**
 * The room's topic field, for its moderators; Escape in it cancels, and is
 * marked handled so it closes no layer behind it.
 */
export function TopicForm(props: TopicFormProps): VNode {
  const left = useSignal(MAX_TOPIC_LENGTH - (props.topic?.length ?? 0));
  return (
    <form
      class="topic-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSave(e.currentTarget.topic.value);
      }}
    >
      <input
        name="topic"
        aria-label="Room topic"
        maxLength={MAX_TOPIC_LENGTH}
        value={props.topic}
        placeholder="What this room is about"
        onInput={(e) =>
          left.value = MAX_TOPIC_LENGTH - e.currentTarget.value.length}
        onKeyDown={(e) => {
          if (e.key !== "Escape" || e.isComposing) return;
          e.preventDefault();
          e.stopPropagation();
          props.onCancel();
        }}
      />
      <span class="left" aria-live="polite">{left} left</span>
      <button type="submit" class="icon">Save topic</button>
      <button type="button" class="icon" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}
