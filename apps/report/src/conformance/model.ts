/**
 * The model side: `predictFromQemu(cmd)` builds the QEMU `virt` platform from a parsed command line
 * (`@dmasim/kernel`'s `platformFromQemu`, the board QEMU 7.2 builds), boots it under the `v6.1` profile with the
 * profile's default driver set (Debian's: `pcieport`, `shpchp` built in; `virtio_pci`, the virtio class drivers,
 * `e1000e`, `nvme` as modules loaded after the initcalls; no host-bridge driver) and the same kernel command line,
 * and extracts the {@link PredictedBoot}: the per-device outcomes and the trace's kernel log lines. Without `-initrd`
 * the modules are not loaded: the real kernel finds no initramfs, panics at the root mount and never runs an
 * `insmod`.
 *
 * The kernel composition is imported on first use, so parsing and comparing recorded boots (and the CLI's start-up)
 * do not load it.
 */
import type { QemuCommandLine } from "@dmasim/machine";
import { predictedLogFromTrace, type PredictedBoot } from "./predicted";

/** A prediction, or why there is none. */
export type PredictResult = { readonly ok: true; readonly value: PredictedBoot } | { readonly ok: false; readonly error: string };

/** Predicts one boot (injectable, so tests and tools can supply their own). */
export type Predictor = (cmd: QemuCommandLine) => PredictResult | Promise<PredictResult>;

/** The `v6.1` prediction for a QEMU command line. */
export async function predictFromQemu(cmd: QemuCommandLine): Promise<PredictResult> {
  let kernel: typeof import("@dmasim/kernel");
  try {
    kernel = await import("@dmasim/kernel");
  } catch (e) {
    return { ok: false, error: `@dmasim/kernel could not be loaded: ${(e as Error).message}` };
  }
  const { boot, platformFromQemu, PROFILES } = kernel;
  const platform = platformFromQemu({
    iommu: cmd.machine.iommu,
    gic: cmd.machine.gic,
    devices: cmd.devices.map((d) => d.arg),
    firmware: cmd.firmware,
    memoryBytes: cmd.memoryBytes,
  });
  if (!platform.ok) return { ok: false, error: `platform: ${platform.error.field}: ${platform.error.message}` };
  const r = boot(platform.value, PROFILES["v6.1"], { cmdline: cmd.append ?? "", skipChecks: true, loadModules: cmd.initrd !== null });
  if (!r.ok) return { ok: false, error: `boot: ${r.error.field}: ${r.error.message}` };
  return {
    ok: true,
    value: { profile: "v6.1", firmware: cmd.firmware, devices: r.value.outcomes, log: predictedLogFromTrace(r.value.trace) },
  };
}
