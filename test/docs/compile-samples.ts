import { join } from 'node:path';
import ts from 'typescript';
import type { CodeSample } from './jsdoc-examples.js';

/**
 * A sample of one package. Without imports of its own it sees every export of `packageName`, and
 * those of `module` (the built module its JSDoc stands in, for examples of internal functions).
 */
export interface PackageSample extends CodeSample {
  readonly packageName: string;
  /** Absolute path of the built module (`.../dist/cli/cli.js`) whose source holds the example. */
  readonly module?: string;
}

// The workspace's strictness, and exactOptionalPropertyTypes as the strictest consumers (and the
// consumer test's app) compile; no emit. verbatimModuleSyntax is off so that the implicit import of
// a package's exports may name types and values alike.
const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2023,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: true,
  noEmit: true,
};

/**
 * The names each module exports (values and types), read from its built declarations in one
 * program: a package name, or the absolute path of a built module.
 */
function exportedNames(root: string, packageNames: readonly string[]): Map<string, string[]> {
  const probes = new Map(
    packageNames.map((name, index) => [join(root, 'test', 'docs', `__probe_${String(index)}__.ts`), name]),
  );
  const host = ts.createCompilerHost(OPTIONS);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language) => {
    const name = probes.get(file);
    return name === undefined
      ? getSourceFile(file, language)
      : ts.createSourceFile(file, `export * from '${name}';\n`, language);
  };
  const program = ts.createProgram([...probes.keys()], OPTIONS, host);
  const checker = program.getTypeChecker();
  return new Map(
    [...probes].map(([file, name]) => {
      const source = program.getSourceFile(file);
      const symbol = source ? checker.getSymbolAtLocation(source) : undefined;
      if (!symbol) throw new Error(`cannot read the exports of ${name} (is it built?)`);
      return [name, checker.getExportsOfModule(symbol).map((exported) => exported.name)];
    }),
  );
}

/**
 * Typechecks each sample as a module of its own beside `context` (ambient declarations of the free
 * names samples use, such as `db` and `itemId`), and returns one message per error, located at the
 * sample's place in its source.
 */
export function compileSamples(root: string, context: string, samples: readonly PackageSample[]): string[] {
  const names = exportedNames(root, [
    ...new Set(samples.flatMap((sample) => [sample.packageName, ...(sample.module ? [sample.module] : [])])),
  ]);
  const files = new Map<string, { text: string; sample: PackageSample; offset: number }>();
  samples.forEach((sample, index) => {
    let prelude = '';
    if (!/^\s*import\s/m.test(sample.code)) {
      const fromPackage = names.get(sample.packageName) ?? [];
      const fromModule = (sample.module ? (names.get(sample.module) ?? []) : []).filter(
        (name) => !fromPackage.includes(name),
      );
      prelude = `import { ${fromPackage.join(', ')} } from '${sample.packageName}';`;
      if (sample.module && fromModule.length > 0)
        prelude += ` import { ${fromModule.join(', ')} } from '${sample.module}';`;
      prelude += '\n';
    }
    const file = join(root, 'test', 'docs', '__samples__', `sample-${String(index)}.ts`);
    files.set(file, {
      text: `${prelude}${sample.code}\nexport {};\n`,
      sample,
      offset: prelude === '' ? 0 : 1,
    });
  });

  const host = ts.createCompilerHost(OPTIONS);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (file, language) => {
    const virtual = files.get(file);
    return virtual ? ts.createSourceFile(file, virtual.text, language) : getSourceFile(file, language);
  };
  host.fileExists = (file) => files.has(file) || fileExists(file);
  const program = ts.createProgram([context, ...files.keys()], OPTIONS, host);

  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const virtual = diagnostic.file ? files.get(diagnostic.file.fileName) : undefined;
    if (!virtual || !diagnostic.file || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const code = virtual.text.split('\n')[line]?.trim() ?? '';
    return `${virtual.sample.where} (line ${String(line + 1 - virtual.offset)} of the example): ${message}\n    ${code}`;
  });
}
