/**
 * State hashing and partial-order reduction on a machine small enough to count by hand: three e1000e endpoints on
 * bus 0 behind one SMMUv3, one asynchronous driver (PROBE_PREFER_ASYNCHRONOUS) whose probe succeeds, and the boot
 * thread waiting for async work at each yield (`asyncPreemption: false`), under v6.1.
 *
 * The only choice points: after `e1000e_init` queues the three `__driver_attach_async_helper` items A, B, C, which
 * runs first (3 options), then which of the other two (2 options); the last runs without a choice. So:
 * - without reduction: 3 × 2 = 6 runs; states visited = 1 root + 3 second-level nodes + 6 run ends = 10; the
 *   second-level nodes are distinct (A, B or C probed) and all 6 ends are one state (the same three devices bound,
 *   group and domain numbers aside), so 5 distinct, 5 duplicates.
 * - with reduction: each item touches only its own device and its own STE (and a group, domain and ASID it
 *   allocates), so each commutes with everything else and one order suffices: 1 run, 2 nodes + 1 end = 3 states,
 *   and 2 + 1 = 3 transitions pruned.
 */
import { describe, expect, it } from "vitest";
import { choiceSettingsOf } from "../boot/choice-boot";
import { parseScenarioText, resolveScenario } from "../scenario/load";
import { makeSetup } from "./pool";
import { exploreUnit } from "./search";

const YAML = `
name: three-async-endpoints
firmware: acpi
board:
  qemu-virt:
    iommu: smmuv3
    devices: ["e1000e,romfile=,addr=0x3", "e1000e,romfile=,addr=0x4", "e1000e,romfile=,addr=0x5"]
drivers:
  - { name: e1000e, matches: ["pci:8086:10d3"], load: builtin, asyncProbe: true, probe: [{ result: 0 }] }
explore: { asyncPreemption: false }
`;

function setup() {
  const text = parseScenarioText(YAML, "three.yaml");
  if (!text.ok) throw new Error("bad yaml");
  const s = resolveScenario(text.value, { file: "three.yaml" });
  if (!s.ok) throw new Error(JSON.stringify(s.error));
  const made = makeSetup(s.value, "v6.1", choiceSettingsOf(s.value.explore));
  if (!made.ok) throw new Error(made.error);
  return made.value;
}

describe("explorer: state hashing and reduction, counted by hand", () => {
  it("without reduction: 6 orders, 10 states, 5 distinct (all 6 ends are one state)", () => {
    const r = exploreUnit(setup(), [], Number.POSITIVE_INFINITY, undefined, false);
    expect({ runs: r.runs, visited: r.statesVisited, distinct: r.keys.length, duplicates: r.duplicateStates, pruned: r.prunedByReduction, complete: r.complete }).toEqual({
      runs: 6,
      visited: 10,
      distinct: 5,
      duplicates: 5,
      pruned: 0,
      complete: true,
    });
    expect(r.found).toEqual([]);
  });

  it("with reduction: probes of disjoint devices commute, one order is explored", () => {
    const r = exploreUnit(setup(), [], Number.POSITIVE_INFINITY);
    expect({ runs: r.runs, visited: r.statesVisited, distinct: r.keys.length, pruned: r.prunedByReduction, complete: r.complete }).toEqual({
      runs: 1,
      visited: 3,
      distinct: 3,
      pruned: 3,
      complete: true,
    });
  });
});
