import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MERGER_SETTINGS, mergerFlagOf } from '@rims/merger';
import { OUTBOX_CLI_SETTINGS, outboxCliFlagOf } from '@rims/outbox';
import { flagOf, relayConfigSchema } from '@rims/relay';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
/** The text of the README section that starts with `heading`, up to the next heading. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README has no section ${heading}`);
  const body = start + heading.length + 2;
  const next = readme.slice(body).search(/\n#{2,3} /);
  return readme.slice(start, next === -1 ? undefined : body + next);
}

/** The cells of the table row of a section that documents `variable`, if any. */
function row(text: string, variable: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .find((cells) => cells[1] === `\`${variable}\``)
    ?.join(' | ');
}

describe('README configuration reference', () => {
  it('documents every rims-relay setting with its flag', () => {
    const relay = section('### `rims-relay`');
    const missing = Object.keys(relayConfigSchema.shape).filter(
      (variable) => !row(relay, variable)?.includes(`\`--${flagOf(variable)}\``),
    );
    expect(missing).toEqual([]);
  });

  it('documents every rims-merger setting with its flag', () => {
    const merger = section('### `rims-merger`');
    const missing = MERGER_SETTINGS.filter(
      (variable) => !row(merger, variable)?.includes(`\`--${mergerFlagOf(variable)}\``),
    );
    expect(missing).toEqual([]);
  });

  it('documents every rims-outbox setting with its flag', () => {
    const outbox = section('### `rims-outbox`');
    const missing = OUTBOX_CLI_SETTINGS.filter(
      (variable) => !row(outbox, variable)?.includes(`\`--${outboxCliFlagOf(variable)}\``),
    );
    expect(missing).toEqual([]);
  });

  it('names the two quickstart commands that CI and users run', () => {
    expect(readme).toContain('npm install --global pnpm@10.34.9 && pnpm install && pnpm demo');
    expect(
      readFileSync(new URL('../.ci/run', import.meta.url), 'utf8')
        .trim()
        .split('\n')
        .at(-1),
    ).toBe('pnpm test');
    expect(readme).toMatch(/^pnpm test\s+# typecheck, lint and every test$/m);
    const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      packageManager: string;
    };
    expect(packageJson.packageManager).toBe('pnpm@10.34.9');
  });
});
