// The binary's line for a start that never reached PostgreSQL: which setting points where, without
// its password, instead of a bare `connect ECONNREFUSED`.
import { pgErrorCode } from '@rims/outbox';

/** Socket errors of a connection that never reached PostgreSQL. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * The line for an error that means PostgreSQL could not be reached at all, naming DATABASE_URL's
 * host and database (never its password); undefined for any other error.
 *
 * @example unreachableDatabase(error, 'postgres://app:secret@db:5432/rims') // 'rims-relay: cannot reach PostgreSQL at DATABASE_URL (db:5432, database rims): ...'
 */
export function unreachableDatabase(error: unknown, databaseUrl: string): string | undefined {
  const code = pgErrorCode(error);
  if (code === undefined || !UNREACHABLE.has(code)) return undefined;
  let where = 'the address it names';
  try {
    const url = new URL(databaseUrl);
    where = `${url.host || 'the local socket'}, database ${decodeURIComponent(url.pathname.slice(1)) || 'postgres'}`;
  } catch {
    // Not a URL (a libpq key=value string): name the setting alone.
  }
  return `rims-relay: cannot reach PostgreSQL at DATABASE_URL (${where}): ${(error as Error).message}; is it running and reachable from here?\n`;
}
