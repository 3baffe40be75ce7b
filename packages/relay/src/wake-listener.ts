import pg from 'pg';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from './backoff.js';

/** Options of {@link WakeListener}. */
export interface WakeListenerOptions {
  readonly connection: pg.ClientConfig;
  readonly channel: string;
  readonly backoff: BackoffOptions;
  readonly logger: Logger;
  /** Called on each notification, and after each (re)connect since notifications may have been missed. */
  readonly onWake: () => void;
  readonly onConnectedChange: (connected: boolean) => void;
}

/**
 * LISTENs for the outbox's commit notifications on a dedicated connection, and reconnects with
 * backoff when the connection drops (a PostgreSQL restart, a failover, an idle-connection reaper).
 * While it is down the relay still finds work by polling.
 */
export class WakeListener {
  private client: pg.Client | undefined;
  private stopped = true;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WakeListenerOptions) {}

  get connected(): boolean {
    return this.client !== undefined;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.options.connection);
    // An object, not a boolean: the callbacks below change it while connect() awaits.
    const attempt = { lost: false };
    const onLost = (error?: Error) => {
      if (attempt.lost) return;
      attempt.lost = true;
      if (this.client === client) {
        this.client = undefined;
        this.options.onConnectedChange(false);
      }
      client.end().catch(() => undefined);
      if (this.isStopped()) return;
      this.options.logger.warn(
        { err: error, channel: this.options.channel },
        'wake listener connection lost; polling until it is back',
      );
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => {
      onLost();
    });
    client.on('notification', () => {
      this.options.onWake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.options.channel)}`);
    } catch (error) {
      onLost(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (attempt.lost) return;
    if (this.isStopped()) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    if (this.failures > 0) {
      this.options.logger.info({ channel: this.options.channel }, 'wake listener reconnected');
    }
    this.failures = 0;
    this.options.onConnectedChange(true);
    this.options.onWake();
  }

  /** A method, so that checks after an await are not narrowed away by the one before it. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private scheduleReconnect(): void {
    this.failures += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(
      () => {
        void this.connect();
      },
      backoffDelay(this.failures, this.options.backoff),
    );
  }
}
