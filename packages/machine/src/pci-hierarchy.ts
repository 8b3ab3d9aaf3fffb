/**
 * The live PCI hierarchy of one host bridge: functions with their configuration space, buses, and the two things
 * hardware derives from the bridges' bus-number registers as they are programmed at the time — which function a
 * configuration access (by bus number) reaches, and which requester ID a function's DMA carries upstream.
 *
 * @see hw/pci/pci.c pci_find_bus_nr, pci_bus_num, pci_device_iommu_address_space, pci_req_id_cache_get (QEMU)
 */
import type { PciTopologyInput } from "./board";
import { PciConfigSpace, type PciConfigWidth } from "./pci-config";
import { PciCapId, PciReg, PcieCapReg, PcieType, formatPciName, pciBuildBdf, pciDevfn, pciFunc } from "./pci-regs";
import { isPcieDownstreamPort, pcieCapOffset, pcieSyncBridgeLink, pcieType } from "./pcie-capabilities";
import { ShpcController } from "./pci-shpc";

/** A bus of the live hierarchy. */
export interface PciBusNode {
  readonly express: boolean;
  /** The bridge whose secondary bus this is; `null` for the root bus. */
  readonly parent: PciFunctionNode | null;
  readonly slots: readonly (PciFunctionNode | undefined)[];
  /** Child buses, most recently created first (QEMU's `QLIST_INSERT_HEAD` order, which `pci_find_bus_nr` walks). */
  readonly children: readonly PciBusNode[];
}

/** A function of the live hierarchy. */
export interface PciFunctionNode {
  readonly id: string;
  readonly config: PciConfigSpace;
  readonly bus: PciBusNode;
  readonly devfn: number;
  readonly secondary: PciBusNode | null;
  /** PCIe Device/Port Type (`PCI_EXP_TYPE_*`), `null` for conventional PCI; read-only hardware, read once. */
  readonly pcieType: number | null;
  /** Where the function's non-MSI DMA goes (`PciTopologyInput.dmaAddressSpace`). */
  readonly dmaAddressSpace: "bus-master" | "memory";
}

interface MutableBus {
  express: boolean;
  parent: PciFunctionNode | null;
  slots: (PciFunctionNode | undefined)[];
  children: PciBusNode[];
}

/** Why a topology could not be built. */
export interface PciTopologyError {
  readonly id: string;
  readonly message: string;
}

/**
 * One host bridge's hierarchy.
 *
 * @see hw/pci/pci.c pci_find_bus_nr
 */
export class PciHierarchy {
  readonly segment: number;
  readonly root: PciBusNode;
  /** Functions in description order. */
  readonly functions: readonly PciFunctionNode[];
  readonly #rootBusNumber: number;
  readonly #byId: ReadonlyMap<string, PciFunctionNode>;

  private constructor(segment: number, rootBusNumber: number, root: PciBusNode, functions: PciFunctionNode[]) {
    this.segment = segment;
    this.#rootBusNumber = rootBusNumber;
    this.root = root;
    this.functions = functions;
    this.#byId = new Map(functions.map((f) => [f.id, f]));
  }

  /**
   * Builds live functions from their descriptions (parents before children), attaching the dynamic register
   * behaviour hardware has: a downstream port's link status follows the function below it, and a bridge's SHPC
   * reports which of its slots are populated.
   */
  static build(
    segment: number,
    rootBusNumber: number,
    inputs: readonly PciTopologyInput[],
  ): { ok: true; value: PciHierarchy } | { ok: false; error: PciTopologyError } {
    const root: MutableBus = { express: true, parent: null, slots: new Array(256), children: [] };
    const secondaryOf = new Map<string, MutableBus>();
    const functions: PciFunctionNode[] = [];
    for (const input of inputs) {
      if (input.segment !== segment) continue;
      const bus = input.upstream === null ? root : secondaryOf.get(input.upstream);
      if (bus === undefined) return { ok: false, error: { id: input.id, message: `upstream ${input.upstream ?? ""} is not a bridge listed before it` } };
      if (!Number.isInteger(input.devfn) || input.devfn < 0 || input.devfn > 255 || bus.slots[input.devfn] !== undefined) {
        return { ok: false, error: { id: input.id, message: `devfn ${input.devfn} is invalid or taken` } };
      }
      if (input.config.size !== 256 && input.config.size !== 4096) {
        return { ok: false, error: { id: input.id, message: `config size ${input.config.size}` } };
      }
      const secondary: MutableBus | null =
        input.bridge === null ? null : { express: input.bridge.secondaryExpress, parent: null, slots: new Array(256), children: [] };
      const config = PciConfigSpace.fromImage(input.config);
      const node: PciFunctionNode = { id: input.id, config, bus, devfn: input.devfn, secondary, pcieType: pcieType(config), dmaAddressSpace: input.dmaAddressSpace ?? "bus-master" };
      if (secondary !== null) {
        secondary.parent = node;
        secondaryOf.set(input.id, secondary);
        bus.children.unshift(secondary);
      }
      bus.slots[input.devfn] = node;
      functions.push(node);
    }
    for (const node of functions) {
      const sec = node.secondary;
      if (sec === null) continue;
      if (isPcieDownstreamPort(node.config)) {
        const lnksta = pcieCapOffset(node.config) + PcieCapReg.LNKSTA;
        node.config.onRead((off, width) => {
          if (off < lnksta + 2 && lnksta < off + width) pcieSyncBridgeLink(node.config, sec.slots[0]?.config);
        });
      }
      const shpc = node.config.findCapability(PciCapId.SHPC);
      if (shpc !== 0) new ShpcController(node.config, shpc, (slot) => sec.slots[pciDevfn(slot, 0)] !== undefined);
    }
    return { ok: true, value: new PciHierarchy(segment, rootBusNumber, root, functions) };
  }

  /** The function with board id `id`. */
  byId(id: string): PciFunctionNode | undefined {
    return this.#byId.get(id);
  }

  /** The bus number a bus answers to now: the root's fixed number, else its bridge's secondary bus register (`pci_bus_num`). */
  busNumber(bus: PciBusNode): number {
    return bus.parent === null ? this.#rootBusNumber : bus.parent.config.get8(PciReg.SECONDARY_BUS);
  }

  /** Kernel-style name of a function with the bus numbers programmed now (`0000:03:01.0`). */
  nameOf(fn: PciFunctionNode): string {
    return formatPciName(this.segment, this.busNumber(fn.bus), fn.devfn);
  }

  /**
   * The bus that configuration cycles for `busNr` reach: routed down through bridges whose secondary..subordinate
   * range covers it (and whose secondary bus is not held in reset).
   * @see hw/pci/pci.c pci_find_bus_nr, pci_secondary_bus_in_range
   */
  findBus(busNr: number): PciBusNode | undefined {
    if (this.busNumber(this.root) === busNr) return this.root;
    let bus: PciBusNode | undefined = this.root;
    for (let guard = 0; bus !== undefined && guard < 256; guard++) {
      let next: PciBusNode | undefined;
      for (const sec of bus.children) {
        if (this.busNumber(sec) === busNr) return sec;
        if (inRange(sec, busNr)) {
          next = sec;
          break;
        }
      }
      bus = next;
    }
    return undefined;
  }

  /** The function a configuration access to `busNr`/`devfn` reaches, if any. */
  find(busNr: number, devfn: number): PciFunctionNode | undefined {
    return this.findBus(busNr)?.slots[devfn & 0xff];
  }

  /**
   * A configuration read as it arrives at the host bridge (ECAM): all ones when no function answers, or beyond the
   * function's configuration space — or beyond 256 bytes when the function sits below a conventional PCI bus.
   * @see hw/pci/pcie_host.c pcie_mmcfg_data_read; hw/pci/pci_host.c pci_host_config_read_common
   */
  configRead(busNr: number, devfn: number, offset: number, width: PciConfigWidth): number {
    const fn = this.find(busNr, devfn);
    const ones = width === 4 ? 0xffff_ffff : width === 2 ? 0xffff : 0xff;
    if (fn === undefined || offset + width > this.#configLimit(fn)) return ones;
    return fn.config.read(offset, width);
  }

  /** A configuration write as it arrives at the host bridge; `false` when no function took it. */
  configWrite(busNr: number, devfn: number, offset: number, width: PciConfigWidth, value: number): boolean {
    const fn = this.find(busNr, devfn);
    if (fn === undefined || offset + width > this.#configLimit(fn)) return false;
    fn.config.write(offset, width, value);
    return true;
  }

  /** @see hw/pci/pci_host.c pci_adjust_config_limit, pci_bus_allows_extended_config_space */
  #configLimit(fn: PciFunctionNode): number {
    for (let bus: PciBusNode | null = fn.bus; bus !== null; bus = bus.parent?.bus ?? null) {
      if (!bus.express) return Math.min(256, fn.config.size);
    }
    return fn.config.size;
  }

  /**
   * The requester ID the function's upstream transactions carry when they reach the root complex, with the bus
   * numbers programmed now. Behind a conventional PCI bus the requester is aliased: below a PCIe-to-PCI bridge the
   * bridge takes ownership with (secondary bus, devfn 0); below a conventional PCI-to-PCI bridge the bridge's own
   * BDF is used.
   * @see hw/pci/pci.c pci_device_iommu_address_space, pci_req_id_cache_get; PCIe-to-PCI/PCI-X Bridge spec §2.3
   */
  requesterId(fn: PciFunctionNode): number {
    let bus = fn.bus;
    let devfn = fn.devfn;
    for (let cur: PciBusNode = fn.bus; cur.parent !== null; cur = cur.parent.bus) {
      if (!cur.express) {
        const bridge = cur.parent;
        if (bridge.pcieType === PcieType.PCI_BRIDGE) {
          devfn = 0;
          bus = cur;
        } else {
          devfn = bridge.devfn;
          bus = bridge.bus;
        }
      }
    }
    return pciBuildBdf(this.busNumber(bus), devfn);
  }

  /** Functions that configuration reads by firmware/OS would find: function 0 of each slot, or any function when
   *  function 0 is multifunction (`pci_scan_slot`). */
  isVisible(fn: PciFunctionNode): boolean {
    if (pciFunc(fn.devfn) === 0) return true;
    const f0 = fn.bus.slots[fn.devfn & ~7];
    return f0 !== undefined && (f0.config.get8(PciReg.HEADER_TYPE) & 0x80) !== 0;
  }
}

function inRange(bus: PciBusNode, busNr: number): boolean {
  const bridge = bus.parent;
  if (bridge === null) return false;
  const c = bridge.config;
  if ((c.get16(PciReg.BRIDGE_CONTROL) & 0x40) !== 0) return false; // secondary bus reset
  return c.get8(PciReg.SECONDARY_BUS) <= busNr && busNr <= c.get8(PciReg.SUBORDINATE_BUS);
}
