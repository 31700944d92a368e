/**
 * The form in which names are compared for uniqueness: case folded (see
 * `fold`) and reduced to its UTS #39 confusable skeleton, using Unicode's
 * confusables mapping (the `unhomoglyph` package). "dave", "Dave" and
 * "dаve" (Cyrillic а) share one key, as do "coe" and Cyrillic "сое".
 *
 * @module
 */
import unhomoglyph from "unhomoglyph";
import { fold } from "@/lib/shared/names.ts";

/**
 * The key that two names share when they are the same name or look alike.
 *
 * @example
 * ```ts
 * nameKey("Dave") === nameKey("dаve"); // true (Cyrillic а)
 * ```
 */
export function nameKey(name: string): string {
  // skeleton(X) = NFD(map(NFD(X))), as UTS #39 defines it.
  return unhomoglyph(fold(name).normalize("NFD")).normalize("NFD");
}
