import type { BigQueryColumn } from '@rims/schemas';

/** A column (or RECORD field) as a warehouse reports it: its name and, for a RECORD, its fields. */
export interface ExistingColumn {
  readonly name: string;
  readonly fields?: readonly ExistingColumn[];
}

/** A column or RECORD field the catalogue has and the table lacks, such as `data.shipment_id`. */
export interface MissingColumn {
  /** `traceparent` or `data.shipment_id`. */
  readonly path: string;
  readonly column: BigQueryColumn;
}

/**
 * What must be added to a table with `existing` columns to hold `desired`: additive only (a
 * column that exists is never changed; types are not compared, as changing one is a migration).
 */
export function missingColumns(
  desired: readonly BigQueryColumn[],
  existing: readonly ExistingColumn[],
  prefix = '',
): MissingColumn[] {
  const missing: MissingColumn[] = [];
  for (const column of desired) {
    const path = `${prefix}${column.name}`;
    const found = existing.find((candidate) => candidate.name.toLowerCase() === column.name.toLowerCase());
    if (!found) missing.push({ path, column });
    else if (column.type === 'RECORD')
      missing.push(...missingColumns(column.fields ?? [], found.fields ?? [], `${path}.`));
  }
  return missing;
}

/** `existing` with the missing columns and fields appended where they belong (the BigQuery schema patch). */
export function withColumns<T extends ExistingColumn>(
  existing: readonly T[],
  missing: readonly MissingColumn[],
  prefix = '',
): T[] {
  const result = existing.map((column) => {
    const nested = missing.filter((entry) => entry.path.startsWith(`${prefix}${column.name}.`));
    if (nested.length === 0) return column;
    return { ...column, fields: withColumns(column.fields ?? [], nested, `${prefix}${column.name}.`) };
  });
  const here = missing.filter((entry) => !entry.path.slice(prefix.length).includes('.'));
  return [...result, ...here.map((entry) => entry.column as unknown as T)];
}
