import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { Logger } from 'pino';
import type { BackfillProgress } from '../backfill/backfill.js';

/** Shows a backfill's progress: a bar with the rate and ETA on a terminal, else JSON log lines. */
export interface ProgressDisplay {
  update(progress: BackfillProgress): void;
  stop(): void;
}

/** Log lines at most this often: a million rows make two thousand batches. */
const LOG_EVERY_MS = 1_000;

/**
 * A bar on `stream` (pass it only when it is a terminal), or one JSON log line per second through
 * `logger` otherwise.
 */
export function progressDisplay(stream: Writable | undefined, logger: Logger): ProgressDisplay {
  if (stream) {
    const bar = new cliProgress.SingleBar({
      format: 'backfill [{bar}] {value}/{total} items | {percentage}% | {rate} rows/s | eta {eta_formatted}',
      stream,
      hideCursor: true,
      etaBuffer: 50,
    });
    let started = false;
    return {
      update(progress) {
        const payload = { rate: Math.round(rateOf(progress)) };
        if (!started) {
          bar.start(Math.max(progress.total, progress.read), progress.read, payload);
          started = true;
        }
        bar.setTotal(Math.max(progress.total, progress.read));
        bar.update(progress.read, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastLogged = 0;
  let last: BackfillProgress | undefined;
  const log = (progress: BackfillProgress) => {
    const rate = rateOf(progress);
    const left = Math.max(0, progress.total - progress.read);
    logger.info(
      {
        read: progress.read,
        total: progress.total,
        enqueued: progress.enqueued,
        skipped: progress.skipped,
        invalid: progress.invalid,
        last_item_id: progress.lastItemId,
        rows_per_s: Math.round(rate),
        eta_s: rate > 0 ? Math.round(left / rate) : null,
      },
      'backfill progress',
    );
  };
  return {
    update(progress) {
      last = progress;
      const now = Date.now();
      if (now - lastLogged < LOG_EVERY_MS) return;
      lastLogged = now;
      log(progress);
    },
    stop() {
      if (last) log(last);
    },
  };
}

function rateOf(progress: BackfillProgress): number {
  return progress.elapsedMs > 0 ? (progress.readThisRun * 1000) / progress.elapsedMs : 0;
}
