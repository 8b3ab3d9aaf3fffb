/** Helpers for the scenario tests: boot a scenario under a profile and read its trace. */
import { PROFILES, bootScenario, type BootResult, type ProfileName, type Scenario } from "@dmasim/kernel";

/** A trace record with its common fields (the checks read plain fields by `type`). */
export type Rec = { readonly type: string; readonly seq: number } & Readonly<Record<string, unknown>>;

/** Boots `s` under `profile`, failing the test on a bad scenario. */
export function run(s: Scenario, profile: ProfileName): BootResult {
  const r = bootScenario(s, PROFILES[profile]);
  if (!r.ok) throw new Error(`${r.error.field}: ${r.error.message}`);
  return r.value;
}

/** The records of a type, optionally for one device. */
export function records(r: BootResult, type: string, device?: string): Rec[] {
  return (r.trace as readonly Rec[]).filter((e) => e.type === type && (device === undefined || e.device === device));
}

/** The status of one invariant. */
export function status(r: BootResult, invariant: string): "pass" | "fail" {
  const v = r.verdicts.find((x) => x.invariant === invariant);
  if (v === undefined) throw new Error(`no verdict for ${invariant}`);
  return v.status;
}

/** The violations of one invariant for one device. */
export function violationsOf(r: BootResult, invariant: string, device: string): readonly { message: string; events: readonly number[] }[] {
  return r.violations.filter((v) => v.invariant === invariant && v.device === device);
}

/** The outcome of one device. */
export function outcome(r: BootResult, device: string): BootResult["outcomes"][number] {
  const o = r.outcomes.find((x) => x.name === device);
  if (o === undefined) throw new Error(`no outcome for ${device}`);
  return o;
}

/** The bus-notifier walks (`notifier-chain-start` … `-end`) of `action` for `device`, each with its records. */
export function walks(r: BootResult, action: string, device: string): Rec[][] {
  const out: Rec[][] = [];
  let cur: Rec[] | null = null;
  let key = "";
  for (const e of r.trace as readonly Rec[]) {
    if (e.type === "notifier-chain-start" && e.action === action && e.data === device && String(e.chain).startsWith("bus:")) {
      cur = [e];
      key = `${String(e.chain)}#${String(e.walk)}`;
      continue;
    }
    if (cur === null) continue;
    if (String(e.type).startsWith("notifier-") && `${String(e.chain)}#${String(e.walk)}` === key) {
      cur.push(e);
      if (e.type === "notifier-chain-end") {
        out.push(cur);
        cur = null;
      }
    }
  }
  return out;
}
