/**
 * Pages of the public room directory from `GET /api/directory`, for the
 * "Browse rooms" dialog and `#` completion.
 *
 * @module
 */
import type { DirectoryRoom } from "@/lib/shared/protocol.ts";
import { asDirectoryPage } from "./guards.ts";

/** A page of the directory, ordered by room id. */
export interface DirectoryPage {
  /** The page's rooms. */
  rooms: DirectoryRoom[];
  /** Pass as `cursor` for the next page; absent on the last. */
  next?: string;
}

/** Rooms per directory page. */
export const DIRECTORY_PAGE = 50;

/**
 * Fetches the directory page after `cursor` (the first without it), of the
 * rooms whose id starts with `prefix` when given; `null` when the server
 * can't answer.
 */
export async function fetchDirectory(
  cursor?: string,
  limit: number = DIRECTORY_PAGE,
  prefix?: string,
): Promise<DirectoryPage | null> {
  const params = new URLSearchParams({ limit: String(limit) });
  if (cursor !== undefined) params.set("cursor", cursor);
  if (prefix) params.set("prefix", prefix);
  try {
    const res = await fetch(`/api/directory?${params}`);
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    return asDirectoryPage(await res.json());
  } catch {
    return null; // Offline: the dialog offers to try again.
  }
}
