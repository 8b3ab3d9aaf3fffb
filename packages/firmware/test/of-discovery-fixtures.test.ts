import { describe, expect, it } from "vitest";
import { DeviceTree, ofIommuMasters, ofMapId } from "@dmasim/firmware";
import type { DtsNode } from "./dts-oracle";
import { decompile, dtsAvailable, dtsCells } from "./dts-oracle";
import { dtbFixtures, hasTool, run } from "./fixtures";

const tools = hasTool("dtc") && hasTool("fdtget", ["-h"]);

function byPhandle(nodes: DtsNode[]): Map<number, DtsNode> {
  const m = new Map<number, DtsNode>();
  for (const n of nodes) {
    const ph = n.props.get("phandle");
    if (ph !== undefined && !m.has(dtsCells(ph)[0] as number)) m.set(dtsCells(ph)[0] as number, n);
  }
  return m;
}

describe.skipIf(!tools).each(dtbFixtures())("$name: DT IOMMU discovery agrees with dtc/fdtget", ({ path, bytes }) => {
  const parsed = DeviceTree.parse(bytes);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const dt = parsed.value;
  const dts = tools ? decompile(path) : [];
  const phandles = byPhandle(dts);

  it("lists the same masters, providers and StreamIDs as dtc's text", () => {
    const expected = dts
      .filter((n) => n.props.has("iommus") && dtsAvailable(n))
      .map((n) => {
        const cells = dtsCells(n.props.get("iommus") as string);
        const specs: { provider: string; args: number[] }[] = [];
        for (let i = 0; i < cells.length; ) {
          const provider = phandles.get(cells[i] as number) as DtsNode;
          const count = dtsCells(provider.props.get("#iommu-cells") as string)[0] as number;
          specs.push({ provider: provider.path, args: cells.slice(i + 1, i + 1 + count) });
          i += 1 + count;
        }
        return { path: n.path, specs };
      });
    const actual = ofIommuMasters(dt).map((m) => ({
      path: m.path,
      specs: m.specs.map((s) => ({ provider: s.providerPath, args: [...s.args] })),
    }));
    expect(actual).toEqual(expected);
    for (const m of ofIommuMasters(dt)) expect(m.end).toEqual({ kind: "end" });
  });

  it("reads each master's iommus cells as fdtget does", () => {
    for (const m of ofIommuMasters(dt)) {
      const cells = run("fdtget", ["-t", "x", path, m.path, "iommus"]).trim().split(/\s+/).map((x) => Number.parseInt(x, 16));
      expect(m.specs.flatMap((s) => [s.phandle, ...s.args])).toEqual(cells);
    }
  });

  it("maps the first and last ID of every iommu-map/msi-map entry to fdtget's targets", () => {
    for (const n of dts) {
      for (const mapName of ["iommu-map", "msi-map"] as const) {
        if (!n.props.has(mapName)) continue;
        const node = dt.findNode(n.path);
        if (node === undefined) throw new Error(`${n.path} missing`);
        const cells = run("fdtget", ["-t", "x", path, n.path, mapName]).trim().split(/\s+/).map((x) => Number.parseInt(x, 16));
        const maskText = n.props.get(`${mapName}-mask`);
        const mask = maskText === undefined ? 0xffffffff : (dtsCells(maskText)[0] as number);
        for (let i = 0; i < cells.length; i += 4) {
          const [base, ph, out, len] = cells.slice(i, i + 4) as [number, number, number, number];
          const target = (phandles.get(ph) as DtsNode).path;
          // Skip entries shadowed by an earlier one covering the same masked ID.
          const firstHit = (id: number): number => {
            for (let j = 0; j < cells.length; j += 4) {
              const [b, , , l] = cells.slice(j, j + 4) as [number, number, number, number];
              if ((id & mask) >>> 0 >= b && (id & mask) >>> 0 < b + l) return j;
            }
            return -1;
          };
          if (len === 0 || (base & ~mask) >>> 0 !== 0) continue;
          for (const id of [base, base + len - 1]) {
            if (firstHit(id) !== i) continue;
            const r = ofMapId(dt, node, id, mapName, { target: dt.findNode(target) as never });
            expect(r).toMatchObject({ kind: "mapped", targetPath: target, id: (out + (((id & mask) >>> 0) - base)) >>> 0 });
          }
        }
      }
    }
  });
});
