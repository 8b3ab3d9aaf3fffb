/**
 * The model against every recorded real boot (issue #9): dmasim's v6.1 prediction for each command line must agree
 * with the real 6.1 kernel's log and sysfs dump on groups, drivers, StreamIDs, collisions, deferrals, default-domain
 * lines, SMMU events and MSI doorbell mappings. Covers the oracle fixtures (the boot without an initramfs included:
 * its modules never load) and the live runs of the five new topologies. A difference the model still has would be
 * listed in KNOWN_DIFFERENCES row for row (src/conformance/README.md explains each with the kernel source): the test
 * fails if it changes or goes away, so the list stays true. There are none today.
 */
import { parseQemuCommandLine } from "@dmasim/machine";
import { describe, expect, it } from "vitest";
import { predictFromQemu, renderDiffText, runConformance, type DiffRow } from "../src/conformance/index";
import { recordedBoots } from "../src/conformance/recorded/boots";

const BOOTS = recordedBoots();

const KNOWN_DIFFERENCES: Readonly<Record<string, readonly DiffRow[]>> = {};

const probe = parseQemuCommandLine(BOOTS.find((b) => b.name === "dt-initrd")?.cmd ?? "");
const available = probe.ok ? await predictFromQemu(probe.value) : { ok: false as const, error: "fixture .cmd does not parse" };

describe("v6.1 prediction vs the recorded real boots", () => {
  if (!available.ok) {
    it.skip(`every recorded boot (skipped: ${available.error})`, () => undefined);
    return;
  }
  it.for(BOOTS)("$name ($origin) agrees field by field", async ({ name, cmd, log }) => {
    const r = await runConformance({ source: { kind: "text", name, cmdText: cmd, logText: log } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const diff = r.value.diff;
    expect(diff, r.value.prediction.ok ? "" : r.value.prediction.error).not.toBeNull();
    if (diff === null) return;
    expect(diff.rows.filter((x) => !x.agree), renderDiffText(diff, { onlyDifferences: true })).toEqual(KNOWN_DIFFERENCES[name] ?? []);
  });
});
