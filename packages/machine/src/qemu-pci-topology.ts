/**
 * Plugs `-device` PCI devices into QEMU's PCI tree the way QEMU 7.2 does at machine creation: the `gpex` host bridge's
 * root bus `pcie.0` (its own function at 00.0), each device on the bus named by `bus=` (a bridge's `id`) at `addr=`
 * or the first free slot, bridges creating their secondary bus, cold-plug effects on the parent port, then the system
 * reset that every function goes through before the guest runs.
 *
 * @see hw/pci/pci.c do_pci_register_device, pci_init_multifunction, pci_qdev_realize, pci_do_device_reset
 */
import { PciCapId, PciReg, pciDevfn, pciFunc, pciSlot } from "./pci-regs";
import type { PciConfigSpace } from "./pci-config";
import { pcieCapSlotColdPlug } from "./pcie-capabilities";
import { ShpcController, SHPC_SLOTS } from "./pci-shpc";
import type { QemuDeviceSpec } from "./qemu-cmdline";
import type { QemuDeviceError, QemuPciDeviceType, QemuRealizedDevice, Result } from "./qemu-device-types";
import { e1000e, gpexRoot, nvme, virtioNetPci, virtioRngPci } from "./qemu-pci-endpoints";
import { pciePciBridge, pcieRootPort } from "./qemu-pci-bridges";

/** The QEMU 7.2 PCI device models dmasim knows, by `-device` driver name. */
export const QEMU_PCI_DEVICE_TYPES: ReadonlyMap<string, QemuPciDeviceType> = new Map(
  [virtioNetPci, virtioRngPci, e1000e, nvme, pcieRootPort, pciePciBridge].map((t) => [t.name, t]),
);

/** A bus of the QEMU PCI tree. */
export interface QemuPciBus {
  /** `pcie.0` for the root bus, else the `id` of the bridge that owns it (or a generated name). */
  readonly name: string;
  readonly express: boolean;
  readonly root: boolean;
  /** The bridge function whose secondary bus this is; `null` for the root bus. */
  readonly parent: QemuPciFunction | null;
  readonly devices: (QemuPciFunction | undefined)[];
}

/** A function plugged into the tree. */
export interface QemuPciFunction {
  /** Unique name: the `id=` property, else `<bus>/<slot>.<fn>`. */
  readonly id: string;
  readonly type: string;
  readonly bus: QemuPciBus;
  readonly devfn: number;
  readonly device: QemuRealizedDevice;
  readonly secondary: QemuPciBus | null;
  readonly multifunction: boolean;
  readonly arg: string;
}

/** The whole tree after machine creation and reset, functions in creation order. */
export interface QemuPciTree {
  readonly root: QemuPciBus;
  readonly functions: readonly QemuPciFunction[];
}

const hex2 = (n: number): string => n.toString(16).padStart(2, "0");

/** Builds the PCI tree of a QEMU `virt` machine from its `-device` list (non-PCI devices are rejected). */
export function buildQemuPciTree(devices: readonly QemuDeviceSpec[]): Result<QemuPciTree, QemuDeviceError> {
  const root: QemuPciBus = { name: "pcie.0", express: true, root: true, parent: null, devices: new Array(256) };
  const buses = new Map<string, QemuPciBus>([[root.name, root]]);
  const functions: QemuPciFunction[] = [];
  const ids = new Set<string>();
  const chassisSlots = new Set<string>();
  const usedMacs = new Set<number>();
  const nextMac = (): readonly number[] => {
    let index = 0x56;
    while (usedMacs.has(index)) index++;
    usedMacs.add(index);
    return [0x52, 0x54, 0x00, 0x12, 0x34, index & 0xff];
  };
  const fail = (error: QemuDeviceError): Result<QemuPciTree, QemuDeviceError> => ({ ok: false, error });

  const plug = (spec: QemuDeviceSpec, type: QemuPciDeviceType): Result<QemuPciFunction, QemuDeviceError> => {
    const bus = buses.get(spec.bus ?? "pcie.0");
    if (bus === undefined) return { ok: false, error: { kind: "unknown-bus", arg: spec.arg, bus: spec.bus ?? "pcie.0" } };
    let devfn: number;
    if (spec.addr === null) {
      const free = [...Array(32).keys()].map((s) => pciDevfn(s, 0)).find((d) => bus.devices[d] === undefined);
      if (free === undefined) return { ok: false, error: { kind: "devfn-unavailable", arg: spec.arg, message: `no free slot on ${bus.name}` } };
      devfn = free;
    } else {
      devfn = pciDevfn(spec.addr.slot, spec.addr.fn);
      const other = bus.devices[devfn];
      if (other !== undefined) {
        return { ok: false, error: { kind: "devfn-unavailable", arg: spec.arg, message: `slot ${spec.addr.slot} function ${spec.addr.fn} in use by ${other.id}` } };
      }
    }
    const parentBridge = bus.parent?.device.bridge ?? null;
    if (parentBridge?.slot0Only === true && pciSlot(devfn) !== 0) {
      return { ok: false, error: { kind: "slot-not-allowed", arg: spec.arg, message: `slot ${pciSlot(devfn)} is not valid for ${bus.name}: a PCIe port only allows slot 0` } };
    }
    if (parentBridge?.hotplug === "shpc" && (pciSlot(devfn) < 1 || pciSlot(devfn) > SHPC_SLOTS)) {
      return { ok: false, error: { kind: "slot-not-allowed", arg: spec.arg, message: `unsupported PCI slot ${pciSlot(devfn)} for standard hotplug controller; valid slots are 1 to ${SHPC_SLOTS}` } };
    }
    // pci_init_multifunction
    if (pciFunc(devfn) !== 0) {
      const f0 = bus.devices[pciDevfn(pciSlot(devfn), 0)];
      if (f0 !== undefined && !f0.multifunction) {
        return { ok: false, error: { kind: "multifunction", arg: spec.arg, message: `single function device can't be populated in function ${pciSlot(devfn).toString(16)}.${pciFunc(devfn)}` } };
      }
    } else if (!spec.multifunction) {
      for (let f = 1; f < 8; f++) {
        if (bus.devices[pciDevfn(pciSlot(devfn), f)] !== undefined) {
          return { ok: false, error: { kind: "multifunction", arg: spec.arg, message: `${pciSlot(devfn).toString(16)}.0 indicates single function, but ${pciSlot(devfn).toString(16)}.${f} is already populated` } };
        }
      }
    }
    const romfile = spec.romfile ?? type.defaultRomfile;
    if (romfile !== null && romfile !== "") {
      return { ok: false, error: { kind: "realize-failed", arg: spec.arg, message: `failed to find romfile "${romfile}" (option ROM BARs are not modelled; pass romfile=)` } };
    }
    for (const key of spec.props.keys()) {
      if (!type.properties.includes(key)) {
        return { ok: false, error: { kind: "bad-property", arg: spec.arg, property: key, message: `property '${type.name}.${key}' not found` } };
      }
    }
    const realized = type.realize({
      bus: { express: bus.express, root: bus.root },
      devfn,
      multifunction: spec.multifunction,
      props: spec.props,
      arg: spec.arg,
      nextMac,
    });
    if (!realized.ok) return realized;
    const dev = realized.value;
    if (dev.chassisSlot !== undefined) {
      const key = `${dev.chassisSlot.chassis}/${dev.chassisSlot.slot}`;
      if (chassisSlots.has(key)) {
        return { ok: false, error: { kind: "realize-failed", arg: spec.arg, message: `Can't add chassis slot, error -16 (chassis ${dev.chassisSlot.chassis} slot ${dev.chassisSlot.slot} in use)` } };
      }
      chassisSlots.add(key);
    }
    const id = spec.id ?? `${bus.name}/${hex2(pciSlot(devfn))}.${pciFunc(devfn)}`;
    const secondary: { -readonly [K in keyof QemuPciBus]: QemuPciBus[K] } | null =
      dev.bridge === null ? null : { name: id, express: dev.bridge.secondaryExpress, root: false, parent: null, devices: new Array(256) };
    const placed: QemuPciFunction = {
      id,
      type: type.name,
      bus,
      devfn,
      device: dev,
      secondary,
      multifunction: spec.multifunction,
      arg: spec.arg,
    };
    if (secondary !== null) secondary.parent = placed;
    bus.devices[devfn] = placed;
    if (secondary !== null) buses.set(secondary.name, secondary);
    // Cold plug into a PCIe slot: presence detect and link active on the port.
    if (parentBridge?.hotplug === "pcie-slot" && bus.parent !== null) pcieCapSlotColdPlug(bus.parent.device.config);
    return { ok: true, value: placed };
  };

  const host = plug(
    { driver: gpexRoot.name, id: null, bus: null, addr: { slot: 0, fn: 0 }, multifunction: false, romfile: null, props: new Map(), arg: "gpex-root" },
    gpexRoot,
  );
  if (!host.ok) return fail(host.error);
  functions.push(host.value);
  for (const spec of devices) {
    const type = QEMU_PCI_DEVICE_TYPES.get(spec.driver);
    if (type === undefined) return fail({ kind: "unknown-device", arg: spec.arg, driver: spec.driver });
    if (spec.id !== null) {
      if (ids.has(spec.id) || spec.id === "pcie.0") return fail({ kind: "duplicate-id", arg: spec.arg, id: spec.id });
      ids.add(spec.id);
    }
    const r = plug(spec, type);
    if (!r.ok) return fail(r.error);
    functions.push(r.value);
  }
  for (const fn of functions) systemReset(fn);
  return { ok: true, value: { root, functions } };
}

/**
 * System reset of one function: the generic part (`pci_do_device_reset`: command, status, interrupt line and cache
 * line cleared, MSI and MSI-X disabled), then the model's own reset.
 * @see hw/pci/pci.c pci_do_device_reset; hw/pci/msi.c msi_reset; hw/pci/msix.c msix_reset
 */
function systemReset(fn: QemuPciFunction): void {
  const cfg = fn.device.config;
  cfg.clearMask(PciReg.COMMAND, 2, cfg.get16(PciReg.COMMAND, cfg.wmask) | cfg.get16(PciReg.COMMAND, cfg.w1cmask));
  cfg.clearMask(PciReg.STATUS, 2, cfg.get16(PciReg.STATUS, cfg.wmask) | cfg.get16(PciReg.STATUS, cfg.w1cmask));
  cfg.clearMask(PciReg.INTERRUPT_LINE, 1, cfg.get8(PciReg.INTERRUPT_LINE, cfg.wmask));
  cfg.set8(PciReg.CACHE_LINE_SIZE, 0);
  resetMsi(cfg);
  QEMU_PCI_DEVICE_TYPES.get(fn.type)?.reset?.(cfg);
  const shpc = cfg.findCapability(PciCapId.SHPC);
  if (shpc !== 0 && fn.secondary !== null) {
    const sec = fn.secondary;
    new ShpcController(cfg, shpc, (pciSlotNr) => sec.devices[pciDevfn(pciSlotNr, 0)] !== undefined);
  }
}

function resetMsi(cfg: PciConfigSpace): void {
  const msi = cfg.findCapability(PciCapId.MSI);
  if (msi !== 0) {
    const flags = cfg.get16(msi + 2);
    cfg.set16(msi + 2, flags & ~(0x0070 | 0x0001));
    const is64 = (flags & 0x80) !== 0;
    cfg.set32(msi + 4, 0);
    if (is64) cfg.set32(msi + 8, 0);
    cfg.set16(msi + (is64 ? 0x0c : 0x08), 0);
    if ((flags & 0x100) !== 0) {
      cfg.set32(msi + (is64 ? 0x10 : 0x0c), 0);
      cfg.set32(msi + (is64 ? 0x14 : 0x10), 0);
    }
  }
  const msix = cfg.findCapability(PciCapId.MSIX);
  if (msix !== 0) cfg.clearMask(msix + 3, 1, cfg.get8(msix + 3, cfg.wmask));
}
