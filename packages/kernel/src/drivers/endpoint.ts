/**
 * What an endpoint driver's probe does with DMA: enable bus mastering, create children (the S4 pattern), perform the
 * DMA operations through the DMA API (or with physical addresses, as virtio without ACCESS_PLATFORM), allocate one
 * MSI(-X) vector and raise it later from interrupt context (a work item, so it happens when the boot thread yields).
 */
import { PLATFORM_DEVICE, type Device } from "@dmasim/driver-core";
import { pciSetMaster, toPciDev } from "@dmasim/pci";
import type { Kernel } from "../boot/kernel";
import { allocMsiVector, performDmaOp, raiseMsi } from "../dma-actions";
import { ofPlatformDeviceCreate } from "../firmware-glue/of-platform";
import type { ChildDeviceSpec, DmaOpSpec } from "../scenarios/types";

/** One probe's DMA work. */
export interface EndpointWork {
  readonly children?: readonly ChildDeviceSpec[];
  readonly dma?: readonly DmaOpSpec[];
  readonly msi?: boolean;
}

/**
 * Creates a child device the way a driver does: `of_platform_device_create(np)` (DMA configured at creation in the
 * eras that do) or a bare `device_register` on the platform bus (no firmware node, no DMA configuration at all).
 */
export function createChild(k: Kernel, parent: Device, spec: ChildDeviceSpec): Device | null {
  const platform = k.buses.platform;
  if (platform === null) return null;
  const fw = k.platform.firmware;
  if (spec.ofNode !== undefined) {
    if (fw.kind !== "dt") return null;
    const node = fw.dt.findNode(spec.ofNode);
    if (node === undefined) return null;
    return ofPlatformDeviceCreate(k, fw.dt, k.ofDevices, node, platform, parent, k.ofCreateHooks);
  }
  const name = spec.name ?? `${parent.name}:child`;
  const dev = k.core.deviceInitialize({ name, bus: platform, parent });
  dev.setData(PLATFORM_DEVICE, { name });
  k.trace.emit({ type: "fw-device-create", device: name, bus: platform.name, by: "device_register" });
  if (k.core.deviceAdd(dev) !== 0) return null;
  k.remember(dev);
  return dev;
}

/**
 * Runs one probe's DMA work for `dev`. Returns the release functions of what it mapped (a well-behaved `->remove`
 * calls them; a buggy failure path does not).
 */
export function runEndpointWork(k: Kernel, dev: Device, work: EndpointWork): (() => void)[] {
  const releases: (() => void)[] = [];
  const pdev = toPciDev(dev);
  if (pdev !== undefined) pciSetMaster(pdev);
  const children = new Map<string, Device>();
  for (const c of work.children ?? []) {
    const child = createChild(k, dev, c);
    if (child !== null) children.set(c.name ?? child.name, child);
  }
  const dma = k.dma;
  if (dma !== null) {
    for (const op of work.dma ?? []) {
      const target = op.device === undefined ? dev : (children.get(op.device) ?? k.findDevice(op.device));
      if (target === undefined) continue;
      const r = performDmaOp(k, dma, target, op, (d) => k.iommuView.domainTypeOf(d));
      if (r.release !== null) releases.push(r.release);
    }
    if (work.msi === true) {
      const address = allocMsiVector(k, dma, dev);
      if (address !== null) k.raiseLater(() => void raiseMsi(k, dev, address));
    }
  }
  return releases;
}
