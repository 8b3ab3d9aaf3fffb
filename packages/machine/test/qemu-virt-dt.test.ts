/**
 * The `virt` DT builder against the DTBs QEMU 7.2 dumped for the two boots (`qemu72-virt-smmuv3.dtb`: GICv2 +
 * virtio-net + virtio-rng; `qemu72-virt-topo-gic3.dtb`: GICv3 + ITS + the root-port/bridge topology). Node for node
 * and property for property, in order, value bytes equal. The only inputs taken from the fixture are the random
 * `/chosen` seeds QEMU drew.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFdt, writeFdt, type FdtNode, type FdtTree } from "@dmasim/firmware";
import { buildQemuVirtBoard, buildQemuVirtDt, parseQemuCommandLine, qemuVirtOptionsFromCommandLine } from "@dmasim/machine";
import { fixtureBytes, fixtureText } from "./helpers/fixtures";

function flatten(node: FdtNode, path = ""): string[] {
  const here = path === "" ? "/" : path;
  const out = [`node ${here}`];
  for (const p of node.properties) out.push(`  ${here} ${p.name} = ${Buffer.from(p.value).toString("hex")}`);
  for (const c of node.children) out.push(...flatten(c, `${path}/${c.name}`));
  return out;
}

function prop(tree: FdtTree, node: string, name: string): Uint8Array {
  const n = tree.root.children.find((c) => c.name === node);
  const p = n?.properties.find((q) => q.name === name);
  if (p === undefined) throw new Error(`${node}/${name}`);
  return p.value;
}

function hasDtc(): boolean {
  try {
    execFileSync("dtc", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const cases = [
  { dtb: "qemu72-virt-smmuv3.dtb", cmd: "dt-initrd.cmd" },
  { dtb: "qemu72-virt-topo-gic3.dtb", cmd: "dt-topo-gic3-cfg.cmd" },
];

for (const c of cases) {
  describe(`virt DT vs ${c.dtb}`, () => {
    const fixture = parseFdt(fixtureBytes(`dtb/${c.dtb}`));
    if (!fixture.ok) throw new Error(fixture.error.message);
    const cmd = parseQemuCommandLine(fixtureText(`qemu-boots/${c.cmd}`));
    if (!cmd.ok) throw new Error(JSON.stringify(cmd.error));
    const machine = buildQemuVirtBoard(qemuVirtOptionsFromCommandLine(cmd.value));
    if (!machine.ok) throw new Error(JSON.stringify(machine.error));
    // dumpdtb ran without -kernel/-append, and QEMU drew the seeds at random: take those two from the fixture.
    const tree = buildQemuVirtDt(machine.value, {
      rngSeed: prop(fixture.value, "chosen", "rng-seed"),
      kaslrSeed: prop(fixture.value, "chosen", "kaslr-seed"),
    });

    it("has every node and property of QEMU's DTB, in QEMU's order, with the same values", () => {
      expect(flatten(tree.root)).toEqual(flatten(fixture.value.root));
    });

    it("encodes (writeFdt) to the very bytes of QEMU's DTB", () => {
      expect(Buffer.from(writeFdt(tree)).equals(Buffer.from(fixtureBytes(`dtb/${c.dtb}`)))).toBe(true);
    });

    it("round-trips through writeFdt/parseFdt to the same tree", () => {
      const back = parseFdt(writeFdt(tree));
      if (!back.ok) throw new Error(back.error.message);
      expect(flatten(back.value.root)).toEqual(flatten(fixture.value.root));
    });

    it.skipIf(!hasDtc() && process.env.CI === undefined)("decompiles with dtc to the same source as QEMU's DTB (dtc missing: skipped)", () => {
      const dir = mkdtempSync(join(tmpdir(), "dmasim-dt-"));
      try {
        writeFileSync(join(dir, "ours.dtb"), writeFdt(tree));
        const dts = (file: string): string =>
          execFileSync("dtc", ["-q", "-I", "dtb", "-O", "dts", file], { encoding: "utf8" });
        expect(dts(join(dir, "ours.dtb"))).toBe(dts(join(import.meta.dirname, "../../../fixtures/dtb", c.dtb)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
