import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useScratchDirectory } from '@rims/test-harness/vitest';
import { brokenReason, headingAnchor, headingAnchors, relativeLinks } from './markdown-links.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Every Markdown file git tracks, or would track (new files not yet added), outside node_modules. */
const markdownFiles = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.md'],
  { cwd: root, encoding: 'utf8' },
)
  .split('\n')
  .filter((file) => file !== '' && !file.includes('node_modules/'))
  .map((file) => join(root, file));

describe('relative links in the Markdown files', () => {
  const dir = useScratchDirectory('markdown-links');

  it('finds the Markdown files and their links', () => {
    expect(markdownFiles.map((file) => file.slice(root.length))).toContain('README.md');
    expect(relativeLinks(root, join(root, 'README.md')).length).toBeGreaterThan(10);
  });

  it('lead to a file that exists and, with an anchor, to a heading in it', () => {
    const broken = markdownFiles.flatMap((file) =>
      relativeLinks(root, file).flatMap((link) => brokenReason(file, link) ?? []),
    );
    expect(broken).toEqual([]);
  });

  it('catches a missing file, a missing heading, and skips code and web addresses', () => {
    const page = join(dir, 'page.md');
    writeFileSync(join(dir, 'other.md'), '# Other\n\n## Where the `time` goes\n\n## Runbook\n\n## Runbook\n');
    writeFileSync(
      page,
      [
        '# Page',
        '[ok](other.md#where-the-time-goes) [repeat](other.md#runbook-1) [self](#page)',
        '[gone](missing.md) [no heading](other.md#nowhere) [web](https://example.com/x.md)',
        '`[in code](missing.md)`',
        '```',
        '[in a fence](missing.md)',
        '```',
      ].join('\n'),
    );
    const reasons = relativeLinks(dir, page).map((link) => brokenReason(page, link));
    expect(reasons).toEqual([
      undefined,
      undefined,
      undefined,
      'page.md:3: missing.md: no such file',
      'page.md:3: other.md#nowhere: no heading with the anchor #nowhere in other.md',
    ]);
  });

  it('computes anchors as GitHub does', () => {
    expect(headingAnchor('`@rims/outbox` (library options)')).toBe('rimsoutbox-library-options');
    expect(headingAnchor('Going live')).toBe('going-live');
    expect([...headingAnchors('# A\n## A\n## B\n')]).toEqual(['a', 'a-1', 'b']);
  });
});
