/**
 * SQL literals for the one statement the outbox cannot send with parameters: the enqueue that
 * travels with COMMIT in a single simple-protocol message (enqueue-and-commit.ts). Everywhere else,
 * values are query parameters.
 *
 * Every string becomes an escape-string constant, E'...', with each backslash and each quote
 * doubled. PostgreSQL reads E'...' the same way whatever `standard_conforming_strings` is set to,
 * so no session setting can turn a value's backslash into an escape that ends the literal.
 */
import { hasNoNul, isWellFormedText } from '@rims/schemas';
import { OutboxUsageError } from '../errors.js';

/** A value a placeholder can be replaced with: a string, null, or an array of those. */
export type LiteralValue = string | null | readonly (string | null)[];

/**
 * The literal for `value`: `NULL`, `E'...'`, or `ARRAY[...]` of those.
 *
 * @throws {OutboxUsageError} for text PostgreSQL cannot hold (U+0000, a lone surrogate): event
 *   validation refuses both first, so this only guards against a caller that skipped it
 */
export function sqlLiteral(value: LiteralValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return quote(value);
  return `ARRAY[${value.map((element) => (element === null ? 'NULL' : quote(element))).join(',')}]`;
}

/**
 * Prepares `statement` once for {@link inlineLiterals}: whole-line `--` comments are dropped, so a
 * value can never land in a comment (where a newline in it would end the comment), and the text is
 * split around its numbered placeholders (`$1`, `$2` ...).
 */
export function literalTemplate(statement: string): LiteralTemplate {
  const text = statement
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .trim();
  // With a capturing group, split leaves the placeholder numbers at the odd indexes.
  return { parts: text.split(/\$(\d+)/) };
}

/** A statement split around its placeholders by {@link literalTemplate}. */
export interface LiteralTemplate {
  readonly parts: readonly string[];
}

/** The statement of `template` with each placeholder replaced by the literal of its value. */
export function inlineLiterals(template: LiteralTemplate, values: readonly LiteralValue[]): string {
  return template.parts
    .map((part, index) => {
      if (index % 2 === 0) return part;
      const value = values[Number(part) - 1];
      if (value === undefined) throw new Error(`no value for $${part}`);
      return sqlLiteral(value);
    })
    .join('');
}

function quote(text: string): string {
  if (!hasNoNul(text) || !isWellFormedText(text)) {
    throw new OutboxUsageError(
      'a value holds U+0000 or a lone UTF-16 surrogate, which PostgreSQL cannot store; validate events before writing them',
    );
  }
  return `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}
