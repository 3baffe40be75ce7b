/**
 * `pg-transactional-outbox` as a peer to compare with in bench/outbox-write: its polling setup
 * (table, the indexes its polling listener needs, its next-messages function; no replication) and
 * its `storeOutboxMessage` (what `initializeMessageStorage` returns), run in the same kysely
 * transaction as our variants, so only the outbox write differs.
 */
import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import type pg from 'pg';
import {
  DatabaseSetup,
  getDisabledLogger,
  initializeMessageStorage,
  type DatabasePollingSetupConfig,
  type ListenerSettings,
} from 'pg-transactional-outbox';

const SCHEMA = 'peer_outbox';
const TABLE = 'outbox';

/** Creates the peer's outbox table, polling indexes and polling function in `db`'s database. */
export async function setUpPeerOutbox(db: Kysely<unknown>, database: string): Promise<void> {
  const config: DatabasePollingSetupConfig = {
    outboxOrInbox: 'outbox',
    database,
    schema: SCHEMA,
    table: TABLE,
    listenerRole: 'postgres',
    nextMessagesName: 'next_outbox_messages',
  };
  for (const script of [
    DatabaseSetup.dropAndCreateTable(config),
    DatabaseSetup.setupPollingIndexes(config),
    DatabaseSetup.createPollingFunction(config),
  ]) {
    await sql.raw(script).execute(db);
  }
}

const settings = {
  dbSchema: SCHEMA,
  dbTable: TABLE,
  enableMaxAttemptsProtection: false,
  enablePoisonousMessageProtection: false,
} as ListenerSettings;
const storeOutboxMessage = initializeMessageStorage(
  { settings, outboxOrInbox: 'outbox' },
  getDisabledLogger(),
);

/**
 * Stores one message for `itemId` with the peer, in `trx`: segment = the item, so its polling
 * listener keeps them in order per item, as our relay does per subject.
 */
export async function storePeerMessage<DB>(
  trx: Transaction<DB>,
  id: string,
  itemId: string,
  type: string,
  payload: unknown,
): Promise<void> {
  // The peer takes a `pg` client; this one sends its statement through the kysely transaction.
  const client = {
    async query(text: string, values: unknown[]) {
      const result = await trx.executeQuery(CompiledQuery.raw(text, values));
      return { rows: result.rows, rowCount: Number(result.numAffectedRows ?? 0n) };
    },
  } as unknown as pg.ClientBase;
  await storeOutboxMessage(
    { id, aggregateType: 'item', aggregateId: itemId, messageType: type, segment: itemId, payload },
    client,
  );
}
