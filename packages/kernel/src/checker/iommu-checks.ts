/**
 * The IOMMU-side invariants: I-FWSPEC (d.2.14), I-GROUP-LIFECYCLE (d.1.8), and I-LEAK (what a failed probe or an
 * unbind left behind, from the final state with the events that made it).
 */
import type { Violation } from "@dmasim/driver-core";
import type { DeviceOutcome } from "../outcome";
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

/**
 * I-LEAK: DMA mappings (IOVAs, page-table entries) and attach-queue entries left after an unbind or a failed probe,
 * as the final state shows them, with the probe/unbind end and the calls that made them.
 */
export function checkLeaks(records: readonly AnyRecord[], outcomes: readonly DeviceOutcome[]): Violation[] {
  const out = checkSteLeaks(records);
  const leaky = new Set(outcomes.filter((o) => o.leaks.length > 0).map((o) => o.name));
  if (leaky.size === 0) return out;
  const lastEnd = new Map<string, number>();
  const made = new Map<string, number[]>();
  for (const r of records) {
    const device = (r as AnyRecord & { device?: string }).device;
    if (device === undefined || !leaky.has(device)) continue;
    if (r.type === "really-probe-end" || r.type === "release-driver-end") lastEnd.set(device, r.seq);
    if (r.type === "dma-map" || r.type === "dma-alloc") made.set(device, [...(made.get(device) ?? []), r.seq]);
  }
  for (const o of outcomes) {
    for (const leak of o.leaks) {
      const end = lastEnd.get(o.name);
      out.push(kernelViolation("I-LEAK", o.name, `${o.name}: ${leak.kind} of ${leak.owner} left behind (${leak.detail})`, [...(made.get(o.name) ?? []), ...(end === undefined ? [] : [end])]));
    }
  }
  return out;
}

interface SteView extends AnyRecord {
  readonly smmu: string;
  readonly sid: number;
  readonly config: string;
  readonly device: string | null;
}

/**
 * STEs left translating for a device that is gone: the last STE written for a StreamID still points at the domain of
 * a device that passed `device_del` after it was written (its stream would reach that domain's mappings).
 */
export function checkSteLeaks(records: readonly AnyRecord[]): Violation[] {
  const last = new Map<string, SteView>();
  const deleted = new Map<string, number>();
  for (const r of records) {
    if (r.type === "arm-smmu-ste") {
      const s = r as SteView;
      last.set(`${s.smmu}:${s.sid}`, s);
    } else if (r.type === "device-del-end") {
      deleted.set((r as AnyRecord & { device: string }).device, r.seq);
    }
  }
  const out: Violation[] = [];
  for (const s of last.values()) {
    if (s.config !== "s1-trans" || s.device === null) continue;
    const gone = deleted.get(s.device);
    if (gone === undefined || gone < s.seq) continue;
    out.push(kernelViolation("I-LEAK", s.device, `${s.device}: STE of stream 0x${s.sid.toString(16)} on ${s.smmu} still translates through its domain after device_del`, [s.seq, gone]));
  }
  return out;
}
