import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileSamples, type PackageSample } from './compile-samples.js';
import { fencedSamples, jsdocExamples } from './jsdoc-examples.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const context = fileURLToPath(new URL('example-context.ts', import.meta.url));

/** The packages of the API reference (typedoc.json), so a package added there is checked here too. */
const documented = (JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { entryPoints: string[] })
  .entryPoints;

function samplesOf(dir: string): PackageSample[] {
  const { name } = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { name: string };
  const sources = readdirSync(join(root, dir, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .sort();
  return [
    ...sources.flatMap((file) =>
      jsdocExamples(readFileSync(join(root, dir, 'src', file), 'utf8'), `${dir}/src/${file}`).map(
        (sample) => ({ ...sample, module: join(root, dir, 'dist', file.replace(/\.ts$/, '.js')) }),
      ),
    ),
    ...fencedSamples(readFileSync(join(root, dir, 'README.md'), 'utf8'), `${dir}/README.md`),
  ].map((sample) => ({ ...sample, packageName: name }));
}

// One program for all samples (a program costs seconds): the real ones, and one wrong on purpose to
// show the check can fail.
const WRONG = 'wrong-on-purpose.ts:7';
let errors: string[] = [];
let samples: PackageSample[] = [];
beforeAll(() => {
  samples = documented.flatMap(samplesOf);
  errors = compileSamples(root, context, [
    ...samples,
    { where: WRONG, packageName: '@rims/outbox', code: "createOutbox({ sauce: '//rims/app' });" },
  ]);
});

describe('examples in JSDoc and package READMEs', () => {
  it('compile against the built packages', () => {
    expect(samples.length).toBeGreaterThan(40);
    expect(errors.filter((error) => !error.startsWith(WRONG))).toEqual([]);
  });

  it('are really checked: a wrong example fails, named by its place', () => {
    expect(errors.filter((error) => error.startsWith(WRONG))).toEqual([
      expect.stringMatching(/^wrong-on-purpose\.ts:7 \(line 1 of the example\): .*'sauce'/),
    ]);
  });
});
