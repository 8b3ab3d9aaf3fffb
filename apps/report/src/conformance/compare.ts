/**
 * The field-by-field comparison of a real boot with the model's prediction: a pure function of two
 * {@link BootFacts}. Each field yields rows (one per group, PCI function, device or line) that agree or not; a field
 * the real log cannot show is listed as skipped with the reason, never compared.
 */
import type { BootFacts, FactGroup, FactIommuMap, FactSmmuEvent, Observable } from "./facts";

/** The compared fields, in table order. */
export const CONFORMANCE_FIELDS = [
  "groups",
  "driver",
  "stream-ids",
  "ungrouped",
  "deferred-set",
  "deferral-order",
  "retry-order",
  "default-domain",
  "tlb-policy",
  "smmu-events",
  "msi-doorbell-maps",
] as const;

/** A compared field. */
export type ConformanceField = (typeof CONFORMANCE_FIELDS)[number];

/** One row of the diff table. */
export interface DiffRow {
  readonly field: ConformanceField;
  /** What the row is about: group members, a PCI function, a device or a line. */
  readonly subject: string;
  readonly predicted: string;
  readonly observed: string;
  readonly agree: boolean;
}

/** Per field: compared (with its row and disagreement counts) or skipped (with why). */
export interface FieldSummary {
  readonly field: ConformanceField;
  readonly compared: boolean;
  readonly why: string | null;
  readonly rows: number;
  readonly disagreements: number;
}

/** The whole comparison. */
export interface ConformanceDiff {
  readonly name: string;
  readonly agree: boolean;
  readonly rows: readonly DiffRow[];
  readonly fields: readonly FieldSummary[];
}

/** Options of {@link compareBoots}. */
export interface CompareOptions {
  /** Compare group numbers too (6.1 numbers groups in probe order; default true). */
  readonly groupNumbers?: boolean;
}

const NONE = "—";

function groupLabel(g: FactGroup): string {
  return `group ${g.id}${g.type === null ? "" : ` ${g.type}`}`;
}

function whereIs(devices: readonly string[], groups: readonly FactGroup[]): string {
  return devices
    .map((d) => {
      const g = groups.find((x) => x.devices.includes(d));
      return `${d}: ${g === undefined ? "no group" : `group ${g.id} with ${g.devices.length} member${g.devices.length === 1 ? "" : "s"}`}`;
    })
    .join("; ");
}

function compareGroups(p: BootFacts, o: BootFacts, numbers: boolean): DiffRow[] {
  const key = (g: FactGroup): string => g.devices.join(" ");
  const keys = [...new Set([...o.groups.map(key), ...p.groups.map(key)])];
  const rows: { row: DiffRow; order: number }[] = [];
  for (const k of keys) {
    const pg = p.groups.find((g) => key(g) === k);
    const og = o.groups.find((g) => key(g) === k);
    const devices = (pg ?? og)?.devices ?? [];
    let agree = pg !== undefined && og !== undefined;
    if (pg !== undefined && og !== undefined) {
      if (numbers && pg.id !== og.id) agree = false;
      if (og.type !== null && pg.type !== og.type) agree = false;
    }
    rows.push({
      order: og?.id ?? 1000 + (pg?.id ?? 0),
      row: {
        field: "groups",
        subject: k,
        predicted: pg !== undefined ? groupLabel(pg) : `not a group (${whereIs(devices, p.groups)})`,
        observed: og !== undefined ? groupLabel(og) : `not a group (${whereIs(devices, o.groups)})`,
        agree,
      },
    });
  }
  return rows.sort((a, b) => a.order - b.order).map((r) => r.row);
}

function perDevice<T>(
  field: ConformanceField,
  p: readonly { device: string; value: T }[],
  o: readonly { device: string; value: T }[],
  show: (v: T) => string,
): DiffRow[] {
  const devices = [...new Set([...p.map((x) => x.device), ...o.map((x) => x.device)])].sort();
  return devices.map((device) => {
    const pv = p.find((x) => x.device === device);
    const ov = o.find((x) => x.device === device);
    const ps = pv === undefined ? NONE : show(pv.value);
    const os = ov === undefined ? NONE : show(ov.value);
    return { field, subject: device, predicted: ps, observed: os, agree: ps === os };
  });
}

const hexList = (ids: readonly number[]): string => ids.map((i) => `0x${i.toString(16)}`).join(" ");
const list = (xs: readonly string[]): string => (xs.length === 0 ? "(none)" : xs.join(" "));

function eventKey(e: FactSmmuEvent): string {
  return `event 0x${e.id.toString(16).padStart(2, "0")} sid 0x${e.sid.toString(16)} addr 0x${e.addr.replace(/^0+(?=.)/, "")}`;
}

function compareEvents(p: readonly FactSmmuEvent[], o: readonly FactSmmuEvent[]): DiffRow[] {
  const count = (xs: readonly FactSmmuEvent[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const e of xs) m.set(eventKey(e), (m.get(eventKey(e)) ?? 0) + 1);
    return m;
  };
  const pc = count(p);
  const oc = count(o);
  return [...new Set([...oc.keys(), ...pc.keys()])].sort().map((k) => {
    const pn = pc.get(k) ?? 0;
    const on = oc.get(k) ?? 0;
    return { field: "smmu-events", subject: k, predicted: `${pn}×`, observed: `${on}×`, agree: pn === on };
  });
}

/**
 * Doorbell mappings in order: one row per position (the page, IOVA and size mapped), so a domain that mapped its
 * doorbell at another IOVA, one more or one fewer domain that got a vector, or a different order all show.
 */
function compareDoorbellMaps(p: readonly FactIommuMap[], o: readonly FactIommuMap[]): DiffRow[] {
  const show = (m: FactIommuMap | undefined): string => (m === undefined ? NONE : `iova 0x${m.iova.toString(16)} pa 0x${m.pa.toString(16)} size 0x${m.size.toString(16)}`);
  const rows: DiffRow[] = [];
  for (let i = 0; i < Math.max(p.length, o.length); i++) {
    const ps = show(p[i]);
    const os = show(o[i]);
    rows.push({ field: "msi-doorbell-maps", subject: `doorbell map #${i + 1}`, predicted: ps, observed: os, agree: ps === os });
  }
  return rows;
}

function line(field: ConformanceField, subject: string, p: string | null, o: string | null): DiffRow {
  return { field, subject, predicted: p ?? "(not printed)", observed: o ?? "(not printed)", agree: p === o };
}

/** Compares the prediction with the real boot. */
export function compareBoots(name: string, predicted: BootFacts, observed: BootFacts, options: CompareOptions = {}): ConformanceDiff {
  const rows: DiffRow[] = [];
  const fields: FieldSummary[] = [];
  const field = (f: ConformanceField, why: string | null, made: () => DiffRow[]): void => {
    const r = why === null ? made() : [];
    rows.push(...r);
    fields.push({ field: f, compared: why === null, why, rows: r.length, disagreements: r.filter((x) => !x.agree).length });
  };
  const gate = <T>(o: Observable<T>, p: Observable<T>): string | null => (o.ok ? (p.ok ? null : p.why) : o.why);
  field("groups", null, () => compareGroups(predicted, observed, options.groupNumbers ?? true));
  field("driver", null, () =>
    perDevice(
      "driver",
      predicted.drivers.map((d) => ({ device: d.device, value: d.driver })),
      observed.drivers.map((d) => ({ device: d.device, value: d.driver })),
      (v) => v ?? "(none)",
    ),
  );
  field("stream-ids", gate(observed.streamIds, predicted.streamIds), () =>
    perDevice(
      "stream-ids",
      predicted.streamIds.ok ? predicted.streamIds.value.map((x) => ({ device: x.device, value: x.ids })) : [],
      observed.streamIds.ok ? observed.streamIds.value.map((x) => ({ device: x.device, value: x.ids })) : [],
      hexList,
    ),
  );
  field("ungrouped", null, () =>
    perDevice(
      "ungrouped",
      predicted.ungrouped.map((u) => ({ device: u.device, value: u.reasons })),
      observed.ungrouped.map((u) => ({ device: u.device, value: u.reasons })),
      (r) => (r.length === 0 ? "no group" : r.join("; ")),
    ),
  );
  const dw = gate(observed.deferrals, predicted.deferrals);
  const pd = predicted.deferrals.ok ? predicted.deferrals.value : { added: [], retried: [] };
  const od = observed.deferrals.ok ? observed.deferrals.value : { added: [], retried: [] };
  field("deferred-set", dw, () => [line("deferred-set", "devices added to the deferred list", list([...pd.added].sort()), list([...od.added].sort()))]);
  field("deferral-order", dw, () => [line("deferral-order", "Added to deferred list", list(pd.added), list(od.added))]);
  field("retry-order", dw, () => [line("retry-order", "Retrying from deferred list", list(pd.retried), list(od.retried))]);
  field("default-domain", gate(observed.defaultDomain, predicted.defaultDomain), () => [
    line("default-domain", "iommu: Default domain type", predicted.defaultDomain.ok ? predicted.defaultDomain.value : null, observed.defaultDomain.ok ? observed.defaultDomain.value : null),
  ]);
  field("tlb-policy", gate(observed.tlbPolicy, predicted.tlbPolicy), () => [
    line("tlb-policy", "iommu: DMA domain TLB invalidation policy", predicted.tlbPolicy.ok ? predicted.tlbPolicy.value : null, observed.tlbPolicy.ok ? observed.tlbPolicy.value : null),
  ]);
  field("smmu-events", gate(observed.smmuEvents, predicted.smmuEvents), () =>
    compareEvents(predicted.smmuEvents.ok ? predicted.smmuEvents.value : [], observed.smmuEvents.ok ? observed.smmuEvents.value : []),
  );
  field("msi-doorbell-maps", gate(observed.doorbellMaps, predicted.doorbellMaps), () =>
    compareDoorbellMaps(predicted.doorbellMaps.ok ? predicted.doorbellMaps.value : [], observed.doorbellMaps.ok ? observed.doorbellMaps.value : []),
  );
  return { name, agree: rows.every((r) => r.agree), rows, fields };
}

/** The CLI's exit status for a comparison: 0 when everything agrees, 1 on any disagreement. */
export function conformanceExitCode(diff: ConformanceDiff): 0 | 1 {
  return diff.agree ? 0 : 1;
}
