/**
 * The room page's dialogs opened from a button or `?`, the name a guest is
 * asked for and the notice that it was taken, loaded by dynamic import the
 * first time one shows (see `dialogs` in `on_demand.ts`), so the page's first
 * script stays within its budget. The room switcher stays in the first script: typing follows its
 * shortcut at once.
 *
 * @module
 */
export { Directory } from "./Directory.tsx";
export { HelpDialog } from "./HelpDialog.tsx";
export { NameDialog } from "./NameDialog.tsx";
export { RenameNotice } from "./RenameNotice.tsx";
export { SearchDialog } from "./SearchDialog.tsx";
