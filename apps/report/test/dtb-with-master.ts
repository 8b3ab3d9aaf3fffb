/**
 * A test DTB: QEMU 7.2's `virt,iommu=smmuv3` tree (the vendored fixture) plus one platform DMA master behind its
 * SMMUv3 (`iommus = <&smmuv3 0x42>`), with a node name and compatible string of the test's choosing (the escaping
 * test gives it an HTML payload; the FDT format stores any byte string as a name).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fdtCells, fdtNode, fdtReg, fdtStringList, parseFdt, writeFdt } from "@dmasim/firmware";

/** The fixture's SMMUv3 node phandle (`smmuv3@9050000 { phandle = <0x8004>; }`). */
const SMMU_PHANDLE = 0x8004;

/** The StreamID the added master has. */
export const MASTER_SID = 0x42;

/** The QEMU virt DTB with a master `NAME@a100000` of `compatible` behind the SMMUv3. */
export function dtbWithMaster(name: string, compatible: string): Uint8Array {
  const base = parseFdt(readFileSync(resolve(import.meta.dirname, "../../../fixtures/dtb/qemu72-virt-smmuv3.dtb")));
  if (!base.ok) throw new Error("the vendored qemu72-virt-smmuv3.dtb does not parse");
  const master = fdtNode(`${name}@a100000`, {
    compatible: fdtStringList(compatible),
    reg: fdtReg([[0xa100000, 0x1000]]),
    iommus: fdtCells(SMMU_PHANDLE, MASTER_SID),
  });
  const root = base.value.root;
  return writeFdt({ ...base.value, root: { ...root, children: [...root.children, master] } });
}
