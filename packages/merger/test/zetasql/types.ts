/** BigQuery schema columns as ZetaSQL types, for catalogs patched the way `provision` patches tables. */
import type { TypeProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/TypeProto.js';
import type { BigQueryColumn } from '@rims/schemas';
import type { ExistingColumn, MissingColumn } from '../../src/index.js';
import type { CatalogColumn } from './catalog.js';

/** The ZetaSQL type of a BigQuery schema column (a RECORD becomes a STRUCT of its fields). */
export function bigQueryTypeProto(column: BigQueryColumn): TypeProto {
  if (column.type === 'RECORD') {
    return {
      typeKind: 'TYPE_STRUCT',
      structType: {
        field: (column.fields ?? []).map((field) => ({
          fieldName: field.name,
          fieldType: bigQueryTypeProto(field),
        })),
      },
    };
  }
  const kinds: Record<Exclude<BigQueryColumn['type'], 'RECORD'>, TypeProto['typeKind']> = {
    STRING: 'TYPE_STRING',
    INT64: 'TYPE_INT64',
    FLOAT64: 'TYPE_DOUBLE',
    BOOL: 'TYPE_BOOL',
    TIMESTAMP: 'TYPE_TIMESTAMP',
    JSON: 'TYPE_JSON',
  };
  return { typeKind: kinds[column.type] };
}

/**
 * Types for a patched column tree (names and order from `withColumns`): the types the table had,
 * and for each added column or field the type of the catalogue column `provision` adds.
 */
export function patchedTypes(
  patched: readonly ExistingColumn[],
  older: readonly CatalogColumn[],
  missing: readonly MissingColumn[],
): CatalogColumn[] {
  const typeAt = (path: string[], columns: readonly CatalogColumn[]): TypeProto | undefined => {
    const [head, ...rest] = path;
    const column = columns.find((candidate) => candidate.name === head);
    if (!column || rest.length === 0) return column?.type;
    const fields = (column.type.structType?.field ?? []).map((field) => ({
      name: field.fieldName ?? '',
      type: field.fieldType ?? {},
    }));
    return typeAt(rest, fields);
  };
  const build = (column: ExistingColumn, prefix: string[]): CatalogColumn => {
    const path = [...prefix, column.name];
    const added = missing.find((entry) => entry.path === path.join('.'));
    if (added) return { name: column.name, type: bigQueryTypeProto(added.column) };
    if (column.fields && column.fields.length > 0) {
      return {
        name: column.name,
        type: {
          typeKind: 'TYPE_STRUCT',
          structType: {
            field: column.fields.map((field) => {
              const built = build(field, path);
              return { fieldName: built.name, fieldType: built.type };
            }),
          },
        },
      };
    }
    const type = typeAt(path, older);
    if (!type) throw new Error(`column ${path.join('.')} is neither in the table nor added`);
    return { name: column.name, type };
  };
  return patched.map((column) => build(column, []));
}
