/** A code sample to compile: a JSDoc `@example` or a fenced TypeScript block of a README. */
export interface CodeSample {
  /** Where it is, as `path:line` (for failure messages). */
  readonly where: string;
  readonly code: string;
}

const COMMENT = /\/\*\*([\s\S]*?)\*\//g;
// Every fence, whatever its language, so that a closing fence is never read as an opening one.
const FENCE = /^[ \t]*```([\w-]*)[^\n]*\n([\s\S]*?)^[ \t]*```/gm;

/** The line number (1-based) of character `index` of `text`. */
const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/**
 * The `@example` blocks of every JSDoc comment in `source`. As in TypeDoc, a block with code fences
 * contributes its fenced TypeScript; one without is code as a whole, text on the tag's line included.
 */
export function jsdocExamples(source: string, path: string): CodeSample[] {
  const samples: CodeSample[] = [];
  for (const comment of source.matchAll(COMMENT)) {
    const lines = (comment[1] ?? '').split('\n').map((line) => line.replace(/^\s*\* ?/, ''));
    const start = lineAt(source, comment.index);
    lines.forEach((line, index) => {
      const tag = /^\s*@example\b ?(.*)$/.exec(line);
      if (!tag) return;
      const body = [tag[1] ?? ''];
      for (const next of lines.slice(index + 1)) {
        if (/^\s*@\w/.test(next)) break;
        body.push(next);
      }
      const text = body.join('\n');
      const where = `${path}:${String(start + index)}`;
      if (text.includes('```')) samples.push(...fencedSamples(text, where, true));
      else samples.push({ where, code: text.trim() });
    });
  }
  return samples;
}

/**
 * The fenced TypeScript blocks of a Markdown text (`ts`, `typescript`, and with `unlabelled` also
 * fences without a language, as in JSDoc); other languages (`sh`, `sql`) are left out.
 */
export function fencedSamples(markdown: string, path: string, unlabelled = false): CodeSample[] {
  return [...markdown.matchAll(FENCE)]
    .filter((match) => match[1] === 'ts' || match[1] === 'typescript' || (unlabelled && match[1] === ''))
    .map((match) => ({ where: `${path}:${String(lineAt(markdown, match.index))}`, code: match[2] ?? '' }));
}
