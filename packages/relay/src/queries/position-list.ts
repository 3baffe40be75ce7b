/**
 * A list of positions as a PostgreSQL array literal, `{1,2,3}`, for a `$n::bigint[]` parameter.
 * Positions are decimal strings as PostgreSQL returned them, so nothing needs quoting: pg's own array
 * encoding, which quotes and escapes each element, took a few percent of the relay's CPU with tens of
 * thousands of positions in flight.
 */
export type PositionList = string & { readonly __brand: 'PositionList' };

/** See {@link PositionList}. */
export function positionList(positions: readonly string[]): PositionList {
  return `{${positions.join(',')}}` as PositionList;
}

/** Whether `list` holds at most `n` positions; reads no further than it must (lists run to 40,000). */
export function holdsAtMost(list: PositionList, n: number): boolean {
  if (list === '{}') return true;
  let commas = 0;
  for (let index = list.indexOf(','); index !== -1; index = list.indexOf(',', index + 1)) {
    commas += 1;
    if (commas >= n) return false;
  }
  return true;
}
