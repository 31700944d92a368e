/**
 * The room page's dialogs opened from a button or `?`, loaded by dynamic
 * import the first time one opens (see `dialogs` in `on_demand.ts`), so the page's
 * first script stays within its budget. The room switcher stays in the
 * first script: typing follows its shortcut at once.
 *
 * @module
 */
export { Directory } from "./Directory.tsx";
export { HelpDialog } from "./HelpDialog.tsx";
export { SearchDialog } from "./SearchDialog.tsx";
