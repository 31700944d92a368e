/**
 * The form in which names are compared for uniqueness: case folded (see
 * `fold`) and reduced to its UTS #39 confusable skeleton, using Unicode's
 * confusables mapping (the `unhomoglyph` package). "dave", "Dave" and
 * "dаve" (Cyrillic а) share one key, as do "coe" and Cyrillic "сое", "Bill"
 * and "BiII", "bob" and "b0b". Capitals have look-alikes their small
 * letters lack (Greek "ΒΟΒ" reads as "BOB", Cherokee "ᎬᏙᎬ" as "EVE"), which
 * folding loses: {@link writtenLook} gives the name such a name passes for,
 * and {@link nameProblem} refuses names that pass for a Latin one.
 *
 * @module
 */
import unhomoglyph from "unhomoglyph";
import { fold, SYSTEM_NAME } from "@/lib/shared/names.ts";
import { namePolicyProblem } from "@/lib/shared/name_script.ts";

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

const SYSTEM_KEY = nameKey(SYSTEM_NAME);
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * Why `name` can't be anyone's, or null: the rules of `namePolicyProblem`
 * (one script, nothing invisible), and two that need the confusables map.
 * A name that, written so, reads as another Latin name (Greek or Cherokee
 * capitals: "ΒΟΒ" as "bob") is refused whoever came first, as its key (of
 * its small letters) can't say so; and none may read as the system's name
 * with anything after it ("시스템ㅡ").
 */
export function nameProblem(name: string): string | null {
  const policy = namePolicyProblem(name);
  if (policy) return policy;
  if (nameKey(name).startsWith(SYSTEM_KEY)) {
    return `Invalid name: it reads as ${SYSTEM_NAME}, the name the server's notices go by`;
  }
  const look = writtenLook(name);
  if (look !== undefined && PRINTABLE_ASCII.test(look)) {
    return `Invalid name: written so, ${name} reads as ${look} in Latin letters; write it in small letters`;
  }
  return null;
}
