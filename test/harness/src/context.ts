/** What the global setup found, handed to every test file through vitest's `inject`. */
export interface HarnessContext {
  /** Maintenance-database URL of the PostgreSQL server. */
  readonly postgresUrl: string;
  readonly postgresOrigin: string;
  /** A database migrated with @rims/outbox that test databases are copied from. */
  readonly templateDatabase: string;
  readonly pubsubEmulatorHost: string;
  readonly pubsubProjectId: string;
  readonly pubsubOrigin: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    rims: HarnessContext;
  }
}
