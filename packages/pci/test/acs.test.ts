/**
 * ACS and when it gets enabled (real-kernel-oracle.md §7): under ACPI the IORT code requests ACS before the PCI
 * scan, so `pci_acs_init` writes SV|RR|CR|UF = 0x001d into each QEMU root port's ACS control register; under DT
 * (6.1) ACS is requested only at the first `of_iommu_configure`, after the scan, and the registers stay 0x0000.
 * Both are checked against the control words the guests dumped from config space, and the grouping checks
 * (`pci_acs_enabled`, `pci_acs_path_enabled`) read those registers back.
 */
import { describe, expect, it } from "vitest";
import { PciExtCapId } from "@dmasim/machine";
import {
  PCI_ERAS,
  PciAcs,
  pciAcsControl,
  pciAcsEnabled,
  pciAcsPathEnabled,
  pciDevice,
  type PciAcsEnableEvent,
  type PciDev,
} from "@dmasim/pci";
import { configDumps, fixtureText, le16, le32 } from "./helpers/fixtures";
import { acpiEnumerate, dtEnumerate, fixtureOptions, makeKernel, must, type TestKernel } from "./helpers/boot";

/** The `REQ_ACS_FLAGS` the IOMMU core's `pci_device_group` asks for. */
const REQ_ACS_FLAGS = PciAcs.SV | PciAcs.RR | PciAcs.CR | PciAcs.UF;

/** ACS control word of a dumped config space (walking the extended capability list), or null without ACS. */
function dumpedAcsControl(dump: Uint8Array): number | null {
  let pos = 0x100;
  for (let ttl = 0; ttl < 480 && pos >= 0x100 && pos + 8 <= dump.length; ttl++) {
    const header = le32(dump, pos);
    if (header === 0) return null;
    if ((header & 0xffff) === PciExtCapId.ACS) return le16(dump, pos + PciAcs.CTRL);
    pos = (header >>> 20) & 0xffc;
  }
  return null;
}

function acsControls(k: TestKernel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of k.pci.devices) if (d.acsCap !== 0) out[d.name] = pciAcsControl(d);
  return out;
}

function dev(k: TestKernel, name: string): PciDev {
  const d = k.pci.findDev(name);
  if (d === null) throw new Error(name);
  return d;
}

describe("ACS control words vs the -cfg boots", () => {
  it("ACPI: requested at IORT init, before the scan → 0x001d on every root port, as the guest dumped", () => {
    const k = makeKernel(fixtureOptions("acpi-topo-gic3-cfg.cmd"));
    k.pci.requestAcs(); // iort_init_platform_devices → iort_enable_acs, at acpi_init before acpi_scan_init
    expect(acpiEnumerate(k)).toBe(0);
    expect(acsControls(k)).toEqual({ "0000:00:03.0": 0x001d, "0000:00:04.0": 0x001d, "0000:00:06.0": 0x001d });
    const dumps = configDumps(fixtureText("qemu-boots/acpi-topo-gic3-cfg.log"));
    for (const d of k.pci.devices) expect([d.name, pciAcsControl(d)]).toEqual([d.name, dumpedAcsControl(dumps.get(d.name) ?? new Uint8Array()) ?? 0]);
    const enables = k.trace.records.filter((r): r is typeof r & PciAcsEnableEvent => r.type === "pci-acs-enable");
    expect(enables.map((e) => [e.device, e.cap, e.ctrlBefore, e.ctrlAfter])).toEqual([
      ["0000:00:03.0", 0x5f, 0, 0x1d],
      ["0000:00:04.0", 0x5f, 0, 0x1d],
      ["0000:00:06.0", 0x5f, 0, 0x1d],
    ]);
  });

  it("DT (6.1): requested at the first of_iommu_configure, after the scan → 0x0000, as the guest dumped", () => {
    const k = makeKernel(fixtureOptions("dt-topo-gic3-cfg.cmd"), {
      hooks: {
        firmwareDmaConfigure: (_pdev, fw) => {
          if (fw.kind === "of") k.pci.requestAcs(); // of_iommu_configure → pci_request_acs
          return 0;
        },
      },
    });
    must(k.pci.registerDriver({ name: "catch-all", idTable: [pciDevice(0xffff_ffff, 0xffff_ffff)], probe: () => 0 }));
    expect(dtEnumerate(k)).toBe(0);
    expect(k.pci.acsEnabled).toBe(true);
    expect(acsControls(k)).toEqual({ "0000:00:03.0": 0, "0000:00:04.0": 0, "0000:00:06.0": 0 });
    const dumps = configDumps(fixtureText("qemu-boots/dt-topo-gic3-cfg.log"));
    for (const d of k.pci.devices) expect([d.name, pciAcsControl(d)]).toEqual([d.name, dumpedAcsControl(dumps.get(d.name) ?? new Uint8Array()) ?? 0]);
    expect(k.trace.records.some((r) => r.type === "pci-acs-enable")).toBe(false);
    // The request came after the last function was added and before the first probe.
    const types = k.trace.records.map((r) => r.type);
    expect(types.indexOf("pci-acs-request")).toBeGreaterThan(types.lastIndexOf("pci-device-add"));
  });
});

describe("ACS as grouping sees it", () => {
  const boot = (early: boolean, fw: "dt" | "acpi" = "acpi", extra: Parameters<typeof makeKernel>[1] = {}): TestKernel => {
    const k = makeKernel(fixtureOptions(`${fw}-topo-gic3.cmd`), extra);
    if (early) k.pci.requestAcs();
    expect(fw === "dt" ? dtEnumerate(k) : acpiEnumerate(k)).toBe(0);
    if (!early) k.pci.requestAcs();
    return k;
  };

  it("pci_acs_enabled follows the 6.1 rules per function type and the control register", () => {
    for (const early of [true, false]) {
      const k = boot(early);
      const enabled = (name: string): boolean => pciAcsEnabled(dev(k, name), REQ_ACS_FLAGS);
      expect(enabled("0000:00:03.0")).toBe(early); // root port: the control bits must be set
      expect(enabled("0000:02:00.0")).toBe(false); // PCIe-to-PCI bridge: never
      expect(enabled("0000:03:01.0")).toBe(false); // conventional PCI: never
      expect(enabled("0000:00:05.0")).toBe(false); // conventional (root-bus virtio is not PCIe)
      expect(enabled("0000:01:00.0")).toBe(true); // single-function PCIe endpoint: isolated by topology
      expect(enabled("0000:04:00.0")).toBe(true);
    }
  });

  it("pci_acs_path_enabled to the root: the endpoints below the root ports are isolated only with early ACS", () => {
    for (const early of [true, false]) {
      const k = boot(early);
      expect(pciAcsPathEnabled(dev(k, "0000:01:00.0"), null, REQ_ACS_FLAGS)).toBe(early);
      expect(pciAcsPathEnabled(dev(k, "0000:04:00.0"), null, REQ_ACS_FLAGS)).toBe(early);
      expect(pciAcsPathEnabled(dev(k, "0000:00:04.0"), null, REQ_ACS_FLAGS)).toBe(early);
      expect(pciAcsPathEnabled(dev(k, "0000:03:01.0"), null, REQ_ACS_FLAGS)).toBe(false);
      // With an end on the root bus the root-bus test comes first and answers `end == NULL`: false (6.1 as written).
      expect(pciAcsPathEnabled(dev(k, "0000:01:00.0"), dev(k, "0000:00:03.0"), REQ_ACS_FLAGS)).toBe(false);
      // Start = end below the root bus: only that function is checked.
      expect(pciAcsPathEnabled(dev(k, "0000:01:00.0"), dev(k, "0000:01:00.0"), REQ_ACS_FLAGS)).toBe(true);
      // A function on the root bus with end === null: true once its own check passes.
      expect(pciAcsPathEnabled(dev(k, "0000:00:03.0"), null, REQ_ACS_FLAGS)).toBe(early);
    }
  });

  it("a flag the capability lacks counts as hard-wired on; Egress Control always counts", () => {
    const k = boot(true);
    const rp = dev(k, "0000:00:03.0");
    expect(pciAcsEnabled(rp, PciAcs.SV | PciAcs.TB)).toBe(false); // TB implemented, not enabled
    expect(pciAcsEnabled(rp, PciAcs.SV)).toBe(true);
    expect(pciAcsEnabled(rp, PciAcs.EC)).toBe(false); // not in the capability, yet required
  });

  it("Translation Blocking joins with pci=noats or an external-facing port (v6.1), not in v4.12", () => {
    const noats = makeKernel(fixtureOptions("acpi-topo-gic3.cmd"), { atsDisabled: true });
    noats.pci.requestAcs();
    acpiEnumerate(noats);
    expect(acsControls(noats)).toEqual({ "0000:00:03.0": 0x1f, "0000:00:04.0": 0x1f, "0000:00:06.0": 0x1f });
    const k1 = makeKernel(fixtureOptions("acpi-topo-gic3.cmd"), {
      hooks: {
        fixupHeader: (p) => {
          if (p.name === "0000:00:04.0") p.externalFacing = true;
        },
      },
    });
    k1.pci.requestAcs();
    acpiEnumerate(k1);
    expect(acsControls(k1)).toEqual({ "0000:00:03.0": 0x1d, "0000:00:04.0": 0x1f, "0000:00:06.0": 0x1d });
    const old = makeKernel(fixtureOptions("acpi-topo-gic3.cmd"), {
      era: PCI_ERAS["v4.12"],
      hooks: {
        fixupHeader: (p) => {
          p.externalFacing = true;
        },
      },
    });
    old.pci.requestAcs();
    acpiEnumerate(old);
    expect(acsControls(old)["0000:00:04.0"]).toBe(0x1d);
  });

  it("device-specific quirks decide before the capability", () => {
    const k = boot(true, "acpi", {
      hooks: {
        devSpecificEnableAcs: (p) => (p.name === "0000:00:06.0" ? 0 : -25),
        devSpecificAcsEnabled: (p) => (p.name === "0000:03:01.0" ? 1 : -25),
      },
    });
    expect(acsControls(k)["0000:00:06.0"]).toBe(0); // the quirk claimed it (and here did nothing)
    expect(pciAcsEnabled(dev(k, "0000:03:01.0"), REQ_ACS_FLAGS)).toBe(true);
  });

  it("with acsEnableAt: dma-configure (the later OF fix), the DT request at probe still enables each port as it probes", () => {
    const k = makeKernel(fixtureOptions("dt-topo-gic3.cmd"), {
      era: { ...PCI_ERAS["v6.1"], acsEnableAt: "dma-configure" },
      hooks: {
        firmwareDmaConfigure: () => {
          k.pci.requestAcs();
          return 0;
        },
      },
    });
    must(k.pci.registerDriver({ name: "ports", idTable: [{ vendor: 0x1b36, device: 0x000c }], probe: () => 0 }));
    expect(dtEnumerate(k)).toBe(0);
    expect(acsControls(k)).toEqual({ "0000:00:03.0": 0x1d, "0000:00:04.0": 0x1d, "0000:00:06.0": 0x1d });
  });
});
