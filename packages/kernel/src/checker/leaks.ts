/**
 * I-LEAK (issue 7): what a failed probe or an unbind leaves behind, from the trace alone (so it can be re-checked
 * on a shrunk trace): DMA mappings (IOVAs and the page-table entries behind them) of a driver instance that has
 * ended, STEs still translating for a device that is gone, and IOMMU domains (their page-table pages) whose every
 * device has been removed without the domain being freed.
 *
 * Queue entries: an `iommu_dma_masters` entry that outlives its device is reported once, by I-QUEUE-HYGIENE (d.2.12),
 * which already checks every queue snapshot for deleted devices; I-LEAK does not report the same entry again. An
 * entry a failed probe re-queues for a live device (the hypothetical v4.8 NOT_BOUND cleanup) is not a leak: the
 * next ADD_DEVICE drains it.
 */
import type { Violation } from "@dmasim/driver-core";
import { kernelViolation, type AnyRecord } from "./records";

interface MappingView extends AnyRecord {
  readonly device: string;
  readonly owner: string;
  readonly dmaAddr: number | null;
  readonly api?: string;
  readonly size: number;
  readonly ops: string;
  readonly found?: boolean;
}

interface LiveMapping {
  readonly seq: number;
  readonly owner: string;
  readonly what: string;
}

/** Live mappings per device and DMA address (LIFO per address, as the DMA layer books them). */
class MappingBook {
  readonly #live = new Map<string, LiveMapping[]>();

  book(r: MappingView): void {
    if (r.dmaAddr === null) return;
    const key = `${r.device}@${r.dmaAddr}`;
    const api = r.type === "dma-alloc" ? "coherent" : (r.api ?? "single");
    const list = this.#live.get(key) ?? [];
    list.push({ seq: r.seq, owner: r.owner, what: `${api} 0x${r.dmaAddr.toString(16)}+0x${r.size.toString(16)} via ${r.ops}` });
    this.#live.set(key, list);
  }

  unbook(r: MappingView): void {
    if (r.dmaAddr === null || r.found === false) return;
    const key = `${r.device}@${r.dmaAddr}`;
    const list = this.#live.get(key);
    list?.pop();
    if (list !== undefined && list.length === 0) this.#live.delete(key);
  }

  /** Live mappings of a device, oldest first. */
  of(device: string): LiveMapping[] {
    const out: LiveMapping[] = [];
    for (const [key, list] of this.#live) if (key.startsWith(`${device}@`)) out.push(...list);
    return out.sort((a, b) => a.seq - b.seq);
  }

  devices(): string[] {
    return [...new Set([...this.#live.keys()].map((k) => k.slice(0, k.lastIndexOf("@"))))].sort();
  }
}

interface EndView extends AnyRecord {
  readonly device: string;
  readonly bound?: boolean;
}

/**
 * The record that ended the driver instance owning a mapping made at `madeAt`, or null while it lives on. A mapping
 * made during a probe (`probe:` owner) belongs to that attempt: the attempt's `really-probe-end` ends it when the
 * probe failed, and hands it to the bound driver when it succeeded. A bound driver's mappings end with
 * `release-driver-end` (unbind) or `device-del-end`.
 */
function instanceEnd(ends: readonly EndView[], owner: string, madeAt: number): { readonly seqs: readonly number[] } | null {
  let boundSince: number | null = owner.startsWith("probe:") ? null : madeAt;
  for (const e of ends) {
    if (e.seq < madeAt) continue;
    if (boundSince === null) {
      if (e.type !== "really-probe-end") continue;
      if (e.bound !== true) return { seqs: [e.seq] };
      boundSince = e.seq;
    } else if (e.type === "release-driver-end" || e.type === "device-del-end") {
      return { seqs: boundSince === madeAt ? [e.seq] : [boundSince, e.seq] };
    }
  }
  return null;
}

/**
 * DMA mappings left after an unbind or a failed probe: a mapping (an IOVA and the page-table entries behind it, or
 * a swiotlb/direct one) booked under a driver instance (`probe:<driver>#<attempt>`, `bound:<driver>#<attempt>`) that
 * is still live at the end of the trace although that instance ended (its probe attempt failed, its driver was
 * released, its device deleted). Driverless mappings are the caller's own; a mapping of an instance that is still
 * running (a probe in progress, a bound driver) is not a leak.
 *
 * @see drivers/base/dd.c really_probe (probe_failed), __device_release_driver
 */
export function checkMappingLeaks(records: readonly AnyRecord[]): Violation[] {
  const book = new MappingBook();
  const ends = new Map<string, EndView[]>();
  for (const r of records) {
    switch (r.type) {
      case "dma-alloc":
      case "dma-map":
        book.book(r as MappingView);
        break;
      case "dma-free":
      case "dma-unmap":
        book.unbook(r as MappingView);
        break;
      case "really-probe-end":
      case "release-driver-end":
      case "device-del-end": {
        const e = r as EndView;
        ends.set(e.device, [...(ends.get(e.device) ?? []), e]);
        break;
      }
      default:
        break;
    }
  }
  const out: Violation[] = [];
  for (const device of book.devices()) {
    for (const m of book.of(device)) {
      if (m.owner === "driverless") continue;
      const end = instanceEnd(ends.get(device) ?? [], m.owner, m.seq);
      if (end === null) continue;
      out.push(kernelViolation("I-LEAK", device, `${device}: dma-mapping of ${m.owner} left behind (${m.what})`, [m.seq, ...end.seqs]));
    }
  }
  return out;
}

interface SteView extends AnyRecord {
  readonly smmu: string;
  readonly sid: number;
  readonly config: string;
  readonly device: string | null;
}

/**
 * STEs left translating for a device that is gone: the last STE written for a StreamID still points at the domain of
 * a device that passed `device_del` after it was written (its stream would reach that domain's mappings).
 */
export function checkSteLeaks(records: readonly AnyRecord[]): Violation[] {
  const last = new Map<string, SteView>();
  const deleted = new Map<string, number>();
  for (const r of records) {
    if (r.type === "arm-smmu-ste") {
      const s = r as SteView;
      last.set(`${s.smmu}:${s.sid}`, s);
    } else if (r.type === "device-del-end") {
      deleted.set((r as AnyRecord & { device: string }).device, r.seq);
    }
  }
  const out: Violation[] = [];
  for (const s of last.values()) {
    if (s.config !== "s1-trans" || s.device === null) continue;
    const gone = deleted.get(s.device);
    if (gone === undefined || gone < s.seq) continue;
    out.push(kernelViolation("I-LEAK", s.device, `${s.device}: STE of stream 0x${s.sid.toString(16)} on ${s.smmu} still translates through its domain after device_del`, [s.seq, gone]));
  }
  return out;
}

/**
 * IOMMU domains whose page tables outlive every device attached to them: each device that was attached to the
 * domain (its last attach) has passed `device_del`, and the domain was never freed.
 */
export function checkDomainLeaks(records: readonly AnyRecord[]): Violation[] {
  const attachedTo = new Map<string, { domain: number; seq: number }>();
  const alloc = new Map<number, number>();
  const freed = new Set<number>();
  const deleted = new Map<string, number>();
  for (const r of records) {
    const e = r as AnyRecord & { domain?: number; device?: string; ret?: number };
    if (r.type === "iommu-domain-alloc" && e.domain !== undefined) alloc.set(e.domain, r.seq);
    else if (r.type === "iommu-domain-free" && e.domain !== undefined) freed.add(e.domain);
    else if (r.type === "iommu-attach" && e.domain !== undefined && e.device !== undefined && e.ret === 0) attachedTo.set(e.device, { domain: e.domain, seq: r.seq });
    else if (r.type === "device-del-end" && e.device !== undefined) deleted.set(e.device, r.seq);
    else if (r.type === "device-add" && e.device !== undefined) deleted.delete(e.device);
  }
  const byDomain = new Map<number, string[]>();
  for (const [device, a] of attachedTo) byDomain.set(a.domain, [...(byDomain.get(a.domain) ?? []), device]);
  const out: Violation[] = [];
  for (const [domain, devices] of [...byDomain].sort((a, b) => a[0] - b[0])) {
    if (freed.has(domain) || !alloc.has(domain) || !devices.every((d) => deleted.has(d))) continue;
    const last = devices.sort()[0] as string;
    out.push(
      kernelViolation("I-LEAK", last, `domain ${domain} (page tables) of ${devices.join(", ")} left allocated after device_del`, [
        alloc.get(domain) as number,
        ...devices.map((d) => (attachedTo.get(d) as { seq: number }).seq),
        ...devices.map((d) => deleted.get(d) as number),
      ]),
    );
  }
  return out;
}

/** I-LEAK: mappings, STEs and domains left behind, from the trace. */
export function checkLeaks(records: readonly AnyRecord[]): Violation[] {
  return [...checkMappingLeaks(records), ...checkSteLeaks(records), ...checkDomainLeaks(records)];
}
