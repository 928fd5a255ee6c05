/**
 * Small pieces of Markdown text shared by the report's parts: values in diff blocks,
 * times, who changed something and when, object names, cut text and bounded lists.
 */
import { stringify } from 'yaml';
import { count } from '../text/plural';
import { escapeInline, inlineCode } from './markdown-escape';

/**
 * A value as the lines of a diff side. Strings print bare unless they would read as
 * another type; structures print as YAML, the way the manifest shows them.
 */
export function formatValue(value: unknown, redacted: boolean | undefined, max: number): string[] {
  if (redacted) return [`(secret value; fingerprint ${String(value)})`];
  let text: string;
  if (typeof value === 'string') {
    text = looksAmbiguous(value) ? JSON.stringify(value) : value;
  } else if (value === null || typeof value !== 'object') {
    text = JSON.stringify(value) ?? String(value);
  } else {
    text = stringify(value, { lineWidth: 0 }).replace(/\n$/, '');
  }
  if (text.length > max) {
    const rest = text.length - max;
    text = `${text.slice(0, max)}… (${count(rest, 'more character')})`;
  }
  return text.split('\n');
}

function looksAmbiguous(s: string): boolean {
  return (
    s === '' ||
    s !== s.trim() ||
    /^(?:true|false|null|~|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/i.test(s) ||
    s.startsWith('"')
  );
}

/** `2026-11-26T09:10:03Z` -> `2026-11-26 09:10:03 UTC`; anything else unchanged. */
export function formatTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** Text up to `max` characters, marked when cut. */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (cut)` : text;
}

/** A Markdown list of at most `max` items, then a line counting the rest. */
export function listWithMore<T>(items: T[], max: number, line: (item: T) => string): string {
  const lines = items.slice(0, max).map(line);
  if (items.length > max) lines.push(`- … and ${items.length - max} more (see the JSON report)`);
  return lines.join('\n');
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectName(ref: { namespace?: string; name: string }): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

/** ` at 2026-11-26 10:00:00 UTC` in running text, or nothing when the time is unknown. */
export function atTime(time: string | undefined): string {
  return time ? ` at ${escapeInline(formatTime(time))}` : '';
}

/** `kubectl-edit` at 2026-11-26 10:00:00 UTC in running text (the time when known). */
export function managerAt(manager: string, time: string | undefined): string {
  return `${inlineCode(manager)}${atTime(time)}`;
}

/** ` by kubectl-edit at 2026-11-26 10:00:00 UTC` inside a diff block (code: no escaping). */
export function byManagerInDiff(manager: string | undefined, time: string | undefined): string {
  if (!manager) return '';
  return ` by ${cut(manager, 128)}${time ? ` at ${formatTime(cut(time, 64))}` : ''}`;
}
