/**
 * arm64 DMA setup of v4.7 and v4.8 (and the hypothetical v4.8-not-bound): `arch_setup_dma_ops` runs when the device
 * is created, before the IOMMU driver has seen it, so when the device has no IOMMU group yet its attach is queued on
 * `iommu_dma_masters` (head insertion) and done later by `__iommu_attach_notifier`:
 *
 * - v4.7: on every ADD_DEVICE of any device on platform/amba/pci, at priority -100 (after the IOMMU core's own
 *   notifier), for every queued entry; plus one drain at arch_initcall for devices queued earlier (722ec35f7fae).
 * - v4.8 (16c11325cc44, as merged): on BIND_DRIVER, priority 0, only the entry of the device being bound, stopping at
 *   the first success; no replay at init; nothing on DRIVER_NOT_BOUND or UNBOUND_DRIVER.
 * - v4.8-not-bound (hypothetical, never merged): v4.8 plus a DRIVER_NOT_BOUND/UNBOUND_DRIVER handler that restores
 *   swiotlb ops and re-queues the device, and (by default) unmaps what the probe left mapped through iommu-dma.
 *
 * `arch_teardown_dma_ops` only clears the ops pointer: a queued entry outlives its device.
 *
 * @see arch/arm64/mm/dma-mapping.c queue_iommu_attach, __iommu_attach_notifier, __iommu_setup_dma_ops (v4.7, v4.8)
 */
import { type Bus, type BusNotifyAction, type Device, type DriverCore } from "@dmasim/driver-core";
import { DMA_DEVICE, liveDmaMappings, type ArchSetupDmaArgs } from "../device-dma";
import type { DmaSubsystem } from "../subsystem";
import { attachIommuDma } from "./attach";
import type { Arm64DmaSetup, IommuDmaMasterEntry, NotBoundCleanupOptions } from "./types";

/** The three queue generations. */
export type AttachQueuePolicy = "v4.7" | "v4.8" | "v4.8-not-bound";

/** An arm64 DMA setup with the `iommu_dma_masters` queue. */
export class AttachQueueSetup implements Arm64DmaSetup {
  readonly policy: AttachQueuePolicy;
  readonly hypothetical: boolean;
  readonly #dma: DmaSubsystem;
  readonly #core: DriverCore;
  readonly #queue: IommuDmaMasterEntry[] = [];
  readonly #unmapProbeIovas: boolean;

  constructor(policy: AttachQueuePolicy, dma: DmaSubsystem, core: DriverCore, cleanup: NotBoundCleanupOptions = {}) {
    this.policy = policy;
    this.hypothetical = policy === "v4.8-not-bound";
    this.#dma = dma;
    this.#core = core;
    this.#unmapProbeIovas = cleanup.unmapProbeIovas ?? true;
  }

  get queue(): readonly IommuDmaMasterEntry[] {
    return this.#queue;
  }

  #names(): string[] {
    return this.#queue.map((e) => e.dev.name);
  }

  /** `queue_iommu_attach`: `list_add`, i.e. at the head. */
  #enqueue(entry: IommuDmaMasterEntry, op: "add" | "requeue"): void {
    this.#queue.unshift(entry);
    this.#dma.ctx.trace.emit({ type: "iommu-dma-queue", op, device: entry.dev.name, queue: this.#names() });
  }

  #remove(entry: IommuDmaMasterEntry): void {
    const i = this.#queue.indexOf(entry);
    if (i >= 0) this.#queue.splice(i, 1);
    this.#dma.ctx.trace.emit({ type: "iommu-dma-queue", op: "remove", device: entry.dev.name, queue: this.#names() });
  }

  /** `do_iommu_attach(dev, ops, dma_base, size)`. */
  #doIommuAttach(entry: IommuDmaMasterEntry): boolean {
    return attachIommuDma(this.#dma, entry.dev, entry.dmaBase, entry.size, "do_iommu_attach", false);
  }

  archSetupDmaOps(dev: Device, args: ArchSetupDmaArgs): void {
    const st = this.#dma.deviceInit(dev);
    if (st.ops === null) this.#dma.setDmaOps(dev, this.#dma.ops.swiotlb, "arch_setup_dma_ops");
    st.coherent = args.coherent;
    st.archSetup = { ...args };
    // __iommu_setup_dma_ops
    if (args.iommu === null) return;
    const entry: IommuDmaMasterEntry = { dev, iommu: args.iommu, dmaBase: args.dmaBase, size: args.size };
    if (this.#dma.ctx.iommu?.hasGroup(dev) === true) this.#doIommuAttach(entry);
    else this.#enqueue(entry, "add");
  }

  archTeardownDmaOps(dev: Device): void {
    this.#dma.setDmaOps(dev, null, "arch_teardown_dma_ops");
  }

  /** `__iommu_attach_notifier(nb, action, data)`. Always returns 0 (NOTIFY_DONE). */
  #notifier(action: BusNotifyAction, data: Device | null): number {
    if (this.policy === "v4.7") {
      if (action !== "ADD_DEVICE") return 0;
      this.#drainAll(action, data);
      return 0;
    }
    if (action === "BIND_DRIVER") {
      const visited: string[] = [];
      const attached: string[] = [];
      for (const entry of [...this.#queue]) {
        visited.push(entry.dev.name);
        if (data === entry.dev && this.#doIommuAttach(entry)) {
          this.#remove(entry);
          attached.push(entry.dev.name);
          break;
        }
      }
      this.#dma.ctx.trace.emit({ type: "iommu-dma-queue-drain", action, data: data?.name ?? null, visited, attached, queue: this.#names() });
      return 0;
    }
    if (this.hypothetical && data !== null && (action === "DRIVER_NOT_BOUND" || action === "UNBOUND_DRIVER")) {
      this.#notBoundCleanup(data);
    }
    return 0;
  }

  /** v4.7: every queued entry, head first, whatever the device (`list_for_each_entry_safe`). */
  #drainAll(action: string, data: Device | null): void {
    const visited: string[] = [];
    const attached: string[] = [];
    for (const entry of [...this.#queue]) {
      visited.push(entry.dev.name);
      if (this.#doIommuAttach(entry)) {
        this.#remove(entry);
        attached.push(entry.dev.name);
      }
    }
    this.#dma.ctx.trace.emit({ type: "iommu-dma-queue-drain", action, data: data?.name ?? null, visited, attached, queue: this.#names() });
  }

  /**
   * The hypothetical cleanup: undo the attach of a device whose probe failed or whose driver went away. Only a device
   * that got iommu ops from the queue is touched: its remaining iommu-dma mappings are unmapped (optional), the ops
   * go back to swiotlb, and the device is queued again (unless still queued) so its next BIND re-attaches.
   */
  #notBoundCleanup(dev: Device): void {
    const st = dev.getData(DMA_DEVICE);
    if (st === undefined || st.ops !== this.#dma.ops.iommu || st.archSetup === null || st.archSetup.iommu === null) return;
    if (this.#unmapProbeIovas) this.#unmapIommuMappings(dev);
    this.#dma.setDmaOps(dev, this.#dma.ops.swiotlb, "not-bound-cleanup");
    if (this.#queue.some((e) => e.dev === dev)) return;
    const a = st.archSetup;
    this.#enqueue({ dev, iommu: a.iommu as object, dmaBase: a.dmaBase, size: a.size }, "requeue");
  }

  #unmapIommuMappings(dev: Device): void {
    const st = dev.getData(DMA_DEVICE);
    if (st === undefined) return;
    const records = liveDmaMappings(dev).filter((r) => r.opsKind === "iommu").reverse();
    for (const r of records) {
      if (r.api === "coherent") this.#dma.dmaFreeCoherent(dev, r.size, r.pa, r.dmaAddr);
      else if (r.api === "sg" && r.sg !== null) this.#dma.dmaUnmapSg(dev, r.sg.map((s) => ({ ...s })), r.dir);
      else this.#dma.dmaUnmapPage(dev, r.dmaAddr, r.size, r.dir);
    }
  }

  iommuDmaInit(buses: readonly Bus[]): number {
    for (const bus of buses) {
      this.#core.busRegisterNotifier(bus, {
        name: "__iommu_attach_notifier",
        ...(this.policy === "v4.7" ? { priority: -100 } : {}),
        notifierCall: (action, dev) => this.#notifier(action, dev),
      });
    }
    // "handle devices queued before this arch_initcall" (v4.7 only; dropped by 16c11325cc44).
    if (this.policy === "v4.7") this.#drainAll("ADD_DEVICE", null);
    return 0;
  }
}
