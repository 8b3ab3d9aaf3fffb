/**
 * Driver registration for the composition: every driver it registers (its own, the scenario's, `@dmasim/pci`'s
 * built-ins) gets its `->probe` wrapped so that the device's DMA state at probe is recorded (`probe-dma-state`), and
 * a PCI function gets the board's MSI domain (`pci_set_msi_domain`) before its first probe. Matches are written in
 * modalias style: `pci:VVVV:DDDD`, `pci-class:0xCCCCCC[/0xMASK]`, `of:COMPATIBLE`, `platform:NAME`; the
 * composition's virtio class drivers match `virtio_device_id`s on the virtio bus.
 */
import { Errno, type Device } from "@dmasim/driver-core";
import { PCI_ANY_ID, pciDevice, pciDeviceClass, type PciDeviceId, type PciDriverSpec } from "@dmasim/pci";
import type { Kernel } from "../boot/kernel";
import { pciSetMsiDomain } from "./msi";
import { observeProbe } from "./observe";
import { virtioBus, virtioMatchId, type VirtioDeviceId } from "./virtio-bus";

/** Which bus a driver is for, and how it matches. */
export type DriverMatch =
  | { readonly kind: "pci"; readonly ids: readonly PciDeviceId[] }
  | { readonly kind: "platform"; readonly matchIds: readonly string[] }
  | { readonly kind: "virtio"; readonly ids: readonly VirtioDeviceId[] };

/** A driver as the composition describes it. */
export interface KernelDriver {
  readonly name: string;
  readonly match: DriverMatch;
  /** `->probe`, with the 1-based number of this device's probe calls. */
  readonly probe: (dev: Device, attempt: number) => number;
  readonly remove?: (dev: Device) => void;
  readonly asyncProbe?: boolean;
  /**
   * Drivers registered right after this one by the same initcall: the built-in virtio class drivers, whose own
   * initcalls (drivers/char/hw_random, drivers/block, drivers/net) the composition's initcall table does not list.
   */
  readonly alsoRegisters?: readonly KernelDriver[];
}

const HEX = /^(0x)?[0-9a-f]+$/i;

function hexOrAny(text: string): number | null {
  if (text === "*" || text.toLowerCase() === "ffff") return PCI_ANY_ID;
  return HEX.test(text) ? Number.parseInt(text.replace(/^0x/i, ""), 16) : null;
}

/** Parses match strings; all must be for one bus. Errors name the bad string. */
export function parseDriverMatches(matches: readonly string[]): { ok: true; value: DriverMatch } | { ok: false; error: string } {
  const pci: PciDeviceId[] = [];
  const platform: string[] = [];
  for (const m of matches) {
    if (m.startsWith("pci:")) {
      const [v, d] = m.slice(4).split(":");
      const vendor = v === undefined ? null : hexOrAny(v);
      const device = d === undefined ? null : hexOrAny(d);
      if (vendor === null || device === null) return { ok: false, error: `bad PCI id "${m}" (expected pci:VVVV:DDDD)` };
      pci.push(pciDevice(vendor, device));
    } else if (m.startsWith("pci-class:")) {
      const [c, mask] = m.slice(10).split("/");
      const cls = c === undefined ? null : hexOrAny(c);
      const msk = mask === undefined ? 0xffffff : hexOrAny(mask);
      if (cls === null || msk === null) return { ok: false, error: `bad PCI class "${m}" (expected pci-class:0xCCCCCC[/0xMASK])` };
      pci.push(pciDeviceClass(cls, msk));
    } else if (m.startsWith("of:") || m.startsWith("platform:") || m.startsWith("acpi:")) {
      platform.push(m);
    } else {
      return { ok: false, error: `unknown match "${m}" (pci:, pci-class:, of:, platform:)` };
    }
  }
  if (pci.length > 0 && platform.length > 0) return { ok: false, error: "a driver matches either PCI ids or platform ids, not both" };
  if (pci.length > 0) return { ok: true, value: { kind: "pci", ids: pci } };
  if (platform.length > 0) return { ok: true, value: { kind: "platform", matchIds: platform } };
  return { ok: false, error: "a driver needs at least one match" };
}

/**
 * Registers a driver on its bus (`pci_register_driver` / `platform_driver_register` / `register_virtio_driver`),
 * then the drivers it says are registered with it: 0 or the first negative errno.
 */
export function registerKernelDriver(k: Kernel, drv: KernelDriver): number {
  const ret = registerOne(k, drv);
  if (ret !== 0) return ret;
  for (const other of drv.alsoRegisters ?? []) {
    const r = registerOne(k, other);
    if (r !== 0) return r;
  }
  return 0;
}

function registerOne(k: Kernel, drv: KernelDriver): number {
  const probe = (dev: Device): number => {
    pciSetMsiDomain(k, dev);
    const attempt = observeProbe(k, dev, drv.name);
    return k.takeProbeFailure(dev.name, drv.name) ?? drv.probe(dev, attempt);
  };
  if (drv.match.kind === "virtio") {
    const bus = virtioBus(k);
    if (bus === null) return -Errno.ENODEV;
    const r = k.core.driverRegister({
      name: drv.name,
      bus,
      matchIds: drv.match.ids.map(virtioMatchId),
      probe,
      ...(drv.remove === undefined ? {} : { remove: drv.remove }),
    });
    return r.ok ? 0 : r.error;
  }
  if (drv.match.kind === "pci") {
    const pci = k.buses.pci;
    if (pci === null) return -Errno.ENODEV;
    const r = pci.registerDriver({
      name: drv.name,
      idTable: drv.match.ids,
      probe: (pdev) => probe(pdev.dev),
      ...(drv.remove === undefined ? {} : { remove: (pdev: { dev: Device }) => drv.remove?.(pdev.dev) }),
      ...(drv.asyncProbe === true ? { asyncProbe: true } : {}),
    });
    return r.ok ? 0 : r.error;
  }
  const platform = k.buses.platform;
  if (platform === null) return -Errno.ENODEV;
  const r = k.core.driverRegister({
    name: drv.name,
    bus: platform,
    matchIds: drv.match.matchIds,
    probe,
    ...(drv.remove === undefined ? {} : { remove: drv.remove }),
    ...(drv.asyncProbe === true ? { asyncProbe: true } : {}),
  });
  return r.ok ? 0 : r.error;
}

/** Registers one of `@dmasim/pci`'s PCI drivers (pcieport, shpchp) with the probe observed. */
export function registerObservedPciDriver(k: Kernel, spec: PciDriverSpec): number {
  const pci = k.buses.pci;
  if (pci === null) return -Errno.ENODEV;
  const inner = spec.probe;
  const r = pci.registerDriver({
    ...spec,
    probe: (pdev, id) => {
      pciSetMsiDomain(k, pdev.dev);
      observeProbe(k, pdev.dev, spec.name);
      return k.takeProbeFailure(pdev.dev.name, spec.name) ?? (inner === undefined ? 0 : inner(pdev, id));
    },
  });
  return r.ok ? 0 : r.error;
}
