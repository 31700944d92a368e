import type { VNode } from "preact";
import type { FileRef } from "@/lib/shared/protocol.ts";
import { withoutBidi } from "@/lib/shared/text.ts";
import { formatSize } from "@/lib/shared/file_size.ts";

const INLINE = /^image\/(png|jpeg|gif|webp)$/;

/**
 * A message's file: an image as its thumbnail (full size on click, in a new
 * tab), anything else as a download card with its name and size. The name
 * is isolated and shown without bidi controls (uploads drop them; older
 * files may have them), so "invoice\u202Efdp.exe" can't read as a PDF.
 */
export function FileCard({ file }: { file: FileRef }): VNode {
  const url = `/api/files/${encodeURIComponent(file.id)}`;
  const name = withoutBidi(file.name);
  if (INLINE.test(file.type)) {
    const shown = file.thumbnail
      ? `/api/files/${encodeURIComponent(file.thumbnail)}`
      : url;
    return (
      <a class="file-image" href={url} target="_blank" rel="noopener">
        <img
          src={shown}
          alt={name}
          width={file.width}
          height={file.height}
          loading="lazy"
        />
      </a>
    );
  }
  return (
    <a class="file-card" href={url} download={name}>
      <span aria-hidden="true">📎</span>
      <bdi class="file-name">{name}</bdi>
      <span class="file-size">{formatSize(file.size)}</span>
    </a>
  );
}
