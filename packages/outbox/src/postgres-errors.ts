/**
 * PostgreSQL error codes (SQLSTATE) this project reacts to, by name.
 * See https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export const PG_ERROR = {
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  lockNotAvailable: '55P03',
  syntaxError: '42601',
  undefinedColumn: '42703',
  undefinedParameter: '42P02',
  featureNotSupported: '0A000',
  readOnlySqlTransaction: '25006',
  undefinedTable: '42P01',
  insufficientPrivilege: '42501',
  invalidSchemaName: '3F000',
  undefinedFunction: '42883',
} as const;

/** The SQLSTATE of an error thrown by `pg`, if it has one. */
export function pgErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
