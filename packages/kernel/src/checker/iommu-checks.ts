/**
 * The IOMMU-side invariants: I-FWSPEC (d.2.14) and I-GROUP-LIFECYCLE (d.1.8).
 */
import type { Violation } from "@dmasim/driver-core";
import { kernelViolation, type AnyRecord } from "./records";

interface FwspecState {
  ops: string | null;
  ids: number;
  initAt: number;
}

/**
 * I-FWSPEC: when firmware configuration hands out ops, the device's fwspec has those ops and at least one ID; an
 * ops-less fwspec left by a deferral is freed before a new one is made (an `iommu_fwspec_init` failing with -EINVAL,
 * "a fwspec with other ops exists", shows it was not).
 */
export function checkFwspec(records: readonly AnyRecord[]): Violation[] {
  const state = new Map<string, FwspecState>();
  const out: Violation[] = [];
  for (const r of records) {
    const e = r as AnyRecord & { device?: string; ops?: string | null; ids?: readonly number[]; ret?: number; result?: string };
    if (e.device === undefined) continue;
    switch (r.type) {
      case "iommu-fwspec-init":
        if (e.ret === -22) {
          const prev = state.get(e.device);
          out.push(kernelViolation("I-FWSPEC", e.device, `iommu_fwspec_init failed (${e.ret}) over a stale fwspec of ${e.device}`, [r.seq, ...(prev === undefined ? [] : [prev.initAt])]));
        } else if (!state.has(e.device)) {
          state.set(e.device, { ops: e.ops ?? null, ids: 0, initAt: r.seq });
        }
        break;
      case "iommu-fwspec-add-ids": {
        const s = state.get(e.device);
        if (s !== undefined && (e.ret ?? 0) === 0) s.ids += e.ids?.length ?? 0;
        break;
      }
      case "iommu-fwspec-free":
        state.delete(e.device);
        break;
      case "iommu-configure": {
        if (e.result !== "ops") break;
        const s = state.get(e.device);
        if (s === undefined) break; // eras without fwspec
        if (s.ops === null || s.ids < 1) {
          out.push(kernelViolation("I-FWSPEC", e.device, `${e.device} got IOMMU ops with a fwspec of ${s.ops === null ? "no ops" : "no IDs"}`, [s.initAt, r.seq]));
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/**
 * I-GROUP-LIFECYCLE (d.1.8): a device joins a group at most once while it is in one, and the IOMMU driver's
 * `remove_device`/`release_device` runs only inside REMOVED_DEVICE and only for a grouped device.
 */
export function checkGroupLifecycle(records: readonly AnyRecord[]): Violation[] {
  const grouped = new Map<string, number>();
  const removing = new Set<string>();
  const out: Violation[] = [];
  for (const r of records) {
    const e = r as AnyRecord & { device?: string; chain?: string; action?: string; data?: string | null };
    if (r.type === "notifier-chain-start" && e.chain?.startsWith("bus:") === true && e.action === "REMOVED_DEVICE" && e.data != null) removing.add(e.data);
    else if (r.type === "notifier-chain-end" && e.chain?.startsWith("bus:") === true) {
      const d = (r as AnyRecord & { data?: string | null }).data;
      if (d != null) removing.delete(d);
    } else if (r.type === "iommu-group-add" && e.device !== undefined) {
      const at = grouped.get(e.device);
      if (at !== undefined) out.push(kernelViolation("I-GROUP-LIFECYCLE", e.device, `${e.device} added to a group while already in one`, [at, r.seq]));
      grouped.set(e.device, r.seq);
    } else if (r.type === "iommu-group-remove" && e.device !== undefined) {
      grouped.delete(e.device);
    } else if (r.type === "iommu-release-device" && e.device !== undefined) {
      if (!removing.has(e.device)) {
        out.push(kernelViolation("I-GROUP-LIFECYCLE", e.device, `${e.device}: IOMMU release outside BUS_NOTIFY_REMOVED_DEVICE`, [r.seq]));
      } else if (!grouped.has(e.device)) {
        out.push(kernelViolation("I-GROUP-LIFECYCLE", e.device, `${e.device}: IOMMU release of a device in no group`, [r.seq]));
      }
    }
  }
  return out;
}
