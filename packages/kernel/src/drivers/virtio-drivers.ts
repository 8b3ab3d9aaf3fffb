/**
 * The virtio class drivers of Debian's 6.1 kernel that the QEMU boards' devices bind (all `=m`): what each probe
 * does with its queues, which decides whether the device interrupts at boot.
 *
 * - `virtio_net`: `virtnet_find_vqs` asks for rx/tx queues with callbacks and the control queue without one
 *   (`callbacks[total_vqs - 1] = NULL`), so vectors are allocated (the doorbell mapped) but nothing is kicked at probe:
 *   receive buffers are posted at `ndo_open`, the device has no peer, and `virtnet_set_queues` sends no control
 *   command without VIRTIO_NET_F_MQ (QEMU's default) — and a control command would not interrupt anyway.
 * - `virtio_rng`: `probe_common` → `virtio_find_single_vq(vdev, random_recv_done, "input")`,
 *   `virtio_device_ready`, then `request_entropy` ("we always have a pending entropy request"): the device fills the
 *   64-byte buffer and raises the queue's vector, whose handler is `random_recv_done`. `virtrng_scan` →
 *   `hwrng_register` → `add_early_randomness` then reads without waiting. (khwrngd's later reads from the current
 *   rng are not modelled.)
 * - `virtio_blk`: one request queue per CPU with `virtblk_done`, and `device_add_disk`'s partition scan reads the
 *   first sector, which completes with an interrupt.
 *
 * @see drivers/net/virtio_net.c virtnet_probe, virtnet_find_vqs, _virtnet_set_queues
 * @see drivers/char/hw_random/virtio-rng.c probe_common, request_entropy, random_recv_done, virtrng_scan
 * @see drivers/block/virtio_blk.c virtblk_probe, init_vq; block/genhd.c device_add_disk
 */
import type { Device } from "@dmasim/driver-core";
import type { KernelDriver } from "./register";
import { VIRTIO_DEV_ANY_ID, VIRTIO_DEVICE, VirtioId, virtioDevProbe, virtioDeviceReady, type Virtqueue, type VirtqueueSpec, type VirtioDevice } from "./virtio-bus";

/** What a class driver does at probe. */
interface VirtioClassSpec {
  readonly name: string;
  readonly id: number;
  readonly queues: readonly VirtqueueSpec[];
  /** A request the probe (or scan) kicks on queue 0 and the bytes the device writes, or null. */
  readonly probeRequest: { readonly bytes: number; readonly at: "probe" | "scan" } | null;
}

/** `VIRTIO_NET`: one queue pair (QEMU's default) and the control queue, which has no callback. */
export const VIRTIO_NET_SPEC: VirtioClassSpec = {
  name: "virtio_net",
  id: VirtioId.NET,
  queues: [
    { name: "input.0", callback: true },
    { name: "output.0", callback: true },
    { name: "control", callback: false },
  ],
  probeRequest: null,
};

/** `virtio_rng`: one input queue; `request_entropy` at probe into `vi->data` (`SMP_CACHE_BYTES` = 64 on arm64). */
export const VIRTIO_RNG_SPEC: VirtioClassSpec = {
  name: "virtio_rng",
  id: VirtioId.RNG,
  queues: [{ name: "input", callback: true }],
  probeRequest: { bytes: 64, at: "probe" },
};

/** `virtio_blk`: `req.0` (one CPU), and the partition scan's read of sector 0 after `device_add_disk`. */
export const VIRTIO_BLK_SPEC: VirtioClassSpec = {
  name: "virtio_blk",
  id: VirtioId.BLOCK,
  queues: [{ name: "req.0", callback: true }],
  probeRequest: { bytes: 512, at: "scan" },
};

/** A class driver of the virtio bus from its spec: `find_vqs`, ready, the probe-time request, `del_vqs` at remove. */
export function virtioClassDriver(spec: VirtioClassSpec): KernelDriver {
  const queues = new WeakMap<Device, readonly Virtqueue[]>();
  const kick = (v: VirtioDevice, dev: Device): void => {
    const vq = queues.get(dev)?.[0];
    if (spec.probeRequest !== null && vq !== undefined) v.transport.kick(dev, vq, { bytes: spec.probeRequest.bytes });
  };
  return {
    name: spec.name,
    match: { kind: "virtio", ids: [{ device: spec.id, vendor: VIRTIO_DEV_ANY_ID }] },
    probe: (dev) =>
      virtioDevProbe(
        dev,
        (v) => {
          const vqs = v.transport.findVqs(dev, spec.queues);
          if (typeof vqs === "number") return vqs;
          queues.set(dev, vqs);
          if (spec.probeRequest?.at === "probe") {
            virtioDeviceReady(v);
            kick(v, dev);
          }
          return 0;
        },
        (v) => {
          if (spec.probeRequest?.at === "scan") kick(v, dev);
        },
      ),
    remove: (dev) => {
      const v = dev.getData(VIRTIO_DEVICE);
      if (v === undefined) return;
      v.transport.reset(dev);
      v.transport.delVqs(dev);
      queues.delete(dev);
    },
  };
}
