import { formatPath, type ValidationIssue } from './errors.js';

// With the `u` flag a well-formed surrogate pair is one code point, so this class matches only a
// surrogate half standing alone.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Whether `text` is well-formed UTF-16: no surrogate half without its partner (what cutting a
 * string through an emoji leaves). UTF-8, JSON text and PostgreSQL cannot represent such a half:
 * jsonb refuses it and a text parameter silently becomes U+FFFD.
 */
export const isWellFormedText = (text: string): boolean => !LONE_SURROGATE.test(text);

/**
 * One issue per string in `value` (at any depth) that holds a lone surrogate, located by its path
 * under `prefix` and named by its field, so a producer learns which field to fix before the
 * database refuses the whole statement.
 */
export function loneSurrogateIssues(value: unknown, prefix = ''): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const visit = (node: unknown, path: PropertyKey[]): void => {
    if (typeof node === 'string') {
      if (isWellFormedText(node)) return;
      const field = path.at(-1);
      const name = typeof field === 'string' ? field : 'the value';
      issues.push({
        path: formatPath(path, prefix),
        code: 'lone_surrogate',
        message: `${name} contains a lone UTF-16 surrogate (half of a character, such as a string cut through an emoji); PostgreSQL and JSON text cannot hold it`,
      });
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => {
        visit(item, [...path, index]);
      });
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, item] of Object.entries(node)) visit(item, [...path, key]);
    }
  };
  visit(value, []);
  return issues;
}
