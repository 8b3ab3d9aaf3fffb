/**
 * The virtio bus (drivers/virtio/virtio.c, built into Debian's 6.1 kernel): devices `virtio<N>` registered by a
 * transport (virtio-pci) with the device class it found (`VIRTIO_ID_*`), class drivers matched by
 * `virtio_device_id`, and `virtio_dev_probe` around each driver's probe (status bits, `virtio_device_ready` when the
 * driver has not, then `drv->scan`). The bus has no `dma_configure`: a virtio device does its DMA through its
 * transport's device (the PCI function), so no "device is dma coherent" line is printed for it.
 *
 * `virtio_init` registers the bus at core_initcall; the composition's initcall table does not list it, so the bus
 * is registered the first time a virtio transport or class driver needs it (nothing can observe it before).
 *
 * @see drivers/virtio/virtio.c virtio_dev_match, virtio_dev_probe, virtio_dev_remove, register_virtio_device,
 *      unregister_virtio_device, virtio_index_ida, virtio_init
 */
import { defineDeviceData, type Bus, type Device, type Driver } from "@dmasim/driver-core";
import type { Kernel } from "../boot/kernel";

/** `VIRTIO_ID_*` of the classes the model's drivers know. */
export const VirtioId = { NET: 1, BLOCK: 2, RNG: 4 } as const;

/** `VIRTIO_DEV_ANY_ID`. */
export const VIRTIO_DEV_ANY_ID = 0xffff_ffff;

/** `struct virtio_device_id`. */
export interface VirtioDeviceId {
  readonly device: number;
  readonly vendor: number;
}

/** `VIRTIO_CONFIG_S_*` status bits. */
export const VirtioStatus = { ACKNOWLEDGE: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8, FAILED: 0x80 } as const;

/** A virtqueue as its driver asked for it: name, whether it has a callback, and what the transport gave it. */
export interface Virtqueue {
  readonly index: number;
  readonly name: string;
  /** The driver's callback exists (a NULL callback leaves the queue's interrupts disabled: `virtqueue_disable_cb`). */
  readonly callback: boolean;
  /** The interrupt vector the transport bound to it (MSI-X index), or null (shared, INTx or none). */
  readonly vector: number | null;
}

/** What a driver asks `find_vqs` for. */
export interface VirtqueueSpec {
  readonly name: string;
  readonly callback: boolean;
}

/** A request a driver puts on a queue and kicks (`virtqueue_add_inbuf` + `virtqueue_kick`). */
export interface VirtioRequest {
  /** Bytes the device writes into the driver's buffer. */
  readonly bytes: number;
}

/** `struct virtio_config_ops` as the class drivers use them (the transport implements them). */
export interface VirtioTransport {
  /** `find_vqs`: interrupt vectors, then one vring per queue. The queues, or a negative errno. */
  findVqs(vdev: Device, specs: readonly VirtqueueSpec[]): readonly Virtqueue[] | number;
  /** `del_vqs`: frees the vectors and forgets the queues. */
  delVqs(vdev: Device): void;
  /** Adds a buffer to `vq` and kicks it; the device completes it (and interrupts if the queue's callback is set). */
  kick(vdev: Device, vq: Virtqueue, request: VirtioRequest): void;
  /** `reset`. */
  reset(vdev: Device): void;
}

/** The virtio slot of a `virtio<N>` device: its id, transport, parent function and status. */
export interface VirtioDevice {
  readonly id: VirtioDeviceId;
  readonly index: number;
  /** The transport's device (the PCI function), which masters its DMA and MSIs. */
  readonly parent: Device;
  readonly transport: VirtioTransport;
  status: number;
}

/** The virtio slot of the device data area. */
export const VIRTIO_DEVICE = defineDeviceData<VirtioDevice>("virtio");

/** Per kernel: the bus and `virtio_index_ida`. */
const buses = new WeakMap<Kernel, { bus: Bus; ids: Set<number> }>();

/** The `virtio` match ID of a class driver's table entry (`virtio:d<device>v<vendor>`, hex). */
export function virtioMatchId(id: VirtioDeviceId): string {
  return `virtio:d${id.device.toString(16)}v${id.vendor.toString(16)}`;
}

function parseMatchId(s: string): VirtioDeviceId | null {
  const m = /^virtio:d([0-9a-f]+)v([0-9a-f]+)$/.exec(s);
  return m === null ? null : { device: Number.parseInt(m[1] ?? "", 16), vendor: Number.parseInt(m[2] ?? "", 16) };
}

/** `virtio_dev_match`: a table entry with the device's class (or ANY) and vendor (or ANY). @see drivers/virtio/virtio.c */
function virtioDevMatch(dev: Device, drv: Driver): number {
  const v = dev.getData(VIRTIO_DEVICE);
  if (v === undefined) return 0;
  for (const s of drv.spec.matchIds ?? []) {
    const id = parseMatchId(s);
    if (id === null) continue;
    if ((id.device === v.id.device || id.device === VIRTIO_DEV_ANY_ID) && (id.vendor === VIRTIO_DEV_ANY_ID || id.vendor === v.id.vendor)) return 1;
  }
  return 0;
}

/** The kernel's virtio bus, registered on first use (see the file comment); null if the driver core refuses it. */
export function virtioBus(k: Kernel): Bus | null {
  const known = buses.get(k);
  if (known !== undefined) return known.bus;
  const r = k.core.busRegister({ name: "virtio", match: virtioDevMatch });
  if (!r.ok) return null;
  buses.set(k, { bus: r.value, ids: new Set() });
  return r.value;
}

/**
 * `register_virtio_device(dev)`: the next free index (`virtio_index_ida`), the name `virtio<N>`, status reset then
 * ACKNOWLEDGE, `device_add` (which probes a registered class driver at once). The device, or null.
 *
 * @see drivers/virtio/virtio.c register_virtio_device
 */
export function registerVirtioDevice(k: Kernel, parent: Device, id: VirtioDeviceId, transport: VirtioTransport): Device | null {
  const bus = virtioBus(k);
  const ida = buses.get(k)?.ids;
  if (bus === null || ida === undefined) return null;
  let index = 0;
  while (ida.has(index)) index++;
  ida.add(index);
  const dev = k.core.deviceInitialize({ name: `virtio${index}`, bus, parent });
  dev.setData(VIRTIO_DEVICE, { id, index, parent, transport, status: VirtioStatus.ACKNOWLEDGE });
  k.trace.emit({ type: "fw-device-create", device: dev.name, bus: bus.name, by: "device_register" });
  if (k.core.deviceAdd(dev) !== 0) {
    ida.delete(index);
    return null;
  }
  k.remember(dev);
  return dev;
}

/** `unregister_virtio_device(dev)`: `device_unregister` (the class driver's remove runs), then the index is freed. */
export function unregisterVirtioDevice(k: Kernel, dev: Device): void {
  const v = dev.getData(VIRTIO_DEVICE);
  k.core.deviceUnregister(dev);
  if (v !== undefined) buses.get(k)?.ids.delete(v.index);
}

/**
 * `virtio_dev_probe` around a class driver's probe: DRIVER status, `drv->probe`, then DRIVER_OK if the driver did not
 * set it (`virtio_device_ready`) and `drv->scan`; FAILED on error.
 *
 * @see drivers/virtio/virtio.c virtio_dev_probe
 */
export function virtioDevProbe(dev: Device, probe: (vdev: VirtioDevice) => number, scan?: (vdev: VirtioDevice) => void): number {
  const v = dev.getData(VIRTIO_DEVICE);
  if (v === undefined) return -19;
  v.status |= VirtioStatus.DRIVER | VirtioStatus.FEATURES_OK;
  const ret = probe(v);
  if (ret !== 0) {
    v.status |= VirtioStatus.FAILED;
    return ret;
  }
  v.status |= VirtioStatus.DRIVER_OK;
  scan?.(v);
  return 0;
}

/** `virtio_device_ready(dev)`: DRIVER_OK, before a driver that uses its queues in probe kicks them. */
export function virtioDeviceReady(v: VirtioDevice): void {
  v.status |= VirtioStatus.DRIVER_OK;
}
