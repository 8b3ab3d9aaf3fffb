/**
 * What the explorer sees of a run at each choice point: a canonical state key (two orders that reach the same state
 * get the same key) and the resources the last step touched (for partial-order reduction).
 *
 * **Canonical state.** The key hashes (1) the boot thread's position and the work running around the choice point,
 * (2) a snapshot of the state that decides the future: every device's driver/bound/dead, the deferred pending and
 * active lists in order, the arm64 `iommu_dma_masters` queue, the ready and delayed work, late_initcall done, the
 * fault budget left, and (3) per-entity histories: each trace event is folded into the history of the entity it is
 * about (a device, else an IOMMU domain, a group, an SMMU, else "global"), with allocation identities left out (group,
 * domain and ASID numbers, physical addresses, IOVAs, queue indices, counters, sequence and time). Device, STE and
 * SMMU histories are keyed by name; domain, group and ASID histories are anonymous (sorted), so two orders that only
 * number the allocations differently are the same state; commuting events (CMD_SYNC, queue-pointer writes,
 * deferred-probe triggers) are kept as a multiset. The histories keep what the invariants read (bind events, DMA
 * ops, probe results, DMA outcomes), so merging two states never hides a violation one of their pasts had.
 * printk lines and scheduler/initcall bookkeeping events are left out (the position and the pending work stand for
 * them).
 *
 * **Touch.** The resources of a step are the devices, domain and group numbers its events name, the parts of an SMMU
 * (hardware and kernel names unified) its commands address (one STE, one ASID, or the whole SMMU: `smmuTouch`), and
 * "global" for an event about none of them (except deferred-probe triggers, an increment-only counter whose order
 * does not matter). Domains, groups and ASIDs allocated within the step are private to it and left out. A driver match that fails reads only the device's immutable IDs and is not a touch. Two steps
 * commute when their resources are disjoint.
 */
import type { TraceRecord } from "@dmasim/driver-core";
import type { ChoicePoint } from "../boot/choices";
import type { DmasimEvent, Kernel } from "../boot/kernel";

/** Numeric fields that are allocation identities, addresses or counters: not part of a history. */
const EXCLUDED_NUMBERS = new Set([
  "seq", "time", "group", "domain", "asid", "vmid", "addr", "iova", "pa", "cpuPa", "dmaAddr", "reachedPa", "ttbr",
  "index", "walk", "triggerCount", "count", "dueUs", "delayUs", "eventId", "order", "from", "to", "cookie", "prod", "cons", "address",
]);

/** Events that are bookkeeping of the boot thread and scheduler, or log lines: not part of a history or a touch. */
const SKIPPED = new Set([
  "printk", "work-queue", "work-start", "work-end", "work-cancel", "initcall-start", "initcall-end", "module-load",
  "module-load-end", "boot-phase", "system-state", "initcalls-done",
]);

/** Global events whose order does not matter (commuting updates). */
const COMMUTING_GLOBAL = new Set(["deferred-trigger"]);

/** The whole-model resource: a step that touches it conflicts with every other step that does. */
export const GLOBAL = "global";

function mix(h: number, s: string): number {
  let x = h;
  for (let i = 0; i < s.length; i++) {
    x ^= s.charCodeAt(i);
    x = Math.imul(x, 0x01000193);
  }
  return x >>> 0;
}

function mix2(h: number, s: string): number {
  let x = h;
  for (let i = 0; i < s.length; i++) {
    x = Math.imul(x ^ s.charCodeAt(i), 0x5bd1e995);
    x ^= x >>> 15;
  }
  return x >>> 0;
}

/** A 64-bit hash of `s` as 16 hex digits (two independent 32-bit hashes). */
export function hash64(s: string): string {
  return mix(0x811c9dc5, s).toString(16).padStart(8, "0") + mix2(0x9747b28c, s).toString(16).padStart(8, "0");
}

function token(value: unknown, key: string, out: string[], leaf: string = key): void {
  if (typeof value === "string") out.push(`${key}=${value}`);
  else if (typeof value === "boolean") out.push(`${key}=${value ? 1 : 0}`);
  else if (typeof value === "number") {
    if (!EXCLUDED_NUMBERS.has(leaf)) out.push(`${key}=${value}`);
  } else if (value === null) out.push(`${key}=_`);
  else if (Array.isArray(value)) {
    if (!EXCLUDED_NUMBERS.has(leaf)) value.forEach((v, i) => token(v, `${key}.${i}`, out, leaf));
  } else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) token(v, `${key}.${k}`, out, k);
  }
}

/** The history token of an event: its type and every field except excluded numbers. */
export function eventToken(e: Readonly<Record<string, unknown>>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(e)) if (k !== "seq" && k !== "time") token(v, k, out);
  return out.join("|");
}

/** Commands about one StreamID (CMD_CFGI_ALL and CMD_CFGI_STE_RANGE cover many: the whole SMMU). */
const SID_COMMANDS = new Set(["CMD_CFGI_STE", "CMD_CFGI_CD", "CMD_CFGI_CD_ALL", "CMD_PREFETCH_CONFIG", "CMD_PREFETCH_ADDR"]);

/** SMMU registers that are queue pointers: their updates commute (indices are not part of the state). */
const QUEUE_REGS = new Set(["CMDQ_PROD", "CMDQ_CONS", "EVTQ_PROD", "EVTQ_CONS", "PRIQ_PROD", "PRIQ_CONS"]);

/**
 * The part of an SMMU an event (about no device or domain) touches: one STE (`ste:SMMU:SID`) or one ASID's TLB
 * entries for commands naming them, nothing for a CMD_SYNC, a queue-pointer write or a TLBI already accounted by its
 * command (queue positions are left out of the state, so commands on disjoint StreamIDs/ASIDs commute), else the
 * whole SMMU (`iommu:SMMU`: global configuration, invalidate-all, the event queue).
 */
function smmuTouch(r: Readonly<Record<string, unknown>>, smmu: string): string | null {
  if (r["type"] === "smmu-cmd") {
    const f = (r["fields"] ?? {}) as Record<string, unknown>;
    if (r["name"] === "CMD_SYNC") return null;
    if (typeof f["sid"] === "number" && SID_COMMANDS.has(String(r["name"]))) return `ste:${smmu}:${f["sid"]}`;
    if (typeof f["asid"] === "number") return `asid:${smmu}:${f["asid"]}`;
    return `iommu:${smmu}`;
  }
  if (r["type"] === "smmu-cfgi" && typeof r["first"] === "number" && r["first"] === r["last"]) return `ste:${smmu}:${r["first"]}`;
  if (r["type"] === "smmu-tlbi" && (r["command"] === "CMD_TLBI_NH_ASID" || r["command"] === "CMD_TLBI_NH_VA")) return null;
  if (r["type"] === "smmu-reg-write" && typeof r["reg"] === "string" && QUEUE_REGS.has(r["reg"])) return null;
  return `iommu:${smmu}`;
}

/**
 * What a step touched: everything between two choice points (`all`), and, when the step began by running a work
 * item, what that item alone touched (`first`); work that ran after it without a choice (the only ready item) is
 * a step of its own.
 */
export interface StepTouch {
  readonly all: readonly string[];
  readonly first: readonly string[] | null;
}

/**
 * Follows one run's trace between choice points: entity histories, the running-work stack, and the resources
 * touched since the last choice point.
 */
export class RunObserver {
  readonly #named = new Map<string, [number, number]>();
  readonly #anon = new Map<string, [number, number]>();
  /** Events whose order does not matter, counted (a multiset). */
  readonly #commuting = new Map<string, number>();
  readonly #running: string[] = [];
  #next = 0;
  #touch = new Set<string>();
  /** Resources allocated within the current step (private to it, so not a conflict with any other step). */
  #fresh = new Set<string>();
  #smmuAlias: Map<string, string> | null = null;
  /** The touch of the first work item that ran to completion in the current step, at the step's own depth. */
  #firstItem: string[] | null = null;
  #segmentDepth = 0;

  #canonSmmu(k: Kernel, name: string): string {
    if (this.#smmuAlias === null || this.#smmuAlias.size < k.smmuDeviceNames.size) {
      this.#smmuAlias = new Map([...k.smmuDeviceNames].map(([board, dev]) => [dev, board]));
    }
    return this.#smmuAlias.get(name) ?? name;
  }

  #fold(map: Map<string, [number, number]>, key: string, seed: string, tok: string): void {
    const h = map.get(key) ?? [mix(0x811c9dc5, seed), mix2(0x9747b28c, seed)];
    h[0] = mix(h[0], tok);
    h[1] = mix2(h[1], tok);
    map.set(key, h);
  }

  /** Folds the records emitted since the last call. */
  advance(k: Kernel, records: readonly TraceRecord<DmasimEvent>[], end: number = records.length): void {
    for (; this.#next < end; this.#next++) {
      const r = records[this.#next] as TraceRecord<DmasimEvent> & Record<string, unknown>;
      if (r.type === "work-start") this.#running.push(String(r["work"]));
      else if (r.type === "work-end") {
        this.#running.pop();
        if (this.#firstItem === null && this.#running.length === this.#segmentDepth) this.#firstItem = this.#current();
      }
      if (SKIPPED.has(r.type)) continue;
      if (r.type === "iommu-group-alloc") this.#fresh.add(`group#${r["group"]}`);
      else if (r.type === "iommu-domain-alloc") this.#fresh.add(`domain#${r["domain"]}`);
      else if (r.type === "arm-smmu-cd" && this.#fresh.has(`domain#${r["domain"]}`) && typeof r["smmu"] === "string") {
        this.#fresh.add(`asid:${this.#canonSmmu(k, r["smmu"])}:${r["asid"]}`);
      }
      const tok = eventToken(r);
      const dev = typeof r["device"] === "string" ? r["device"] : typeof r["master"] === "string" ? r["master"] : typeof r["data"] === "string" ? r["data"] : null;
      const smmuField = typeof r["smmu"] === "string" ? r["smmu"] : typeof r["iommu"] === "string" ? r["iommu"] : null;
      const smmu = smmuField === null ? null : this.#canonSmmu(k, smmuField);
      if (dev !== null) {
        if (!(r.type === "driver-match" && r["ret"] === 0)) this.#touch.add(`dev:${dev}`);
        this.#fold(this.#named, `dev:${dev}`, `dev:${dev}`, tok);
      } else if (typeof r["domain"] === "number" && !r.type.startsWith("pci-")) {
        // an IOMMU domain (a PCI event's `domain` is the PCI segment)
        this.#touch.add(`domain#${r["domain"]}`);
        this.#fold(this.#anon, `domain#${r["domain"]}`, "domain", tok);
      } else if (typeof r["group"] === "number") {
        this.#touch.add(`group#${r["group"]}`);
        this.#fold(this.#anon, `group#${r["group"]}`, "group", tok);
      } else if (smmu !== null) {
        const part = smmuTouch(r, smmu);
        if (part === null) this.#commuting.set(tok, (this.#commuting.get(tok) ?? 0) + 1);
        else {
          this.#touch.add(part);
          if (part.startsWith("asid:")) this.#fold(this.#anon, part, "asid", tok);
          else this.#fold(this.#named, part, part, tok);
        }
      } else if (COMMUTING_GLOBAL.has(r.type)) {
        this.#commuting.set(tok, (this.#commuting.get(tok) ?? 0) + 1);
      } else {
        this.#touch.add(GLOBAL);
        this.#fold(this.#named, GLOBAL, GLOBAL, tok);
      }
    }
  }

  /** The resources touched since the last call (sorted), and resets them. */
  takeTouch(): StepTouch {
    const all = this.#current();
    const first = this.#firstItem;
    this.#touch = new Set();
    this.#fresh = new Set();
    this.#firstItem = null;
    this.#segmentDepth = this.#running.length;
    return { all, first };
  }

  #current(): string[] {
    return [...this.#touch].filter((x) => !this.#fresh.has(x)).sort();
  }

  /** The canonical key of the state at `point` (or at the end of the run, `point` null). */
  stateKey(k: Kernel, point: ChoicePoint | null, extra: string): string {
    return hash64(this.stateText(k, point, extra));
  }

  /** The text {@link stateKey} hashes (for debugging a missed merge). */
  stateText(k: Kernel, point: ChoicePoint | null, extra: string): string {
    const parts: string[] = [];
    parts.push(point === null ? "end" : `${point.kind}@${point.at}:${point.labels.join(",")}`);
    parts.push(`run:${this.#running.join(">")}`, extra);
    const devices: string[] = [];
    for (const bus of k.core.buses) {
      for (const d of bus.devices) devices.push(`${bus.name}/${d.name}:${d.driver?.name ?? "-"}:${d.isBound ? 1 : 0}:${d.isDead ? 1 : 0}`);
    }
    devices.sort();
    parts.push(devices.join(";"));
    parts.push(`P:${k.core.deferredPending.map((d) => d.name).join(",")}`, `A:${k.core.deferredActive.map((d) => d.name).join(",")}`);
    parts.push(`Q:${(k.arm64?.queue ?? []).map((e) => e.dev.name).join(",")}`);
    const s = k.core.scheduler;
    parts.push(`R:${s.ready.map((w) => w.name).join(",")}`, `D:${s.delayed.map((d) => `${d.item.name}@${d.dueUs - k.clock.now()}`).join(",")}`);
    parts.push(`late:${k.lateDone ? 1 : 0}:${k.core.systemState}`);
    const named = [...this.#named].map(([key, h]) => `${key}=${h[0].toString(16)}${h[1].toString(16)}`).sort();
    const anon = [...this.#anon.values()].map((h) => `${h[0].toString(16)}${h[1].toString(16)}`).sort();
    const commuting = [...this.#commuting].map(([t, n]) => `${t}*${n}`).sort();
    parts.push(named.join(";"), anon.join(";"), commuting.join(";"));
    return parts.join("\n");
  }
}

/** The footprints of one finished run: each work item's (by name) and the boot thread's steps in between. */
export interface RunFootprints {
  /** Per work name: what it touched, and the record index where it was first queued. */
  readonly items: ReadonlyMap<string, { readonly touch: ReadonlySet<string>; readonly queuedAt: number }>;
  /** The boot thread outside work items, cut at every queueing: each piece with the record index it starts at. */
  readonly boot: readonly { readonly at: number; readonly touch: readonly string[] }[];
}

/** The footprint of every work item of a finished run and of the boot thread's steps, as {@link RunObserver} defines touch. */
export function footprints(k: Kernel, records: readonly TraceRecord<DmasimEvent>[]): RunFootprints {
  const o = new RunObserver();
  const items = new Map<string, { touch: Set<string>; queuedAt: number }>();
  const boot: { at: number; touch: readonly string[] }[] = [];
  let depth = 0;
  let current = "";
  let bootStart = 0;
  const closeBoot = (i: number): void => {
    o.advance(k, records, i);
    boot.push({ at: bootStart, touch: o.takeTouch().all });
    bootStart = i;
  };
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as TraceRecord<DmasimEvent>;
    if (r.type === "work-queue" && !r.alreadyPending && !items.has(r.work)) {
      items.set(r.work, { touch: new Set(), queuedAt: i });
      if (depth === 0) closeBoot(i);
    } else if (r.type === "work-start" && depth++ === 0) {
      closeBoot(i);
      current = r.work;
    } else if (r.type === "work-end" && --depth === 0) {
      o.advance(k, records, i + 1);
      const entry = items.get(current) ?? { touch: new Set<string>(), queuedAt: 0 };
      for (const x of o.takeTouch().all) entry.touch.add(x);
      items.set(current, entry);
      bootStart = i + 1;
    }
  }
  closeBoot(records.length);
  return { items, boot };
}

/**
 * Work items whose footprint nothing else touches (no other work item, no boot-thread step after the item was
 * queued) and that touch nothing global: such an item commutes with everything that can happen while it is ready,
 * so a node where it is ready needs to explore only it (a persistent set of one). The footprints come from one run
 * of the unit, the usual dynamic approximation.
 */
export function privateItems(fp: RunFootprints): Set<string> {
  const out = new Set<string>();
  for (const [name, item] of fp.items) {
    if (item.touch.has(GLOBAL)) continue;
    let alone = true;
    for (const [other, o] of fp.items) {
      if (other === name) continue;
      for (const x of item.touch) if (o.touch.has(x)) alone = false;
      if (!alone) break;
    }
    for (const b of fp.boot) {
      if (!alone) break;
      if (b.at < item.queuedAt) continue;
      for (const x of b.touch) if (item.touch.has(x)) alone = false;
    }
    if (alone) out.add(name);
  }
  return out;
}
