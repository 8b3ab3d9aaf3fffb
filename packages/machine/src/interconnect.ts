/**
 * The interconnect: where a bus master's DMA goes. As hardware does it, it works out the requester ID that reaches
 * the root complex (aliased behind conventional PCI), the StreamID the board wires for it, passes the transaction
 * through the IOMMU in front of it (the `IommuTranslateHook` an IOMMU model attaches), and completes it on RAM or an
 * MMIO region — an MSI doorbell, for instance — or reports where and why it aborted.
 *
 * @see hw/pci/pci.c pci_device_iommu_address_space (QEMU); hw/arm/smmu-common.c smmu_get_sid (QEMU)
 */
import type { Board, PlatformDeviceDesc, PciHostBridgeDesc } from "./board";
import type { MmioSpace } from "./mmio";
import type { PhysAddr, PhysicalMemory } from "./memory";
import type { MsiDoorbell } from "./msi-doorbell";
import type { PciHierarchy } from "./pci-hierarchy";
import { PciCommand, PciReg, formatPciName } from "./pci-regs";
import type { IommuTranslateHook } from "./translate";

/** Who issues a transaction: a PCI function by segment and BDF (bus numbers as programmed now), or a platform device. */
export type DmaMaster =
  | { readonly kind: "pci"; readonly segment: number; readonly bus: number; readonly devfn: number }
  | { readonly kind: "platform"; readonly name: string; /** Which of its StreamIDs (default 0). */ readonly streamIndex?: number };

/** A DMA transaction. */
export interface DmaRequest {
  readonly master: DmaMaster;
  /** Bus address the device emits (an IOVA when an IOMMU translates). */
  readonly address: number;
  readonly size: number;
  readonly access: "read" | "write";
  /** Bytes to write (`size` of them); without it a write stores `pattern` (default 0) in every byte. */
  readonly data?: Uint8Array;
  readonly pattern?: number;
  /**
   * `"msi"` for a message-signalled interrupt write, which always goes through the bus-master address space (the
   * IOMMU), even for a device whose data DMA bypasses it (`dmaAddressSpace: "memory"`). Default `"dma"`.
   */
  readonly kind?: "dma" | "msi";
}

/** How a completed transaction got to its target. */
export type DmaRoute = "iommu-translated" | "iommu-bypass" | "direct";

/** What happened to a transaction. */
export type DmaResult =
  | {
      readonly outcome: "completed";
      readonly pa: PhysAddr;
      readonly target: "ram" | "mmio";
      /** MMIO region name when `target` is `"mmio"`. */
      readonly region?: string;
      readonly via: DmaRoute;
      readonly requesterId?: number;
      readonly streamId?: number;
      readonly iommu?: string;
      /** Bytes read, for reads. */
      readonly data?: Uint8Array;
    }
  | {
      readonly outcome: "aborted";
      /** `master`: never left the device (unknown requester, bus mastering disabled); `iommu`: the IOMMU aborted it;
       *  `bus`: nothing decodes the (output) address. */
      readonly at: "master" | "iommu" | "bus";
      readonly reason: string;
      readonly eventId?: number | null;
      readonly pa?: PhysAddr;
      readonly requesterId?: number;
      readonly streamId?: number;
      readonly iommu?: string;
    };

/** A transaction as the trace records it (devices by kernel name). */
export interface DmaTraceEvent {
  readonly type: "dma-transaction";
  readonly master: string;
  readonly access: "read" | "write";
  readonly address: number;
  readonly size: number;
  readonly result: Omit<DmaResult, "data">;
}

/** An MSI that reached a doorbell. */
export interface MsiTraceEvent {
  readonly type: "msi-write";
  readonly master: string;
  readonly doorbell: "gicv3-its" | "gicv2m";
  readonly deviceId: number | null;
  readonly value: number;
}

/** Events the machine emits. */
export type MachineEvent = DmaTraceEvent | MsiTraceEvent;

/** Where machine events go (the driver-core `TraceSink` shape, declared structurally). */
export interface MachineTraceSink {
  emit(event: MachineEvent): void;
}

/** What the interconnect is wired to. */
export interface InterconnectParts {
  readonly board: Board;
  readonly memory: PhysicalMemory;
  readonly mmio: MmioSpace;
  readonly pci: ReadonlyMap<number, PciHierarchy>;
  readonly doorbells: readonly MsiDoorbell[];
  readonly trace?: MachineTraceSink;
  /** Drop transactions of PCI functions whose Bus Master Enable is clear, as hardware does (default true). */
  readonly enforceBusMaster?: boolean;
}

interface Resolved {
  /** Kernel name, computed only when needed (trace). */
  readonly name: () => string;
  readonly requesterId?: number;
  readonly stream: { readonly smmu: string; readonly sid: number } | null;
  /** The master's non-MSI DMA reaches memory directly (QEMU virtio without `iommu_platform`). */
  readonly dmaBypassesIommu?: boolean;
}

/**
 * The board's interconnect: routes a bus master's transaction by its requester ID (with hardware aliasing) to a
 * StreamID, through the IOMMU translate hook attached for that stream, to RAM or MMIO; MSI writes go to doorbells.
 *
 * @see hw/pci/pci.c pci_device_iommu_address_space (QEMU)
 * @see include/hw/arm/smmu-common.h smmu_get_sid (QEMU)
 */
export class Interconnect {
  readonly #parts: InterconnectParts;
  readonly #hooks = new Map<string, IommuTranslateHook>();
  readonly #hostBridges: ReadonlyMap<number, PciHostBridgeDesc>;
  readonly #platform: ReadonlyMap<string, PlatformDeviceDesc>;

  constructor(parts: InterconnectParts) {
    this.#parts = parts;
    this.#hostBridges = new Map(parts.board.pciHostBridges.map((h) => [h.segment, h]));
    this.#platform = new Map(parts.board.platformDevices.map((d) => [d.name, d]));
  }

  /** Puts an IOMMU model in front of the masters the board wires to SMMU `smmu`. */
  attachIommu(smmu: string, hook: IommuTranslateHook): void {
    if (!this.#parts.board.smmus.some((s) => s.name === smmu)) throw new Error(`board has no SMMU named ${smmu}`);
    this.#hooks.set(smmu, hook);
  }

  /** Issues one transaction. */
  dma(req: DmaRequest): DmaResult {
    if (!Number.isSafeInteger(req.address) || req.address < 0 || !Number.isInteger(req.size) || req.size <= 0) {
      throw new RangeError(`bad DMA request: address ${req.address} size ${req.size}`);
    }
    if (req.data !== undefined && req.data.length !== req.size) throw new RangeError("DMA data length differs from size");
    const resolved = this.#resolve(req.master);
    const result = "outcome" in resolved ? resolved.result : this.#route(req, resolved);
    if (this.#parts.trace !== undefined) {
      const { data: _data, ...rest } = result as DmaResult & { data?: Uint8Array };
      this.#parts.trace.emit({ type: "dma-transaction", master: resolved.name(), access: req.access, address: req.address, size: req.size, result: rest });
    }
    return result;
  }

  #resolve(master: DmaMaster): Resolved | { outcome: "aborted"; name: () => string; result: DmaResult } {
    if (master.kind === "platform") {
      const name = (): string => master.name;
      const dev = this.#platform.get(master.name);
      if (dev === undefined) return { outcome: "aborted", name, result: { outcome: "aborted", at: "master", reason: "no-such-master" } };
      if (dev.iommu === null) return { name, stream: null };
      const sid = dev.iommu.streamIds[master.streamIndex ?? 0];
      if (sid === undefined) return { outcome: "aborted", name, result: { outcome: "aborted", at: "master", reason: "no-such-stream" } };
      return { name, stream: { smmu: dev.iommu.smmu, sid } };
    }
    const hier = this.#parts.pci.get(master.segment);
    const fn = hier?.find(master.bus, master.devfn);
    if (hier === undefined || fn === undefined) {
      const name = (): string => formatPciName(master.segment, master.bus, master.devfn);
      return { outcome: "aborted", name, result: { outcome: "aborted", at: "master", reason: "no-such-master" } };
    }
    const name = (): string => hier.nameOf(fn);
    if ((this.#parts.enforceBusMaster ?? true) && (fn.config.get16(PciReg.COMMAND) & PciCommand.MASTER) === 0) {
      return { outcome: "aborted", name, result: { outcome: "aborted", at: "master", reason: "bus-master-disabled" } };
    }
    const rid = hier.requesterId(fn);
    const map = this.#hostBridges.get(master.segment)?.iommuMap.find((m) => rid >= m.ridBase && rid < m.ridBase + m.count);
    const stream = map === undefined ? null : { smmu: map.smmu, sid: rid - map.ridBase + map.sidBase };
    return fn.dmaAddressSpace === "memory" ? { name, requesterId: rid, stream, dmaBypassesIommu: true } : { name, requesterId: rid, stream };
  }

  #route(req: DmaRequest, r: Resolved): DmaResult {
    let pa = req.address;
    let via: DmaRoute = "direct";
    if (r.stream !== null && !(r.dmaBypassesIommu === true && req.kind !== "msi")) {
      const hook = this.#hooks.get(r.stream.smmu);
      if (hook === undefined) return withIds({ outcome: "aborted", at: "iommu", reason: "no-iommu-model-attached" }, r);
      const t = hook.translate({ streamId: r.stream.sid, iova: req.address, access: req.access, size: req.size });
      if (t.kind === "abort") return withIds({ outcome: "aborted", at: "iommu", reason: t.reason, eventId: t.eventId }, r);
      pa = t.pa;
      via = t.kind === "translated" ? "iommu-translated" : "iommu-bypass";
    }
    return this.#complete(req, pa, via, r);
  }

  #complete(req: DmaRequest, pa: PhysAddr, via: DmaRoute, r: Resolved): DmaResult {
    const { memory, mmio } = this.#parts;
    const data = req.data ?? new Uint8Array(req.size).fill((req.pattern ?? 0) & 0xff);
    if (memory.isBacked(pa, req.size)) {
      if (req.access === "read") {
        const bytes = memory.readBytes(pa, req.size);
        if (bytes === null) return withIds({ outcome: "aborted", at: "bus", reason: "decode-error", pa }, r);
        const done: Mutable<DmaResult> = withIds({ outcome: "completed", pa, target: "ram", via }, r);
        done.data = bytes;
        return done;
      }
      memory.writeBytes(pa, data);
      return withIds({ outcome: "completed", pa, target: "ram", via }, r);
    }
    const region = mmio.find(pa, req.size);
    if (region === undefined || req.size % 4 !== 0 || pa % 4 !== 0) {
      return withIds({ outcome: "aborted", at: "bus", reason: region === undefined ? "decode-error" : "unsupported-mmio-access", pa }, r);
    }
    const off = pa - region.base;
    const doorbell = this.#parts.doorbells.find((d) => d.base === region.base);
    const out = new Uint8Array(req.size);
    for (let i = 0; i < req.size; i += 4) {
      if (req.access === "read") {
        const v = region.handler.read32(off + i) >>> 0;
        out.set([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24], i);
        continue;
      }
      const v = ((data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24)) >>> 0;
      if (doorbell === undefined) {
        region.handler.write32(off + i, v);
        continue;
      }
      doorbell.deliver(off + i, v, r.requesterId ?? null);
      if (off + i === doorbell.doorbellOffset) {
        this.#parts.trace?.emit({ type: "msi-write", master: r.name(), doorbell: doorbell.kind, deviceId: r.requesterId ?? null, value: v });
      }
    }
    const done: Mutable<DmaResult> = withIds({ outcome: "completed", pa, target: "mmio", region: region.name, via }, r);
    if (req.access === "read") done.data = out;
    return done;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] } & { data?: Uint8Array };

/** Adds the requester ID and stream of `r` to a result (plain assignments: object spread is slow on this path). */
function withIds<T extends DmaResult>(base: T, r: Resolved): T {
  const o = base as Mutable<DmaResult>;
  if (r.requesterId !== undefined) o.requesterId = r.requesterId;
  if (r.stream !== null) {
    o.streamId = r.stream.sid;
    o.iommu = r.stream.smmu;
  }
  return base;
}
