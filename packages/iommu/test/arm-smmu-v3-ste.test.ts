/**
 * Masters, streams and domains: the STE and CD images the driver writes, read back from simulated RAM and compared
 * dword by dword with smmuv3-model.md §2.7 (abort, bypass, stage 1; CD dword0 0x0001E204C0003510 for ASID 1), the
 * install order (dwords 1..7, CFGI_STE + SYNC, dword 0, CFGI_STE + SYNC), and the StreamID tree's
 * "stream N already in tree" -EINVAL with the real 6.1 log's wording and consequence.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { PCI_DEV, PciDev, type PciBus } from "@dmasim/pci";
import { createSmmuV3, type SmmuHwEvent, type SmmuV3 } from "@dmasim/iommu/smmuv3-hw";
import type { Device } from "@dmasim/driver-core";
import { IommuDomainType } from "../src/core/iommu-ops";
import { IommuProt } from "../src/io-pgtable-arm/index";
import type { ArmSmmuDomain } from "../src/arm-smmu-v3/domain";
import { ARM_SMMU_V3_ERAS, type ArmSmmuV3Era } from "../src/arm-smmu-v3/era";
import { stepForSid } from "../src/arm-smmu-v3/ste";
import { SmmuDriverTestKernel } from "../src/arm-smmu-v3/test-support";

function boot(opts: { era?: ArmSmmuV3Era; disableBypass?: boolean } = {}): SmmuDriverTestKernel {
  let k: SmmuDriverTestKernel | null = null;
  k = new SmmuDriverTestKernel({
    createHw: (memory, irq) => createSmmuV3({ name: "9050000.smmuv3", memory, irq, trace: { emit: (e: SmmuHwEvent) => k?.trace.emit(e) } }),
    ...opts,
  });
  if (k.probeSmmu() !== 0) throw new Error("probe");
  return k;
}

const ABORT_STE = ["0x0000000000000001", "0x0000100000000000", ...Array<string>(6).fill("0x0000000000000000")];
const BYPASS_STE = ["0x0000000000000009", "0x0000100000000000", ...Array<string>(6).fill("0x0000000000000000")];

function hex(v: number): string {
  return `0x${v.toString(16).padStart(16, "0")}`;
}

/** The core's part of allocating a domain: the type, an id and the ops' page sizes. */
function allocDomain(k: SmmuDriverTestKernel, type: number, id = 1): ArmSmmuDomain {
  const d = k.driver.ops.domainAlloc(type) as ArmSmmuDomain | null;
  if (d === null) throw new Error("domain_alloc");
  d.id = id;
  d.pgsizeBitmap = k.driver.ops.pgsizeBitmap;
  return d;
}

function steOf(k: SmmuDriverTestKernel, sid: number): number {
  const smmu = k.driver.instances[0];
  const pa = smmu === undefined ? null : stepForSid(smmu, sid);
  if (pa === null) throw new Error(`no STE for ${sid}`);
  return pa;
}

/** Names of the commands the hardware executed after trace position `from`. */
function cmdsSince(k: SmmuDriverTestKernel, from: number): string[] {
  return k.trace.records
    .slice(from)
    .filter((r) => r.type === "smmu-cmd")
    .map((r) => {
      const c = r as unknown as { name: string; fields: Record<string, number | boolean> };
      return c.name === "CMD_SYNC" || c.name === "CMD_CFGI_ALL" ? c.name : `${c.name}(${String(c.fields["sid"] ?? c.fields["asid"])})`;
    });
}

describe("stream table entries for a master", () => {
  it("allocates the L2 table at probe_device: L1 descriptor Span 9, 256 abort STEs", () => {
    const k = boot();
    const dev = k.addMaster("dma0", [0x10]);
    expect(k.probeMaster(dev)).toBe(0);
    const smmu = k.driver.instances[0];
    if (smmu === undefined) throw new Error("no smmu");
    const l2 = smmu.strtab.l1Desc?.[0]?.l2ptr ?? 0;
    expect(k.frames.outstanding("smmu-strtab-l2").map((a) => [a.pa, a.size])).toEqual([[l2, 0x4000]]);
    expect(l2 % 0x4000).toBe(0);
    // L1STD = L2Ptr | Span (SPLIT + 1 = 9); the other 255 L1 entries stay invalid.
    expect(k.dwords(smmu.strtab.strtab, 2)).toEqual([hex(l2 + 9), "0x0000000000000000"]);
    for (const sid of [0, 0x10, 0xff]) expect(k.dwords(l2 + sid * 64)).toEqual(ABORT_STE);
    // Unattached: the hardware aborts silently (no event).
    expect(k.dma(0x10, 0x1000)).toMatchObject({ kind: "abort", eventId: null });
    expect(k.events("smmu-event")).toEqual([]);
  });

  it("writes the stage-1 STE and its CD as §2.7 shows them (ASID 1, 4K, T0SZ 16, IPS 44 bits)", () => {
    const k = boot();
    const dev = k.addMaster("dma0", [0x10]);
    k.probeMaster(dev);
    const d = allocDomain(k, IommuDomainType.DMA);
    expect(k.driver.domainOps.attachDev(d, dev)).toBe(0);
    const cdtab = d.s1Cfg?.cdtab ?? 0;
    const pgd = d.pgtblOps?.cfg.s1.ttbr ?? 0;
    expect(cdtab % 64).toBe(0);
    expect(k.dwords(steOf(k, 0x10))).toEqual([hex(cdtab + 0xb), "0x00000000000000d6", ...Array<string>(6).fill("0x0000000000000000")]);
    expect(k.dwords(cdtab)).toEqual([
      "0x0001e204c0003510",
      hex(pgd),
      "0x0000000000000000",
      // 6.1 io-pgtable MAIR: NC, WBRWA, DEVICE, INC_OWBRWA.
      "0x00000000f404ff44",
      ...Array<string>(4).fill("0x0000000000000000"),
    ]);
    // The hardware decodes both without a C_BAD_STE/C_BAD_CD and caches the config: ASID 1, the CD at cdtab.
    expect(k.dma(0x10, 0x1000)).toMatchObject({ kind: "abort", eventId: 0x10 });
    expect((k.hw as SmmuV3).configCache()).toEqual([expect.objectContaining({ sid: 0x10, steAddr: steOf(k, 0x10), asid: 1, cdAddr: cdtab })]);
  });

  it("installs the S1 STE in Linux's order: dword 1, CFGI_STE + SYNC, dword 0, CFGI_STE + SYNC, PREFETCH_CONFIG", () => {
    const k = boot();
    const dev = k.addMaster("dma0", [0x10]);
    k.probeMaster(dev);
    const d = allocDomain(k, IommuDomainType.DMA);
    const ste = steOf(k, 0x10);
    const seen: string[][] = [];
    const stop = k.trace.subscribe((r) => {
      if (r.type === "smmu-cmd" && (r as unknown as { name: string }).name === "CMD_CFGI_STE") seen.push(k.dwords(ste, 2));
    });
    const from = k.trace.records.length;
    k.driver.domainOps.attachDev(d, dev);
    stop();
    // Finalise writes the CD while no master is on the domain's list: arm_smmu_sync_cd is a lone CMD_SYNC, twice.
    expect(cmdsSince(k, from)).toEqual([
      "CMD_SYNC",
      "CMD_SYNC",
      "CMD_CFGI_STE(16)",
      "CMD_SYNC",
      "CMD_CFGI_STE(16)",
      "CMD_SYNC",
      "CMD_PREFETCH_CONFIG(16)",
    ]);
    const cdtab = d.s1Cfg?.cdtab ?? 0;
    expect(seen).toEqual([
      ["0x0000000000000001", "0x00000000000000d6"],
      [hex(cdtab + 0xb), "0x00000000000000d6"],
    ]);
  });

  it("writes a bypass STE for an identity domain, and the DMA passes through untranslated", () => {
    const k = boot();
    const dev = k.addMaster("dma0", [0x10]);
    k.probeMaster(dev);
    const d = allocDomain(k, IommuDomainType.IDENTITY);
    const from = k.trace.records.length;
    expect(k.driver.domainOps.attachDev(d, dev)).toBe(0);
    expect(d.stage).toBe("bypass");
    expect(k.dwords(steOf(k, 0x10))).toEqual(BYPASS_STE);
    expect(cmdsSince(k, from)).toEqual(["CMD_CFGI_STE(16)", "CMD_SYNC"]);
    expect(k.dma(0x10, 0x4123_4560)).toEqual({ kind: "bypass", pa: 0x4123_4560 });
    expect(k.frames.outstanding("smmu-cd")).toEqual([]);
  });

  it("release_device puts the abort STE back (CFGI_STE + SYNC) and the stream aborts silently again", () => {
    const k = boot();
    const dev = k.addMaster("dma0", [0x10]);
    k.probeMaster(dev);
    const d = allocDomain(k, IommuDomainType.DMA);
    k.driver.domainOps.attachDev(d, dev);
    k.driver.domainOps.mapPages?.(d, 0x1000, 0x5000_0000, 0x1000, 1, IommuProt.IOMMU_READ | IommuProt.IOMMU_WRITE);
    expect(k.dma(0x10, 0x1000)).toEqual({ kind: "translated", pa: 0x5000_0000 });
    const from = k.trace.records.length;
    k.driver.ops.releaseDevice?.(dev);
    expect(k.dwords(steOf(k, 0x10))).toEqual(ABORT_STE);
    expect(cmdsSince(k, from)).toEqual(["CMD_CFGI_STE(16)", "CMD_SYNC"]);
    expect(k.dma(0x10, 0x1000)).toMatchObject({ kind: "abort", eventId: null });
    expect(k.events("smmu-abort").at(-1)).toMatchObject({ sid: 0x10, reason: "ste-abort" });
    expect(k.events("arm-smmu-evt")).toEqual([]);
    expect(k.driver.instances[0]?.streams).toEqual([]);
    expect(d.devices).toEqual([]);
  });

  it("with disable_bypass=0 a detached stream gets the bypass STE", () => {
    const k = boot({ disableBypass: false });
    const dev = k.addMaster("dma0", [0x10]);
    k.probeMaster(dev);
    expect(k.dwords(steOf(k, 0x10))).toEqual(BYPASS_STE);
    const d = allocDomain(k, IommuDomainType.DMA);
    k.driver.domainOps.attachDev(d, dev);
    k.driver.detachDev(dev);
    expect(k.dwords(steOf(k, 0x10))).toEqual(BYPASS_STE);
  });

  it("moves a master between domains through the abort STE (attach detaches first)", () => {
    const k = boot();
    const dev = k.addMaster("dma0", [0x10]);
    k.probeMaster(dev);
    const a = allocDomain(k, IommuDomainType.DMA, 1);
    const b = allocDomain(k, IommuDomainType.UNMANAGED, 2);
    k.driver.domainOps.attachDev(a, dev);
    const from = k.trace.records.length;
    k.driver.domainOps.attachDev(b, dev);
    expect(k.events("arm-smmu-ste").slice(-2).map((e) => (e as unknown as { config: string }).config)).toEqual(["abort", "s1-trans"]);
    expect(cmdsSince(k, from).slice(0, 2)).toEqual(["CMD_CFGI_STE(16)", "CMD_SYNC"]);
    expect(a.s1Cfg?.cd.asid).toBe(1);
    expect(b.s1Cfg?.cd.asid).toBe(2);
    expect(k.dwords(b.s1Cfg?.cdtab ?? 0, 1)).toEqual(["0x0002e204c0003510"]);
  });

  it("writes the STE of a master's duplicated StreamID once (bridged PCI aliases)", () => {
    const k = boot();
    const dev = k.addMaster("bridged", [0x300, 0x300]);
    expect(k.probeMaster(dev)).toBe(0);
    const d = allocDomain(k, IommuDomainType.DMA);
    k.driver.domainOps.attachDev(d, dev);
    expect(k.events("arm-smmu-ste").map((e) => (e as unknown as { sid: number }).sid)).toEqual([0x300]);
  });

  it("refuses a StreamID beyond the stream table with -ERANGE", () => {
    const k = boot();
    expect(k.probeMaster(k.addMaster("far", [0x10000]))).toBe(-34);
    expect(k.driver.instances[0]?.streams).toEqual([]);
  });

  it("frees the domain: TLBI_NH_ASID + SYNC, page tables, CD table and ASID", () => {
    const k = boot();
    const dev = k.addMaster("dma0", [0x10]);
    k.probeMaster(dev);
    const d = allocDomain(k, IommuDomainType.DMA);
    k.driver.domainOps.attachDev(d, dev);
    k.driver.ops.releaseDevice?.(dev);
    const from = k.trace.records.length;
    k.driver.domainOps.free(d);
    expect(cmdsSince(k, from)).toEqual(["CMD_TLBI_NH_ASID(1)", "CMD_SYNC"]);
    expect(k.frames.outstanding("smmu-cd")).toEqual([]);
    expect(k.frames.outstanding("smmu-pgtable")).toEqual([]);
    const d2 = allocDomain(k, IommuDomainType.DMA, 2);
    const dev2 = k.addMaster("dma1", [0x11]);
    k.probeMaster(dev2);
    k.driver.domainOps.attachDev(d2, dev2);
    expect(d2.s1Cfg?.cd.asid).toBe(1);
  });

  it("def_domain_type: identity for the HiSilicon PTT (19e5:a12e) only; device_group: pci_device_group for PCI", () => {
    const k = boot();
    const mk = (name: string, vendor: number, device: number): Device => {
      const dev = k.addMaster(name, [0x40]);
      const pdev = new PciDev({ dev, bus: {} as PciBus, devfn: 0, vendor, device, class: 0, revision: 0, hdrType: 0, multifunction: false, pcieCap: 0, pcieFlagsReg: 0 });
      dev.setData(PCI_DEV, pdev);
      return dev;
    };
    const ptt = mk("0000:00:10.0", 0x19e5, 0xa12e);
    const nic = mk("0000:00:11.0", 0x19e5, 0xa12f);
    expect(k.driver.ops.defDomainType?.(ptt)).toBe(IommuDomainType.IDENTITY);
    expect(k.driver.ops.defDomainType?.(nic)).toBe(0);
    expect(k.driver.ops.defDomainType?.(k.addMaster("dma0", [0x10]))).toBe(0);
    const pci = vi.spyOn(k.iommu, "pciDeviceGroup");
    const generic = vi.spyOn(k.iommu, "genericDeviceGroup");
    k.driver.ops.deviceGroup(nic);
    k.driver.ops.deviceGroup(k.addMaster("dma1", [0x11]));
    expect([pci.mock.calls.length, generic.mock.calls.length]).toEqual([1, 1]);
    expect(boot({ era: ARM_SMMU_V3_ERAS["v4.12"] }).driver.ops.defDomainType).toBeUndefined();
  });

  it("rejects BLOCKED domains and, before v4.11, identity ones", () => {
    expect(boot().driver.ops.domainAlloc(IommuDomainType.BLOCKED)).toBeNull();
    expect(boot({ era: ARM_SMMU_V3_ERAS["v4.7"] }).driver.ops.domainAlloc(IommuDomainType.IDENTITY)).toBeNull();
  });
});

describe("StreamID collisions (real 6.1 topology boot: 03:01.0 and 03:02.0 behind a PCIe-to-PCI bridge)", () => {
  /** A master probed while its driver is being bound, as really_probe → dma_configure does. */
  function boundMaster(k: SmmuDriverTestKernel, name: string, sids: number[]): Device {
    const dev = k.addMaster(name, sids);
    const drv = k.core.driverRegister({ name: "virtio-pci", bus: k.platform, matchIds: [] });
    const driver = drv.ok ? drv.value : k.platform.drivers.find((x) => x.name === "virtio-pci");
    if (driver === undefined) throw new Error("driver");
    k.core.deviceSetDriver(dev, driver);
    return dev;
  }

  it("gives the second master -EINVAL with the 6.1.y warning, leaving the first master's stream alone", () => {
    const k = boot();
    const first = boundMaster(k, "0000:03:01.0", [768]);
    const second = boundMaster(k, "0000:03:02.0", [768]);
    expect(k.probeMaster(first)).toBe(0);
    expect(k.probeMaster(second)).toBe(-22);
    expect(k.log().at(-1)).toBe("virtio-pci 0000:03:02.0: stream 768 already in tree from dev 0000:03:01.0");
    expect(k.driver.instances[0]?.streams.map((s) => [s.id, s.master.dev.name])).toEqual([[768, "0000:03:01.0"]]);
    expect(k.iommu.devIommuPrivGet(second)).toBeNull();
  });

  it("before the stable fix (v5.14 … 6.1.y) the warning had no 'from dev' and a master's own duplicate failed too", () => {
    const k = boot({ era: { ...ARM_SMMU_V3_ERAS["v6.1"], streamTree: "strict" } });
    const dev = k.addMaster("bridged", [0x300, 0x300]);
    expect(k.probeMaster(dev)).toBe(-22);
    expect(k.log().at(-1)).toBe("platform bridged: stream 768 already in tree");
    expect(k.driver.instances[0]?.streams).toEqual([]);
  });

  it("the second device's DMA (its MSI write to the ITS doorbell) goes through the first device's STE and faults", () => {
    const k = boot();
    const first = boundMaster(k, "0000:03:01.0", [768]);
    const second = boundMaster(k, "0000:03:02.0", [768]);
    k.probeMaster(first);
    k.probeMaster(second);
    const d = allocDomain(k, IommuDomainType.DMA);
    k.driver.domainOps.attachDev(d, first);
    // 03:01.0's own MSI doorbell mapping in its domain (iommu-dma's sw-msi window).
    k.driver.domainOps.mapPages?.(d, 0x8000000, 0x8090000, 0x1000, 1, IommuProt.IOMMU_WRITE | IommuProt.IOMMU_MMIO);
    expect(k.dma(768, 0x8000040, "write")).toEqual({ kind: "translated", pa: 0x8090040 });
    // 03:02.0 has no IOMMU ops: it writes the doorbell's physical address, which 03:01.0's domain does not map.
    const before = k.log().length;
    expect(k.dma(768, 0x8090040, "write")).toMatchObject({ kind: "abort", eventId: 0x10 });
    expect(k.log().slice(before)).toEqual([
      "arm-smmu-v3 9050000.smmuv3: event 0x10 received:",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000030000000010",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000008090040",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000",
    ]);
    // The same five lines as the real DT topology boot.
    const real = readFileSync(new URL("../../../fixtures/qemu-boots/dt-topo-gic3.log", import.meta.url), "utf8")
      .replace(/\r/g, "")
      .split("\n")
      .map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ""));
    const at = real.indexOf("arm-smmu-v3 9050000.smmuv3: event 0x10 received:");
    expect(k.log().slice(before)).toEqual(real.slice(at, at + 5));
    expect(k.events("arm-smmu-evt").at(-1)).toMatchObject({ id: 0x10, sid: 768, inputAddr: 0x8090040, read: false, device: "0000:03:01.0" });
  });

  it("v4.x has no StreamID tree: both masters probe and the last STE written wins", () => {
    const k = boot({ era: ARM_SMMU_V3_ERAS["v4.12"] });
    const a = k.addMaster("a", [0x20]);
    const b = k.addMaster("b", [0x20]);
    expect(k.probeMaster(a)).toBe(0);
    expect(k.probeMaster(b)).toBe(0);
    const da = allocDomain(k, IommuDomainType.DMA, 1);
    const db = allocDomain(k, IommuDomainType.IDENTITY, 2);
    k.driver.domainOps.attachDev(da, a);
    k.driver.domainOps.attachDev(db, b);
    expect(k.dwords(steOf(k, 0x20))).toEqual(BYPASS_STE);
  });
});
