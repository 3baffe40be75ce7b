/**
 * Records the event contract of the @rims/schemas version in its package.json, as released:
 * run by `pnpm version-packages` right after `changeset version`, never by hand in a feature
 * change (the record is what the next change is compared with).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentContract } from './event-contract.js';

const packageJson = fileURLToPath(new URL('../packages/schemas/package.json', import.meta.url));
const target = fileURLToPath(new URL('../packages/schemas/event-contract.json', import.meta.url));
const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
writeFileSync(target, `${JSON.stringify(currentContract(version), null, 2)}\n`);
console.log(
  `recorded the event contract of @rims/schemas ${version} in packages/schemas/event-contract.json`,
);
