import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in a transaction on a connection of `pool`: commits when it resolves, rolls back when
 * it throws (and rethrows), and always returns the connection.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
