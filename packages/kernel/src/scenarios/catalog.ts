/**
 * The seed scenario and S1–S7 of kernel-behaviour.md §(d.3), as scenario data. Each sets up a board, drivers and
 * actions; the situation §(d.3) describes has to arise from the mechanism of the profile it is booted under
 * (initcall levels, link order, which buses the SMMU registers on, when devices are created and configured).
 */
import type { PlatformMasterSpec } from "../platform/types";
import type { Scenario } from "./types";

/** A root port with the 82574L e1000e QEMU models behind it. */
const E1000E_BEHIND_PORT = ["pcie-root-port,id=rp1,chassis=1,slot=1,addr=0x3", "e1000e,romfile=,bus=rp1"];

/** The e1000e function's kernel name on those boards. */
export const SCENARIO_ENDPOINT = "0000:01:00.0";

/** A DT platform DMA master behind the SMMU (StreamIDs above every PCI RID of the boards). */
const MASTER: PlatformMasterSpec = { node: "dma@a100000", compatible: ["dmasim,master"], reg: { base: 0xa10_0000, size: 0x1000 }, streamIds: [0xf000] };

const ENDPOINT_DMA = [
  { op: "alloc-coherent", size: 4096 },
  { op: "map-single", size: 1500, dir: "to-device" },
] as const;

/**
 * The seed (June 2016, "arm64: mm: change IOMMU notifier action to attach DMA ops"): on an ACPI system the PCI
 * endpoint is enumerated at `acpi_init` (subsys_initcall), before its SMMU has probed; its driver then does DMA.
 */
export const SEED_SCENARIO: Scenario = {
  name: "seed-acpi-pci-before-smmu",
  description: "ACPI: PCI endpoint enumerated at acpi_init before the SMMUv3 probes; its driver's first DMA.",
  firmware: "acpi",
  board: { qemuVirt: { iommu: "smmuv3", gic: 3, devices: E1000E_BEHIND_PORT } },
  drivers: [{ name: "e1000e", matches: ["pci:8086:10d3"], load: "builtin", initcall: "device", probe: [{ dma: ENDPOINT_DMA, result: 0, msi: true }] }],
};

/**
 * S1: the seed's ordering with the endpoint driver registered as soon as PCI is enumerated (subsys_initcall_sync,
 * before any device_initcall — before the SMMU's in v4.12+), then a sysfs remove + rescan of the host bridge
 * function: a later ADD_DEVICE of a device behind the SMMU (one that is not stops the v4.7 chain before the drain).
 */
export const S1: Scenario = {
  ...SEED_SCENARIO,
  name: "S1-acpi-ordering",
  description: "§d.3 S1: PCI endpoint enumerated and probed before its SMMU is ready; a later PCI rescan.",
  drivers: [{ name: "e1000e", matches: ["pci:8086:10d3"], load: "builtin", initcall: "subsys_sync", probe: [{ dma: ENDPOINT_DMA, result: 0, msi: true }] }],
  actions: [{ remove: "0000:00:00.0" }, { rescan: true }],
};

/** S2: a probe that maps buffers (not devres) and then fails with -ENOMEM; the driver is a module (SMMU up). */
export const S2: Scenario = {
  name: "S2-failed-probe-leak",
  description: "§d.3 S2: BIND attaches, probe maps then returns -ENOMEM; what stays on the unbound device.",
  firmware: "dt",
  board: { qemuVirt: { iommu: "smmuv3", gic: 3, devices: E1000E_BEHIND_PORT } },
  drivers: [{ name: "e1000e", matches: ["pci:8086:10d3"], load: "module", probe: [{ dma: ENDPOINT_DMA, result: "-ENOMEM" }] }],
};

/** The regulator the S3 endpoint waits for: a plain DT device whose driver is a module. */
const REGULATOR: PlatformMasterSpec = { node: "regulator@a200000", compatible: ["dmasim,regulator"], reg: { base: 0xa20_0000, size: 0x1000 }, streamIds: [] };

/** S3: the endpoint defers until a regulator binds (after late_initcall), then succeeds with DMA. */
export const S3: Scenario = {
  name: "S3-deferred-probe",
  description: "§d.3 S3: first probe defers waiting for a regulator, the retry after it binds succeeds.",
  firmware: "dt",
  board: { qemuVirt: { iommu: "smmuv3", gic: 3, devices: E1000E_BEHIND_PORT, platformMasters: [REGULATOR] } },
  drivers: [
    {
      name: "e1000e",
      matches: ["pci:8086:10d3"],
      load: "builtin",
      probe: [{ result: "-EPROBE_DEFER", until: ["bound:a200000.regulator"] }, { dma: ENDPOINT_DMA, result: 0 }],
    },
    { name: "dmasim-regulator", matches: ["of:dmasim,regulator"], load: "module" },
  ],
};

/** S4: a parent driver creates a child device from its DT node and does DMA for it; no driver ever binds the child. */
export const S4: Scenario = {
  name: "S4-driverless-child",
  description: "§d.3 S4: dma_alloc_coherent on a child device that never gets a driver.",
  firmware: "dt",
  board: {
    qemuVirt: {
      iommu: "smmuv3",
      gic: 3,
      platformMasters: [
        { ...MASTER, compatible: ["dmasim,parent"], children: [{ node: "port@a101000", compatible: ["dmasim,port"], reg: { base: 0xa10_1000, size: 0x1000 }, streamIds: [0xf001] }] },
      ],
    },
  },
  drivers: [
    {
      name: "dmasim-parent",
      matches: ["of:dmasim,parent"],
      load: "builtin",
      probe: [{ children: [{ ofNode: "/dma@a100000/port@a101000" }], dma: [{ op: "alloc-coherent", size: 4096, device: "a101000.port" }], result: 0 }],
    },
  ],
};

/** S5: an endpoint driver registered before the SMMU probes (subsys_sync), on ACPI: it defers, then binds. */
export const S5: Scenario = {
  name: "S5-probe-time-deferral",
  description: "§d.3 S5: driver registered between acpi_init and the SMMU's probe; deferral until late_initcall.",
  firmware: "acpi",
  board: { qemuVirt: { iommu: "smmuv3", gic: 3, devices: E1000E_BEHIND_PORT } },
  drivers: [{ name: "e1000e", matches: ["pci:8086:10d3"], load: "builtin", initcall: "subsys_sync", probe: [{ dma: ENDPOINT_DMA, result: 0 }] }],
};

/** S6: a master configured for an SMMU that never probes, then removed; a later device is registered. */
export const S6: Scenario = {
  name: "S6-dangling-queue-entry",
  description: "§d.3 S6: the IOMMU never appears, the queued device is destroyed, a later ADD_DEVICE follows.",
  firmware: "dt",
  board: { qemuVirt: { iommu: "smmuv3", gic: 3, platformMasters: [MASTER] } },
  drivers: [],
  probeFailures: [{ device: "9050000.smmuv3", errno: -19, times: 1000 }],
  actions: [{ remove: "a100000.dma" }, { registerDevice: "late-device" }],
};

/** The S7 parent: a plain DT device whose driver registers a child with no firmware node. */
const S7_PARENT: PlatformMasterSpec = { node: "bus@a300000", compatible: ["dmasim,parent"], reg: { base: 0xa30_0000, size: 0x1000 }, streamIds: [] };

/**
 * S7: after the SMMU is up, a device that is not behind it is added (its IOMMU `add_device` returns -ENODEV), while
 * a master's attach is still queued; the master's driver probes next, and only the PCI scan's ADD_DEVICE drains.
 */
export const S7: Scenario = {
  name: "S7-notifier-chain-stop",
  description: "§d.3 S7: add_device's raw -ENODEV stops the ADD_DEVICE chain before arm64's -100 notifier.",
  firmware: "dt",
  board: { qemuVirt: { iommu: "smmuv3", gic: 3, devices: E1000E_BEHIND_PORT, platformMasters: [MASTER, S7_PARENT] } },
  drivers: [
    { name: "dmasim-parent", matches: ["of:dmasim,parent"], load: "builtin", initcall: "fs", probe: [{ children: [{ name: "a300000.bus:child" }], result: 0 }] },
    { name: "dmasim-master", matches: ["of:dmasim,master"], load: "builtin", initcall: "fs", probe: [{ dma: [{ op: "alloc-coherent", size: 4096 }], result: 0 }] },
  ],
};

/** S1–S7 in order. */
export const D3_SCENARIOS: readonly Scenario[] = [S1, S2, S3, S4, S5, S6, S7];
