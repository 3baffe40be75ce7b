import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** One relative link of a Markdown file, where it is and where it points. */
export interface MarkdownLink {
  /** `file:line`, relative to the repository root. */
  readonly where: string;
  /** The link's target as written, such as `../README.md#benchmarks`. */
  readonly target: string;
}

/**
 * The anchor GitHub gives a heading: lower case, punctuation other than `-` and `_` dropped,
 * each space a `-`.
 *
 * @example headingAnchor('`@rims/outbox` (library options)') // 'rimsoutbox-library-options'
 */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Lines outside fenced code blocks, with their 1-based numbers: what GitHub renders as Markdown. */
function proseLines(text: string): [line: string, number: number][] {
  const lines: [string, number][] = [];
  let fence: string | null = null;
  text.split('\n').forEach((line, index) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (opening !== undefined && (fence === null || opening.startsWith(fence))) {
      fence = fence === null ? opening : null;
      return;
    }
    if (fence === null) lines.push([line, index + 1]);
  });
  return lines;
}

/** The anchors of a Markdown file's headings, with GitHub's `-1`, `-2` suffixes for repeats. */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [line] of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const anchor = headingAnchor(heading);
    const count = seen.get(anchor) ?? 0;
    seen.set(anchor, count + 1);
    anchors.add(count === 0 ? anchor : `${anchor}-${String(count)}`);
  }
  return anchors;
}

/**
 * The relative links of the Markdown file at `path` (absolute), outside code: web addresses and
 * links within inline code spans are left out.
 */
export function relativeLinks(root: string, path: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const [line, number] of proseLines(readFileSync(path, 'utf8'))) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ where: `${relative(root, path)}:${String(number)}`, target });
    }
  }
  return links;
}

/**
 * Why `link`, found in the Markdown file at `from`, leads nowhere: its file is missing, or the
 * heading its `#anchor` names is not in that file. Undefined when it resolves.
 *
 * @example brokenReason('/repo/README.md', { where: 'README.md:3', target: 'bench/RUNS.md' })
 */
export function brokenReason(from: string, link: MarkdownLink): string | undefined {
  const [file = '', anchor] = link.target.split('#');
  const path = file === '' ? from : join(dirname(from), decodeURI(file));
  if (!existsSync(path)) return `${link.where}: ${link.target}: no such file`;
  if (anchor === undefined || anchor === '' || statSync(path).isDirectory()) return undefined;
  if (!path.endsWith('.md')) return undefined;
  return headingAnchors(readFileSync(path, 'utf8')).has(anchor.toLowerCase())
    ? undefined
    : `${link.where}: ${link.target}: no heading with the anchor #${anchor} in ${file === '' ? 'this file' : file}`;
}
