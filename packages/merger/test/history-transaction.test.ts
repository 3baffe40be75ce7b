/**
 * daily_committed takes the change a run's history rewrite makes, so the two must apply together:
 * applied alone, the change would be counted again by the next run (which finds history still as
 * it was), or lost. They run in one warehouse transaction (Warehouse.transaction): here on a real
 * DuckDB file, and the BigQuery script that carries them, as text.
 */
import { describe, expect, it } from 'vitest';
import {
  WarehouseError,
  runMerge,
  statementsOfTransactionScript,
  transactionScript,
  type Warehouse,
} from '../src/index.js';
import { rebuiltHistorySql, itemEvent, landRaw, plusMinutes, select, useDuckDbWarehouse } from './helpers.js';

const DAY = 86_400_000;

describe('Warehouse.transaction on DuckDB', () => {
  const local = useDuckDbWarehouse();

  it('applies every statement or none, and leaves the connection usable after a failure', async () => {
    const { warehouse } = local;
    await warehouse.query('CREATE TABLE rims_core.tx_probe (n INTEGER)');
    const insert = (n: number) => ({
      sql: 'INSERT INTO rims_core.tx_probe VALUES ($n)',
      params: { n: { type: 'INT64', value: n } } as const,
      statement: `insert ${String(n)}`,
    });
    await expect(
      warehouse.transaction([
        insert(1),
        { sql: "SELECT error('the second statement fails')", statement: 'failing.sql' },
      ]),
    ).rejects.toThrow(/failing\.sql.*the second statement fails/);
    expect(await select(warehouse, 'SELECT n FROM rims_core.tx_probe')).toEqual([]);

    const result = await warehouse.transaction([insert(2), insert(3)]);
    expect(result).toEqual({ affectedRows: [1, 1], bytesProcessed: null });
    expect(await select(warehouse, 'SELECT n FROM rims_core.tx_probe ORDER BY n')).toEqual([
      { n: 2 },
      { n: 3 },
    ]);
  });

  it('stops at its timeout and keeps nothing', async () => {
    const { warehouse } = local;
    await warehouse.query('CREATE TABLE rims_core.tx_slow (n BIGINT)');
    const error = await warehouse
      .transaction(
        [
          { sql: 'INSERT INTO rims_core.tx_slow VALUES (1)', statement: 'first.sql' },
          {
            sql: 'INSERT INTO rims_core.tx_slow SELECT count(*) FROM range(10000000000) a',
            statement: 'slow.sql',
          },
        ],
        { timeoutMs: 200 },
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as Error).message).toMatch(/slow\.sql was stopped at its timeout/);
    expect(await select(warehouse, 'SELECT n FROM rims_core.tx_slow')).toEqual([]);
  });
});

/** The warehouse, with the history MERGE of every transaction failing: a crash between the steps. */
function failingHistoryMerge(warehouse: Warehouse): Warehouse {
  return {
    ...warehouse,
    transaction: (statements, options) =>
      warehouse.transaction(
        statements.map((statement) =>
          statement.statement === 'merge/073_item_commitment_history.sql'
            ? {
                statement: statement.statement,
                sql: "SELECT error('the run stopped before its history MERGE')",
              }
            : statement,
        ),
        options,
      ),
  };
}

describe('a run that fails between the daily change and the history MERGE', () => {
  const local = useDuckDbWarehouse();

  it('changes neither, and the next run counts the change once', async () => {
    const { warehouse } = local;
    const first = new Date('2026-05-10T12:00:00Z');
    const committed = (item: string, sequence: number, at: Date, quantity = 2) => ({
      body: {
        ...itemEvent('rims.item.committed.v1', item, sequence, { sku: 'SKU-1', quantity }),
        time: plusMinutes(at, -30).toISOString(),
      },
      publishTime: plusMinutes(at, -20),
    });
    await landRaw(warehouse, [committed('a', 1, first), committed('b', 1, first)]);
    expect((await runMerge(warehouse, { now: first, lookbackMs: 2 * DAY })).outcome).toBe('succeeded');
    const dailyAfterFirst = await select(
      warehouse,
      'SELECT * FROM rims_analytics.daily_committed ORDER BY ALL',
    );
    expect(dailyAfterFirst).toEqual([
      { day: new Date('2026-05-10'), location_id: 'store-1', sku: 'SKU-1', items: 2, quantity: 4 },
    ]);

    // Item a is released and c committed (7 units); the run fails inside its history transaction.
    const second = plusMinutes(first, 60);
    await landRaw(warehouse, [
      {
        body: { ...itemEvent('rims.item.released.v1', 'a', 2), time: plusMinutes(second, -30).toISOString() },
        publishTime: plusMinutes(second, -20),
      },
      committed('c', 1, second, 7),
    ]);
    await expect(
      runMerge(failingHistoryMerge(warehouse), { now: second, lookbackMs: 2 * DAY }),
    ).rejects.toThrow(
      /merge\/073_item_commitment_history\.sql failed: .*the run stopped before its history MERGE/,
    );
    expect(await select(warehouse, 'SELECT * FROM rims_analytics.daily_committed ORDER BY ALL')).toEqual(
      dailyAfterFirst,
    );

    // The next run (its window reaches back over the failed one) applies both, once: b and c.
    const third = plusMinutes(second, 10);
    const report = await runMerge(warehouse, { now: third, lookbackMs: 2 * DAY });
    expect(report.chunks[0]?.historyChanged).toBeGreaterThan(0);
    expect(await select(warehouse, 'SELECT * FROM rims_analytics.daily_committed ORDER BY ALL')).toEqual([
      { day: new Date('2026-05-10'), location_id: 'store-1', sku: 'SKU-1', items: 2, quantity: 9 },
    ]);
    const rebuilt = rebuiltHistorySql();
    expect(
      await select(warehouse, `SELECT item_id, version, event_id FROM (${rebuilt}) ORDER BY ALL`),
    ).toEqual(
      await select(
        warehouse,
        'SELECT item_id, version, event_id FROM rims_core.item_commitment_history ORDER BY ALL',
      ),
    );
  });
});

describe('the BigQuery transaction script', () => {
  const at = new Date('2026-05-10T00:00:00Z');
  const statements = [
    {
      sql: '-- a comment\nMERGE `d`.a AS t USING (SELECT @x AS x) AS s ON FALSE WHEN NOT MATCHED THEN INSERT (x) VALUES (s.x);\n',
      params: { x: { type: 'TIMESTAMP', value: at } } as const,
      statement: 'merge/a.sql',
    },
    {
      sql: 'DELETE FROM `d`.b WHERE x = @x',
      params: { x: { type: 'TIMESTAMP', value: new Date(at) } } as const,
      statement: 'merge/b.sql',
    },
  ];

  it('wraps the statements in BEGIN and COMMIT, collects their row counts, and gives them back', () => {
    const { sql, params } = transactionScript(statements);
    expect(sql.split('\n')).toEqual([
      'DECLARE rims_row_counts ARRAY<INT64> DEFAULT [];',
      'BEGIN TRANSACTION;',
      '-- rims:statement merge/a.sql',
      '-- a comment',
      'MERGE `d`.a AS t USING (SELECT @x AS x) AS s ON FALSE WHEN NOT MATCHED THEN INSERT (x) VALUES (s.x);',
      'SET rims_row_counts = ARRAY_CONCAT(rims_row_counts, [@@row_count]);',
      '-- rims:statement merge/b.sql',
      'DELETE FROM `d`.b WHERE x = @x;',
      'SET rims_row_counts = ARRAY_CONCAT(rims_row_counts, [@@row_count]);',
      'COMMIT TRANSACTION;',
      'SELECT rims_row_counts AS row_counts;',
    ]);
    expect(params).toEqual({ x: { type: 'TIMESTAMP', value: at } });
    expect(statementsOfTransactionScript(sql)).toEqual([
      {
        statement: 'merge/a.sql',
        sql: '-- a comment\nMERGE `d`.a AS t USING (SELECT @x AS x) AS s ON FALSE WHEN NOT MATCHED THEN INSERT (x) VALUES (s.x);',
      },
      { statement: 'merge/b.sql', sql: 'DELETE FROM `d`.b WHERE x = @x;' },
    ]);
    expect(statementsOfTransactionScript('SELECT 1')).toEqual([]);
  });

  it('refuses two statements that bind one parameter to different values', () => {
    const clash = {
      sql: 'DELETE FROM `d`.b WHERE x = @x',
      params: { x: { type: 'TIMESTAMP', value: new Date(0) } } as const,
      statement: 'merge/b.sql',
    };
    expect(() => transactionScript([...statements.slice(0, 1), clash])).toThrow(
      /bind @x to different values \(in merge\/b\.sql\); give them one value or rename the parameter/,
    );
  });
});
