import { parseCommentMarker } from '../../core/report/markdown-comment';
import type { IssueComment, IssueCommentsApi, IssueRef } from './issue-comments';

/** What one sync did, for the log and the Action's outputs. */
export interface SyncResult {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  /** The report's comments after the sync, part 1 first. */
  comments: Array<{ id: number; url?: string | undefined }>;
}

/**
 * Makes the pull request show exactly `parts` as the report comments with this key:
 * part N is found by its hidden marker and edited in place, created only when missing,
 * and left alone when its body is already right (no API write). Parts no longer needed
 * and duplicates (left by two runs racing) are deleted, so the report never appears twice.
 *
 * `firstPart` is the number of `parts[0]`: the drift issue keeps part 1 in its body and
 * syncs parts 2..N here; comments of parts below `firstPart` are left alone.
 */
export async function syncReportComments(
  api: IssueCommentsApi,
  issue: IssueRef,
  key: string,
  parts: string[],
  options: { firstPart?: number } = {},
): Promise<SyncResult> {
  const first = options.firstPart ?? 1;
  const byPart = new Map<number, IssueComment[]>();
  for (const c of await api.list(issue)) {
    const marker = parseCommentMarker(c.body ?? '');
    if (!marker || marker.key !== key || marker.part < first) continue;
    const list = byPart.get(marker.part) ?? [];
    list.push(c);
    byPart.set(marker.part, list);
  }

  const result: SyncResult = { created: 0, updated: 0, unchanged: 0, deleted: 0, comments: [] };
  const toDelete: IssueComment[] = [];
  for (const [part, list] of byPart) {
    list.sort((a, b) => a.id - b.id);
    // The oldest comment of a part is the one people have seen; newer copies go.
    toDelete.push(...list.slice(1));
    if (part >= first + parts.length) toDelete.push(list[0]);
  }

  for (let i = 0; i < parts.length; i++) {
    const body = parts[i];
    const existing = byPart.get(first + i)?.[0];
    if (!existing) {
      const c = await api.create(issue, body);
      result.created++;
      result.comments.push({ id: c.id, url: c.html_url });
    } else if (sameBody(existing.body, body)) {
      result.unchanged++;
      result.comments.push({ id: existing.id, url: existing.html_url });
    } else {
      const c = await api.update(issue, existing.id, body);
      result.updated++;
      result.comments.push({ id: c.id, url: c.html_url ?? existing.html_url });
    }
  }
  for (const c of toDelete.sort((a, b) => a.id - b.id)) {
    await api.remove(issue, c.id);
    result.deleted++;
  }
  return result;
}

/** Bodies compare equal regardless of line-ending style and trailing whitespace. */
function sameBody(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n/g, '\n').trimEnd();
  return norm(a) === norm(b);
}
