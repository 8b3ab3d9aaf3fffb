import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { IortTable } from "@dmasim/firmware";
import { iortLayout, iortMapPciRid, parseIort, writeIort } from "@dmasim/firmware";
import { FIXTURES, hasTool, iortFixtures, run } from "./fixtures";
import type { DslTable } from "./iasl-dsl";
import { parseDsl } from "./iasl-dsl";

const iasl = hasTool("iasl", ["-v"]);
const tmp = mkdtempSync(join(tmpdir(), "iort-fixtures-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The checked-in disassembly beside a blob: `X.rev3.dsl` for `X.rev3.bin` when present, else `X.dsl`. */
function besideDsl(name: string): string | undefined {
  const dir = resolve(FIXTURES, "iort");
  const exact = resolve(dir, name.replace(/\.bin$/, ".dsl"));
  if (existsSync(exact)) return exact;
  if (!/\.rev\d\.bin$/.test(name)) return undefined;
  const base = resolve(dir, name.replace(/\.rev\d\.bin$/, ".dsl"));
  return existsSync(base) ? base : undefined;
}

function liveDsl(path: string, name: string): string {
  const bin = join(tmp, name);
  copyFileSync(path, bin);
  run("iasl", ["-d", bin]);
  return readFileSync(bin.replace(/\.bin$/, ".dsl"), "utf8");
}

/** The parse, compared field by field with a disassembly (revision bytes may differ: rev3/rev5 share a .dsl). */
function agreesWithDsl(table: IortTable, dsl: DslTable): void {
  const { nodeOffsets, length } = iortLayout(table);
  expect(length).toBe(dsl.length);
  expect(dsl.nodes.map((n) => n.offset)).toEqual([...nodeOffsets]);
  table.nodes.forEach((node, i) => {
    const d = dsl.nodes[i];
    if (d === undefined) throw new Error(`dsl lacks node ${i}`);
    expect(d.revision).toBe(node.revision);
    expect(d.mappingCount).toBe(node.idMappings.length);
    expect(
      node.idMappings.map((m) => ({
        inputBase: m.inputBase,
        idCount: m.idCount,
        outputBase: m.outputBase,
        outputReference: m.outputReference === null ? 0 : nodeOffsets[m.outputReference],
        flags: m.flags,
      })),
    ).toEqual(d.mappings);
    if (node.type === "smmu-v3") {
      expect(d.fields.get("Base Address")).toBe(node.baseAddress);
      expect(d.fields.get("Event GSIV")).toBe(node.eventGsiv);
      expect(d.fields.get("Device ID Mapping Index")).toBe(node.deviceIdMappingIndex);
    }
    if (node.type === "root-complex") expect(d.fields.get("PCI Segment Number")).toBe(node.pciSegment);
  });
}

/**
 * An independent reading of where a RID goes, straight from the disassembly, under the v6.1 rule: a mapping
 * covers input..input+count; a hit on the last ID gives way to a later mapping that starts there.
 */
function dslWalk(dsl: DslTable, rid: number): { kind: string; offset?: number; id?: number } {
  const rc = dsl.nodes.find((n) => n.type === 2);
  if (!rc) return { kind: "none" };
  let hit: { offset: number; id: number } | undefined;
  let tentative = false;
  for (const m of rc.mappings) {
    if (rid < m.inputBase || rid > m.inputBase + m.idCount) continue;
    const here = { offset: m.outputReference, id: m.outputBase + rid - m.inputBase };
    if (hit === undefined) {
      hit = here;
      tentative = m.idCount > 0 && rid === m.inputBase + m.idCount;
      if (!tentative) break;
    } else if (rid === m.inputBase) {
      hit = here;
      break;
    }
  }
  if (!hit) return { kind: "none" };
  const target = dsl.nodes.find((n) => n.offset === hit?.offset);
  if (target?.type === 4) return { kind: "smmu", offset: hit.offset, id: hit.id };
  if (target?.type === 0) return { kind: "its", offset: hit.offset, id: hit.id };
  return { kind: "none" };
}

describe.each(iortFixtures())("$name", ({ name, path, bytes }) => {
  const parsed = parseIort(bytes);

  it("parses, and re-encodes byte for byte", () => {
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Buffer.from(writeIort(parsed.value)).equals(Buffer.from(bytes))).toBe(true);
    expect(parseIort(writeIort(parsed.value))).toEqual(parsed);
  });

  const dslPath = besideDsl(name);
  it.skipIf(dslPath === undefined)("agrees with the iasl -d disassembly beside it", () => {
    if (!parsed.ok || dslPath === undefined) throw new Error("no parse");
    agreesWithDsl(parsed.value, parseDsl(readFileSync(dslPath, "utf8")));
  });

  it.skipIf(!iasl)("agrees with a fresh iasl -d of the blob", () => {
    if (!parsed.ok) throw new Error("no parse");
    const dsl = parseDsl(liveDsl(path, name));
    expect(dsl.revision).toBe(parsed.value.revision);
    agreesWithDsl(parsed.value, dsl);
  });

  it.skipIf(!iasl)("walks every mapping's boundary RIDs to where the disassembly says", () => {
    if (!parsed.ok) throw new Error("no parse");
    const table = parsed.value;
    const dsl = parseDsl(liveDsl(path, name));
    const offsets = iortLayout(table).nodeOffsets;
    const rc = dsl.nodes.find((n) => n.type === 2);
    const rids = new Set<number>();
    for (const m of rc?.mappings ?? []) {
      for (const r of [m.inputBase - 1, m.inputBase, m.inputBase + m.idCount - 1, m.inputBase + m.idCount, m.inputBase + m.idCount + 1]) {
        if (r >= 0 && r <= 0xffff) rids.add(r);
      }
    }
    for (const rid of [...rids].sort((a, b) => a - b)) {
      const r = iortMapPciRid(table, 0, rid);
      const got =
        r.kind === "smmu"
          ? { kind: "smmu", offset: offsets[r.node], id: r.streamId }
          : r.kind === "its"
            ? { kind: "its", offset: offsets[r.node], id: r.deviceId }
            : { kind: "none" };
      expect({ rid, ...got }).toEqual({ rid, ...dslWalk(dsl, rid) });
    }
  });
});
