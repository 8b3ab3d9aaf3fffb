/**
 * `of_platform_populate`: the DT nodes below the root become platform devices (AMBA devices for `arm,primecell`),
 * recursing into bus nodes (`simple-bus`, `simple-mfd`, `arm,amba-bus`), each named `<translated address>.<node>`,
 * with DMA configured at creation in the eras that did so (v4.7–v4.11: `of_dma_configure` inside
 * `of_platform_device_create_pdata`, `of_dma_deconfigure` if `device_add` fails).
 *
 * @see drivers/of/platform.c of_platform_populate, of_platform_bus_create, of_platform_device_create_pdata,
 *      of_amba_device_create, of_default_bus_match_table
 */
import { PLATFORM_DEVICE, type Bus, type Device } from "@dmasim/driver-core";
import { compatibleOf, isAvailable, type DeviceTree, type FdtNode } from "@dmasim/firmware";
import type { Kernel } from "../boot/kernel";
import { ofDeviceMakeBusId } from "./of-address";

/** `of_default_bus_match_table`: nodes whose children are populated too. */
const BUS_COMPATIBLES = ["simple-bus", "simple-mfd", "isa", "arm,amba-bus"];

/** What the kernel composition does around device creation (DMA configuration at creation, per era). */
export interface OfCreateHooks {
  /** `of_dma_configure(dev, np)` at creation (v4.7–v4.11), before `device_add`. */
  readonly dmaConfigureAtCreation?: (dev: Device, node: FdtNode) => void;
  /** `of_dma_deconfigure(dev)` when `device_add` fails or the device is destroyed. */
  readonly dmaDeconfigure?: (dev: Device) => void;
}

/** The devices created for DT nodes, by node (what `of_find_device_by_node` answers). */
export class OfDevices {
  readonly #byNode = new Map<FdtNode, Device>();
  readonly #nodeOf = new Map<Device, FdtNode>();

  /** Records the device of a node. */
  set(node: FdtNode, dev: Device): void {
    this.#byNode.set(node, dev);
    this.#nodeOf.set(dev, node);
  }

  /** `of_find_device_by_node(np)`. */
  byNode(node: FdtNode): Device | undefined {
    return this.#byNode.get(node);
  }

  /** `dev->of_node`. */
  nodeOf(dev: Device): FdtNode | undefined {
    return this.#nodeOf.get(dev);
  }

  /** Forgets a destroyed device. */
  delete(dev: Device): void {
    const node = this.#nodeOf.get(dev);
    if (node !== undefined) this.#byNode.delete(node);
    this.#nodeOf.delete(dev);
  }
}

/**
 * `of_platform_device_create_pdata` / `of_amba_device_create`: one device for `node` on `bus`, DMA configured at
 * creation when the era does, then `device_add`. Returns null (nothing created) for unavailable or already-populated
 * nodes and when `device_add` fails.
 */
export function ofPlatformDeviceCreate(
  k: Kernel,
  dt: DeviceTree,
  devices: OfDevices,
  node: FdtNode,
  bus: Bus,
  parent: Device | null,
  hooks: OfCreateHooks,
  by: "of_platform_populate" | "of_platform_device_create" = "of_platform_device_create",
): Device | null {
  if (!isAvailable(node) || devices.byNode(node) !== undefined) return null;
  const name = ofDeviceMakeBusId(dt, node);
  const dev = k.core.deviceInitialize({ name, bus, parent, fwnode: k.fwnodes.of(node) });
  dev.setData(PLATFORM_DEVICE, { name, compatible: compatibleOf(node) });
  devices.set(node, dev);
  hooks.dmaConfigureAtCreation?.(dev, node);
  k.trace.emit({ type: "fw-device-create", device: name, bus: bus.name, by });
  const ret = k.core.deviceAdd(dev);
  if (ret !== 0) {
    hooks.dmaDeconfigure?.(dev);
    devices.delete(dev);
    return null;
  }
  k.remember(dev);
  return dev;
}

/**
 * `of_platform_populate(NULL, of_default_bus_match_table, NULL, NULL)`: every root child with a `compatible`, AMBA
 * primecells on the amba bus, recursing into bus nodes. Nodes without `compatible` are skipped, as the kernel
 * does ("Skipping node").
 */
export function ofPlatformPopulate(k: Kernel, dt: DeviceTree, devices: OfDevices, hooks: OfCreateHooks): void {
  const platform = k.buses.platform;
  if (platform === null) return;
  const walk = (node: FdtNode, parent: Device | null): void => {
    for (const child of node.children) {
      const compat = compatibleOf(child);
      if (compat.length === 0) continue;
      const onAmba = compat.includes("arm,primecell") && k.buses.amba !== null;
      const dev = ofPlatformDeviceCreate(k, dt, devices, child, onAmba ? (k.buses.amba as Bus) : platform, parent, hooks, "of_platform_populate");
      if (dev !== null && compat.some((c) => BUS_COMPATIBLES.includes(c))) walk(child, dev);
    }
  };
  walk(dt.root, null);
}
