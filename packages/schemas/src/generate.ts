/**
 * Writes the artifacts derived from the zod schemas into packages/schemas/generated/.
 * Run through `pnpm generate`; a test checks the committed files are up to date.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedArtifacts } from './generated-artifacts.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'generated');
for (const [path, content] of generatedArtifacts()) {
  const target = join(root, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${target}`);
}
