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
