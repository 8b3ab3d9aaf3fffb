/**
 * The flush queue of a DMA-FQ ("lazy") domain: unmapped IOVAs are not invalidated one by one; they wait in a ring of
 * 256 entries until a whole-domain flush (`flush_iotlb_all`: TLBI by ASID + CMD_SYNC on SMMUv3), which happens when
 * the ring is full or 10 ms after the first queued entry (a timer; here delayed work on the driver core's scheduler).
 * Only entries queued before a completed flush are freed back to the allocator: until then their IOVAs, and the stale
 * TLB entries that may still translate them, stay out of circulation.
 *
 * @see drivers/iommu/dma-iommu.c queue_iova, fq_ring_free, fq_flush_iotlb, fq_flush_timeout (v5.17+; iova.c before)
 */
import type { WorkItem } from "@dmasim/driver-core";
import type { DmaContext } from "../context";
import type { IommuDomain } from "@dmasim/iommu";
import type { IommuDmaCookie } from "./cookie";

/** `IOVA_FQ_SIZE`: ring entries (one slot stays empty, so 255 are usable). */
export const IOVA_FQ_SIZE = 256;
/** `IOVA_FQ_TIMEOUT`: 10 ms. */
export const IOVA_FQ_TIMEOUT_US = 10_000;

interface FqEntry {
  pfn: number;
  pages: number;
  counter: number;
}

/** One domain's flush queue (`struct iova_fq` on the one modelled CPU, plus the cookie's counters and timer). */
export class FlushQueue {
  readonly #ctx: DmaContext;
  readonly #domain: IommuDomain;
  readonly #cookie: IommuDmaCookie;
  readonly #entries: FqEntry[];
  #head = 0;
  #tail = 0;
  /** `fq_flush_start_cnt`, `fq_flush_finish_cnt`. */
  #startCnt = 0;
  #finishCnt = 0;
  /** `fq_timer_on`. */
  #timerOn = false;
  readonly #timer: WorkItem;

  constructor(ctx: DmaContext, domain: IommuDomain, cookie: IommuDmaCookie) {
    this.#ctx = ctx;
    this.#domain = domain;
    this.#cookie = cookie;
    this.#entries = Array.from({ length: IOVA_FQ_SIZE }, () => ({ pfn: 0, pages: 0, counter: 0 }));
    this.#timer = { name: `fq_flush_timeout:${cookie.label}`, queue: "timer", run: () => this.#timeout() };
  }

  /** Entries waiting for a flush. */
  get length(): number {
    return (this.#tail - this.#head + IOVA_FQ_SIZE) % IOVA_FQ_SIZE;
  }

  /** Flushes completed so far. */
  get flushes(): number {
    return this.#finishCnt;
  }

  /** The queued ranges, oldest first (for tests and leak accounting). */
  pending(): { pfn: number; pages: number }[] {
    const out: { pfn: number; pages: number }[] = [];
    for (let i = this.#head; i !== this.#tail; i = (i + 1) % IOVA_FQ_SIZE) {
      const e = this.#entries[i] as FqEntry;
      out.push({ pfn: e.pfn, pages: e.pages });
    }
    return out;
  }

  /** `fq_ring_free`: frees every entry queued before the last completed flush; returns how many. */
  #ringFree(): number {
    let freed = 0;
    const iovad = this.#cookie.iovad;
    while (this.#head !== this.#tail) {
      const e = this.#entries[this.#head] as FqEntry;
      if (e.counter >= this.#finishCnt) break;
      if (iovad !== null) {
        const to = iovad.freeIovaFast(e.pfn, e.pages);
        this.#ctx.trace.emit({ type: "iova-free", domain: this.#cookie.label, iova: e.pfn * iovad.granule, pages: e.pages, to });
      }
      this.#head = (this.#head + 1) % IOVA_FQ_SIZE;
      freed += 1;
    }
    return freed;
  }

  /** `fq_flush_iotlb`: one whole-domain invalidation through the driver. */
  #flush(): void {
    this.#startCnt += 1;
    this.#ctx.iommu?.flushIotlbAll(this.#domain);
    this.#finishCnt += 1;
  }

  /** `fq_flush_timeout`. */
  #timeout(): void {
    this.#timerOn = false;
    this.#flush();
    const freed = this.#ringFree();
    this.#ctx.trace.emit({ type: "fq-flush", domain: this.#cookie.label, reason: "timeout", freed });
  }

  /**
   * `queue_iova(cookie, pfn, pages, freelist)`: frees what earlier flushes covered, flushes first if the ring is
   * full, appends the range stamped with the current flush-start count, and arms the 10 ms timer if it is not armed.
   */
  queue(pfn: number, pages: number): void {
    this.#ringFree();
    if ((this.#tail + 1) % IOVA_FQ_SIZE === this.#head) {
      this.#flush();
      const freed = this.#ringFree();
      this.#ctx.trace.emit({ type: "fq-flush", domain: this.#cookie.label, reason: "full", freed });
    }
    const e = this.#entries[this.#tail] as FqEntry;
    e.pfn = pfn;
    e.pages = pages;
    e.counter = this.#startCnt;
    this.#tail = (this.#tail + 1) % IOVA_FQ_SIZE;
    const granule = this.#cookie.iovad?.granule ?? 4096;
    this.#ctx.trace.emit({ type: "fq-queue", domain: this.#cookie.label, iova: pfn * granule, pages, counter: e.counter });
    if (!this.#timerOn && this.#ctx.scheduler !== null) {
      this.#timerOn = true;
      this.#ctx.scheduler.queueDelayedWork(this.#timer, IOVA_FQ_TIMEOUT_US);
    }
  }

  /** `iommu_dma_free_fq`: stop the timer (the domain is going away; the IOVAs go with the allocator). */
  destroy(): void {
    if (this.#timerOn) this.#ctx.scheduler?.cancelWork(this.#timer);
    this.#timerOn = false;
  }
}
