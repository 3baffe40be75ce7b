/**
 * How many publish requests (one per subject batch) a replica lets be in flight, paced as TCP paces
 * its congestion window: unlimited until Pub/Sub fails systemically. Then the first failure of a
 * request sent since the last cut halves the requests in flight (down to 1; requests sent before the
 * cut, failing late, cut no more), or leaves one when none was accepted since the previous cut
 * (Pub/Sub answers nothing: an outage). Each accepted request adds one while the window is below half of
 * where Pub/Sub last fell behind (doubling per round trip), and a window's worth of them add one
 * above it; one answered later than `slowMs` adds nothing.
 *
 * Why: a backlog over many subjects goes out as one request per subject, all at once. A slow or
 * recovering Pub/Sub answers few of them within the deadline while it still does the work of the
 * rest, so every wave of retries queues behind the last and fails the same way: through a link
 * passing 30 KB/s, 250 of 300 subjects were published after 90 s and the queue kept growing; a
 * niced emulator given 2,500 subjects at once failed them all (and, likely, a loaded CI run failed
 * every publish for 100 s after the emulator restarted). During an outage the window also leaves
 * one subject probing instead of all retrying.
 *
 * @example
 * const window = new RequestWindow(2_000); // a 4 s publish deadline
 * window.failed(window.cuts, 40); // one of 40 requests out failed: 20 allowed from now
 * for (let i = 0; i < 20; i++) window.accepted(35); // a window's worth answered in time: 21
 */
export class RequestWindow {
  private limit = Infinity;
  /**
   * Half the window at the last cut that followed an accepted request. A cut during an outage
   * (nothing accepted since the previous one) lowers the window but not this, so recovery doubles
   * up to where Pub/Sub last kept up.
   */
  private growLinearlyFrom = Infinity;
  private acceptedSinceCut = true;
  /** Requests accepted since the window last grew, while it grows linearly. */
  private acceptedTowardsGrowth = 0;
  private cutCount = 0;

  /** @param slowMs an answer slower than this does not grow the window (Pub/Sub keeps up only just) */
  constructor(private readonly slowMs = Infinity) {}

  /** Requests allowed in flight now: Infinity unless Pub/Sub failed systemically. */
  get size(): number {
    return this.limit;
  }

  /** How many cuts so far: a request records it when sent, and {@link failed} compares. */
  get cuts(): number {
    return this.cutCount;
  }

  /** A request was accepted `latencyMs` after it was sent. */
  accepted(latencyMs: number): void {
    this.acceptedSinceCut = true;
    if (this.limit === Infinity || latencyMs > this.slowMs) return;
    if (this.limit < this.growLinearlyFrom) {
      this.limit += 1;
    } else if (++this.acceptedTowardsGrowth >= this.limit) {
      this.limit += 1;
      this.acceptedTowardsGrowth = 0;
    }
  }

  /**
   * A request sent when the window had been cut `cutsWhenSent` times failed systemically, with
   * `inFlight` requests (itself included) out.
   */
  failed(cutsWhenSent: number, inFlight: number): void {
    if (cutsWhenSent !== this.cutCount) return;
    this.cutCount += 1;
    if (this.acceptedSinceCut) {
      this.limit = Math.max(1, Math.floor(Math.min(this.limit, inFlight) / 2));
      this.growLinearlyFrom = this.limit;
    } else {
      // Nothing got through since the last cut: one request probes, as TCP restarts from one segment
      // after a retransmission timeout. Halving instead still sent 9 requests a wave 90 s into an
      // outage with 2,500 subjects pending, each wave's failures written to the outbox.
      this.limit = 1;
    }
    this.acceptedSinceCut = false;
    this.acceptedTowardsGrowth = 0;
  }
}
