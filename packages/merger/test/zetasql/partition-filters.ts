/**
 * Which scans of partitioned tables a resolved statement leaves unfiltered on the partition
 * column. BigQuery bills the partitions a statement reads, and a MERGE with an UPDATE clause bills
 * the target's scanned partitions in full; it prunes only on a comparison of the partition column
 * with constants: query parameters and literals (`publish_time >= @window_from`,
 * `time BETWEEN @min_time AND @max_time`, `item_bucket IN UNNEST(@buckets)`).
 */

/** ZetaSQL's comparison functions a pruning filter can be. */
const COMPARISONS = new Set([
  '$equal',
  '$less',
  '$less_or_equal',
  '$greater',
  '$greater_or_equal',
  '$between',
  '$in',
  '$in_array',
]);

interface Scan {
  readonly table: string;
  readonly columnIds: Map<string, number>;
}

const idOf = (column: { columnId: { low: number } }) => column.columnId.low;

/** Every node of a resolved AST, depth first. */
function* nodes(node: unknown): Generator<Record<string, unknown>> {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) yield* nodes(item);
    return;
  }
  yield node as Record<string, unknown>;
  for (const value of Object.values(node)) yield* nodes(value);
}

/** The table scans of a statement (the MERGE or UPDATE target included), with their column ids. */
function scans(statement: unknown): Scan[] {
  const found: Scan[] = [];
  for (const node of nodes(statement)) {
    const table = node.table as { fullName?: string } | undefined;
    const parent = node.parent as { columnList?: { name: string; columnId: { low: number } }[] } | undefined;
    if (!table?.fullName || !parent?.columnList) continue;
    found.push({
      table: table.fullName,
      columnIds: new Map(parent.columnList.map((column) => [column.name, idOf(column)])),
    });
  }
  return found;
}

/** Column ids compared with constants only (parameters, literals) by a comparison function. */
function constantComparedColumns(statement: unknown): Set<number> {
  const compared = new Set<number>();
  for (const node of nodes(statement)) {
    const name = (node.function as { name?: string } | undefined)?.name?.replace(/^ZetaSQL:/, '');
    const args = node.argumentList as unknown[] | undefined;
    if (!name || !COMPARISONS.has(name) || !args) continue;
    const refs = new Set<number>();
    let others = false;
    for (const arg of args) {
      for (const inner of nodes(arg)) {
        const column = inner.column as { columnId?: { low: number } } | undefined;
        if ('isCorrelated' in inner && column?.columnId) refs.add(column.columnId.low);
        if ('subquery' in inner) others = true;
      }
    }
    // Exactly one column, compared with constants: `t.id = s.id` (two columns) prunes nothing.
    if (refs.size === 1 && !others) for (const ref of refs) compared.add(ref);
  }
  return compared;
}

/**
 * The scans of partitioned tables in `statement` with no comparison of their partition column to
 * constants, as `dataset.table (column)`.
 */
export function unfilteredPartitionScans(
  statement: unknown,
  partitionColumns: ReadonlyMap<string, string>,
): string[] {
  const compared = constantComparedColumns(statement);
  const unfiltered: string[] = [];
  for (const scan of scans(statement)) {
    const column = partitionColumns.get(scan.table);
    if (!column) continue;
    const id = scan.columnIds.get(column);
    if (id === undefined || !compared.has(id)) unfiltered.push(`${scan.table} (${column})`);
  }
  return unfiltered;
}
