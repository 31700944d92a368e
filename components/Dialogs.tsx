/**
 * The room page's dialogs (the room switcher, and those opened from a button
 * or `?`), the name a guest is asked for and the notice that it was taken,
 * loaded by dynamic import (see `dialogs` in `on_demand.ts`) once the page is
 * idle or the first time one shows, so the page's first script stays within
 * its budget.
 *
 * @module
 */
export { Directory } from "./Directory.tsx";
export { HelpDialog } from "./HelpDialog.tsx";
export { NameDialog } from "./NameDialog.tsx";
export { RenameNotice } from "./RenameNotice.tsx";
export { RoomSwitcher } from "./RoomSwitcher.tsx";
export { SearchDialog } from "./SearchDialog.tsx";
