/** The text of `rims-merger --help`. */
export const HELP = `Usage: rims-merger <command> [flags]

Commands
  provision   create the Pub/Sub topics and subscriptions and the warehouse tables (idempotent)
  land        pull the raw subscription into the DuckDB raw table (--once: until drained)
  run         merge raw -> core -> state for the lookback window (or --from/--to)
  sql         print the rendered SQL (--dialect bigquery|duckdb)
  audit       compare raw, core and state; report gaps and events behind the lookback
  check       heartbeat freshness, rejected ratio, dead letters, failed runs: exit 1 on a breach
  rebuild-history  rebuild history, spans and daily_committed from all of Core (one transaction,
              under the merge lease): after an upgrade from a release without history, or a repair

Flags (each overrides its environment variable)
  --warehouse-url URL           WAREHOUSE_URL         duckdb:///abs/path.duckdb | bigquery://PROJECT/LOCATION
  --pubsub-project-id ID        PUBSUB_PROJECT_ID     default rims-local
  --pubsub-topic NAME           PUBSUB_TOPIC          default rims-item-events
  --pubsub-subscription NAME    PUBSUB_SUBSCRIPTION   default rims-item-events-raw
  --pubsub-dead-letter-topic N  PUBSUB_DEAD_LETTER_TOPIC  default rims-item-events-dead-letter
  --pubsub-emulator-host H:P    PUBSUB_EMULATOR_HOST  the Pub/Sub emulator
  --lookback DURATION           MERGER_LOOKBACK       default 2d
  --every DURATION              MERGER_EVERY          run: repeat every DURATION until stopped
  --lease-ttl DURATION          MERGER_LEASE_TTL      default 15m (rebuild-history: raise it for a large Core)
  --chunk DURATION              MERGER_CHUNK          repair chunk, default 1d
  --raw-partition DAY|HOUR      MERGER_RAW_PARTITION  default DAY
  --raw-partition-expiration D  MERGER_RAW_PARTITION_EXPIRATION  default 60d
  --max-delivery-attempts N     MERGER_MAX_DELIVERY_ATTEMPTS     default 5
  --batch-size N                MERGER_BATCH_SIZE     default 500
  --otel-exporter-otlp-endpoint URL          OTEL_EXPORTER_OTLP_ENDPOINT  run, check: export metrics over OTLP/HTTP
  --otel-exporter-otlp-metrics-endpoint URL  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT  the same, the full metrics URL
  --log-level LEVEL             LOG_LEVEL             default info
  --from TIME, --to TIME        run: repair window; audit: window (RFC 3339, or a duration ago: 7d)
  --dry-run                     provision, run, rebuild-history: show what would happen, change nothing
  --once                        land: exit 0 once the subscription is drained
  --land                        run --every: land the subscription before each merge
  --only warehouse|pubsub       provision: one side only
  --dialect bigquery|duckdb     sql: the dialect (default: the warehouse's)
  --json                        run, audit, provision, check, rebuild-history: print the report as JSON
  --limit N                     audit: most rows listed per finding, default 100
  --max-lag DURATION            check: newest heartbeat age and its commit-to-Core lag, default 5m
  --max-rejected-ratio R        check: rejected rows over raw rows in --window, default 0.01
  --max-dead-letters N          check: messages in the dead-letter subscription, default 0
  --max-failed-runs N           check: failed merge runs in --window, default 0
  --window DURATION             check: window of the rejected ratio and failed runs, default 1h

Exit status: 0 done (audit: clean; check: all hold), 1 failed (audit: findings; check: a breach),
2 bad configuration, 3 rebuild-history: another run holds the merge lease (nothing changed; run it
again once that run is done).`;
