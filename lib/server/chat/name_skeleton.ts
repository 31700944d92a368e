/**
 * The form in which names are compared for uniqueness: case folded (see
 * `fold`) and reduced to its UTS #39 confusable skeleton, using Unicode's
 * confusables mapping (the `unhomoglyph` package). "dave", "Dave" and
 * "dаve" (Cyrillic а) share one key, as do "coe" and Cyrillic "сое", "Bill"
 * and "BiII", "bob" and "b0b". Capitals have look-alikes their small
 * letters lack (Greek "ΒΟΒ" reads as "BOB", Cherokee "ᎬᏙᎬ" as "EVE"), which
 * folding loses: {@link writtenLook} gives the name such a name passes for.
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
 * nameKey("Bill") === nameKey("BiII"); // true (capital I for l)
 * ```
 */
export function nameKey(name: string): string {
  // skeleton(X) = NFD(map(NFD(X))), as UTS #39 defines it, of the folded
  // name, lower-cased again: prototypes such as "O" (for "0") are capitals.
  const skeleton = unhomoglyph(fold(name).normalize("NFD")).toLowerCase()
    .normalize("NFD");
  // Folding first keeps case out of the key, but loses a look-alike only
  // capitals have: "I" passes for "l", so "BiII" for "Bill".
  return skeleton.replaceAll("i", "l");
}

/**
 * The name `name` passes for as written, when that is another name than
 * its own key says: Greek "ΒΟΒ" (whose small letters "βοβ" look like no
 * Latin name) passes for "bob". Undefined when it passes for nothing else.
 * A name is taken when this one is, too: the key stays the folded one, so
 * "Σοφία" and "σοφία" stay one name.
 *
 * @example
 * ```ts
 * writtenLook("ΒΟΒ"); // "bob"
 * writtenLook("Bob"); // undefined
 * ```
 */
export function writtenLook(name: string): string | undefined {
  const look = unhomoglyph(name.normalize("NFD")).toLowerCase()
    .normalize("NFC");
  return nameKey(look) === nameKey(name) ? undefined : look;
}
