/** Labels: a DTB compiled by dtc -@ carries __symbols__, which DeviceTree maps back to nodes. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DeviceTree, ofIommuMasters } from "@dmasim/firmware";
import { hasTool, run } from "./fixtures";

const dtc = hasTool("dtc");

describe.skipIf(!dtc)("dtc -@ labels", () => {
  it("resolves every label dtc emitted, and phandle references made with &label", () => {
    const dir = mkdtempSync(join(tmpdir(), "dtc-labels-"));
    try {
      writeFileSync(
        join(dir, "t.dts"),
        `/dts-v1/;
/ {
  #address-cells = <2>; #size-cells = <2>;
  smmu: iommu@2b400000 { compatible = "arm,smmu-v3"; reg = <0 0x2b400000 0 0x100000>; #iommu-cells = <1>; };
  soc { #address-cells = <2>; #size-cells = <2>;
    dma0: dma@7ff00000 { reg = <0 0x7ff00000 0 0x1000>; iommus = <&smmu 0x20>, <&smmu 0x21>; };
  };
};
`,
      );
      run("dtc", ["-q", "-@", "-I", "dts", "-O", "dtb", "-o", join(dir, "t.dtb"), join(dir, "t.dts")]);
      const dt = DeviceTree.parse(new Uint8Array(readFileSync(join(dir, "t.dtb"))));
      if (!dt.ok) throw new Error(dt.error.message);
      expect(dt.value.pathOf(dt.value.nodeByLabel("smmu") as never)).toBe("/iommu@2b400000");
      expect(dt.value.pathOf(dt.value.nodeByLabel("dma0") as never)).toBe("/soc/dma@7ff00000");
      const [m] = ofIommuMasters(dt.value);
      expect(m?.specs.map((s) => [s.providerPath, s.ids.streamId])).toEqual([
        ["/iommu@2b400000", 0x20],
        ["/iommu@2b400000", 0x21],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
