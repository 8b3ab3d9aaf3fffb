/**
 * Masters and streams: `probe_device` (v5.8+) / `add_device` (v4.x) read the fwspec's StreamIDs, check each is in
 * range, make sure its L2 stream table exists, and insert it into the per-SMMU StreamID tree, where a StreamID
 * already owned by another master is the "stream %u already in tree" -EINVAL. Release removes the streams after
 * detaching.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_probe_device, arm_smmu_insert_master,
 *   arm_smmu_remove_master, arm_smmu_release_device; drivers/iommu/arm-smmu-v3.c arm_smmu_add_device (v4.12)
 */
import { devPrintk, Errno, type Device } from "@dmasim/driver-core";
import type { IommuFwspec } from "../core/iommu-ops";
import { driverFile } from "./context";
import type { ArmSmmuDevice, ArmSmmuStream } from "./device";
import { ArmSmmuMaster } from "./device";
import { armSmmuDetachDev } from "./domain";
import { initL2Strtab, sidInRange } from "./init";
import { ARM_SMMU_FEAT, CTXDESC_LINEAR_CDMAX } from "./regs";

/**
 * `arm_smmu_insert_master`: one stream per fwspec ID (in order), each checked against the stream table, its L2
 * table allocated, and put in the tree. On failure the streams already inserted are taken out again. 0, -ERANGE,
 * -ENOMEM or -EINVAL (collision: "stream %u already in tree[ from dev %s]", dev_warn on the new master).
 */
export function insertMaster(smmu: ArmSmmuDevice, master: ArmSmmuMaster, ids: readonly number[]): number {
  const mode = smmu.ctx.era.streamTree;
  master.streams = ids.map((id) => ({ id, master }));
  const inserted: ArmSmmuStream[] = [];
  let ret = 0;
  for (const stream of master.streams) {
    const sid = stream.id;
    // Check the SIDs are in range of the SMMU and our stream table.
    if (!sidInRange(smmu, sid)) {
      ret = -Errno.ERANGE;
      break;
    }
    // Ensure l2 strtab is initialised.
    if ((smmu.features & ARM_SMMU_FEAT.TWO_LVL_STRTAB) !== 0) {
      ret = initL2Strtab(smmu, sid);
      if (ret !== 0) break;
    }
    if (mode === "none") continue;
    const existing = smmu.findStream(sid);
    if (existing !== undefined) {
      // Bridged PCI devices may end up with duplicated IDs (skipped since the 6.1.y backport of b00d24997a11).
      if (mode === "stable-dup-fix" && existing.master === master) continue;
      const suffix = mode === "stable-dup-fix" ? ` from dev ${existing.master.dev.name}` : "";
      devPrintk(smmu.ctx.trace, "warning", master.dev, driverFile(smmu.ctx.era), `stream ${sid} already in tree${suffix}`);
      ret = -Errno.EINVAL;
      break;
    }
    smmu.streams.splice(smmu.streamIndex(sid), 0, stream);
    inserted.push(stream);
  }
  if (ret !== 0) {
    for (const s of inserted) removeStream(smmu, s);
    master.streams = [];
  }
  return ret;
}

function removeStream(smmu: ArmSmmuDevice, stream: ArmSmmuStream): void {
  const i = smmu.streamIndex(stream.id);
  if (smmu.streams[i] === stream) smmu.streams.splice(i, 1);
}

/** `arm_smmu_remove_master`: take the master's streams out of the tree. */
export function removeMaster(master: ArmSmmuMaster): void {
  for (const s of master.streams) removeStream(master.smmu, s);
  master.streams = [];
}

/** What {@link armSmmuProbeDevice} and {@link armSmmuAddDevice} need from the driver module. */
export interface MasterProbeDeps {
  readonly fwspec: IommuFwspec | null;
  /** The fwspec's ops are this driver's (`fwspec->ops == &arm_smmu_ops`). */
  readonly fwspecIsOurs: boolean;
  /** `dev_iommu_priv_get(dev)`. */
  readonly priv: unknown;
  /** `arm_smmu_get_by_fwnode(fwspec->iommu_fwnode)`. */
  readonly smmu: ArmSmmuDevice | null;
  readonly setPriv: (priv: ArmSmmuMaster | null) => void;
}

/**
 * `arm_smmu_probe_device(dev)`: the master for a device whose fwspec names this driver, inserted into its SMMU's
 * stream tree. The SMMU instance, or -ENODEV (not ours / SMMU not bound), -EBUSY (already probed), or what
 * {@link insertMaster} returned.
 */
export function armSmmuProbeDevice(dev: Device, deps: MasterProbeDeps): { ok: true; value: ArmSmmuDevice } | { ok: false; error: number } {
  if (deps.fwspec === null || !deps.fwspecIsOurs) return { ok: false, error: -Errno.ENODEV };
  if (deps.priv !== null && deps.priv !== undefined) return { ok: false, error: -Errno.EBUSY };
  const smmu = deps.smmu;
  if (smmu === null) return { ok: false, error: -Errno.ENODEV };
  const master = new ArmSmmuMaster(dev, smmu);
  deps.setPriv(master);
  const ret = insertMaster(smmu, master, deps.fwspec.ids);
  if (ret !== 0) {
    deps.setPriv(null);
    return { ok: false, error: ret };
  }
  // "pasid-num-bits" is not modelled (0), so masters have no substreams.
  master.ssidBits = Math.min(smmu.ssidBits, 0);
  if ((smmu.features & ARM_SMMU_FEAT.TWO_LVL_CDTAB) === 0) master.ssidBits = Math.min(master.ssidBits, CTXDESC_LINEAR_CDMAX);
  // "dma-can-stall" is not modelled: only a forced-stall SMMU makes a master stall.
  if ((smmu.features & ARM_SMMU_FEAT.STALL_FORCE) !== 0) master.stallEnabled = true;
  return { ok: true, value: smmu };
}

/**
 * `arm_smmu_release_device(dev)`: detach (STEs back to abort/bypass), drop the streams, free the master.
 */
export function armSmmuReleaseDevice(master: ArmSmmuMaster): void {
  armSmmuDetachDev(master);
  removeMaster(master);
}

/**
 * v4.12 `arm_smmu_add_device(dev)`: the master (reused, with a WARN, if add_device runs twice), each SID checked and
 * its L2 table allocated, then `iommu_group_get_for_dev`. v4.x has no StreamID tree, so two masters with one SID are
 * accepted and the last STE written wins. 0 or a negative errno.
 */
export function armSmmuAddDevice(dev: Device, deps: MasterProbeDeps, groupGetForDev: ((dev: Device) => number) | null): number {
  if (deps.fwspec === null || !deps.fwspecIsOurs) return -Errno.ENODEV;
  let master: ArmSmmuMaster;
  if (deps.priv instanceof ArmSmmuMaster) {
    master = deps.priv;
  } else {
    const smmu = deps.smmu;
    if (smmu === null) return -Errno.ENODEV;
    master = new ArmSmmuMaster(dev, smmu);
    deps.setPriv(master);
  }
  const ret = insertMaster(master.smmu, master, deps.fwspec.ids);
  if (ret !== 0) return ret;
  return groupGetForDev === null ? 0 : groupGetForDev(dev);
}
