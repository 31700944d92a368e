/**
 * What a room's page shows only on demand, loaded by dynamic import the
 * first time it is needed (see {@link roomExtras}), so the room page's first
 * script stays within its budget: a message's reactions (with the palette),
 * the pinned list and the topic field.
 *
 * @module
 */
export { PinnedList } from "./PinnedList.tsx";
export { TopicForm } from "./TopicForm.tsx";
export { Reactions } from "./Reactions.tsx";
