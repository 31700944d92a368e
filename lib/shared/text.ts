/**
 * What a message text may hold, shared by server and browser (no
 * dependencies): text is stored in NFC; control characters other than
 * newline and tab and lone surrogates are refused; text of only blanks and
 * invisible characters counts as empty. Bidirectional controls may be
 * written (right-to-left text needs them) but are neutralised for display
 * where they could disguise something: see {@link displayUrl} and
 * {@link withoutBidi}.
 *
 * @module
 */

/** C0 and C1 controls except tab (U+0009) and newline (U+000A). */
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/**
 * Characters that show nothing: white space, default-ignorable code points
 * (zero-width spaces and joiners, bidi controls, the Hangul fillers U+115F,
 * U+1160, U+3164 and U+FFA0, …) and the blank Braille pattern.
 */
const INVISIBLE = /^[\s\p{Default_Ignorable_Code_Point}\u2800]*$/u;

/** Printable ASCII only: in NFC already, no controls, no surrogates. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Explicit bidirectional formatting characters. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/**
 * Those of them that reorder what follows: embeddings, overrides and
 * isolates. The marks (LRM, RLM, ALM) only place neutrals, as Hebrew and
 * Arabic names use them.
 */
const BIDI_REORDERING = /[\u202a-\u202e\u2066-\u2069]/g;

/** Why a text was refused. */
export type TextProblem = "empty" | "control" | "surrogate";

/** The outcome of {@link cleanText}. */
export type CleanText =
  | { ok: true; text: string }
  | { ok: false; problem: TextProblem; message: string };

const EMPTY: CleanText = Object.freeze({
  ok: false,
  problem: "empty",
  message: "The text is empty",
});

/**
 * The text as stored (NFC, CRLF as LF), or why it can't be.
 *
 * @example
 * ```ts
 * cleanText("cafe\u0301"); // { ok: true, text: "café" }
 * cleanText("\u3164"); // { ok: false, problem: "empty", … }
 * ```
 */
export function cleanText(text: string): CleanText {
  // The common case, without normalising: only spaces can make it blank.
  if (PRINTABLE_ASCII.test(text)) {
    return text.trim() === "" ? EMPTY : { ok: true, text };
  }
  if (!text.isWellFormed()) {
    return {
      ok: false,
      problem: "surrogate",
      message: "Invalid text: it holds a lone surrogate (broken UTF-16)",
    };
  }
  const normal = text.replace(/\r\n?/g, "\n").normalize("NFC");
  const bad = CONTROL.exec(normal);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase();
    return {
      ok: false,
      problem: "control",
      message: `Invalid text: control character U+${
        code.padStart(4, "0")
      } (only newline and tab are allowed)`,
    };
  }
  if (isBlank(normal)) return EMPTY;
  return { ok: true, text: normal };
}

/** Whether `text` shows nothing (blanks and invisible characters only). */
export function isBlank(text: string): boolean {
  return INVISIBLE.test(text);
}

/**
 * A URL as shown to a reader: bidirectional controls percent-encoded, as
 * browsers' address bars do, so `…/\u202Egnp.exe` can't pose as `…/exe.png`.
 */
export function displayUrl(url: string): string {
  return url.replace(BIDI, (c) => encodeURIComponent(c));
}

/**
 * `text` without the bidirectional controls that reorder it, for names that
 * must read as what they are: a file named `invoice\u202Efdp.exe` would
 * show as "invoiceexe.pdf". Direction marks (LRM, RLM, ALM) stay.
 */
export function withoutBidi(text: string): string {
  return text.replace(BIDI_REORDERING, "");
}

/**
 * A name for plain-text display: bidi-isolated (FSI … PDI) so it can't
 * reorder the text around it, and marked when it is a guest's.
 */
export function displayName(name: string, guest: boolean): string {
  return `\u2068${name}\u2069${guest ? " (guest)" : ""}`;
}
