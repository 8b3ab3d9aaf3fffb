/**
 * arm64 DMA setup per generation on a small driver-core setup: the v4.7 ADD_DEVICE drain of the whole queue at
 * priority -100, v4.8's BIND_DRIVER attach of only the bound device, the hypothetical v4.8-not-bound cleanup, head
 * insertion, no dequeue on teardown, and the immediate attach of v4.12 and v6.1.
 */
import { Errno, PLATFORM_DEVICE, type Device } from "@dmasim/driver-core";
import { IommuDomainType } from "@dmasim/iommu";
import { describe, expect, it } from "vitest";
import { createArm64DmaSetup, dmaOpsKind, liveDmaMappings, type Arm64DmaSetup, type Arm64DmaSetupPolicyName } from "../src/index";
import { testKernel, type TestKernel } from "./helpers";

/** The IOMMU's `iommu_ops`, opaque to the DMA layer. */
const SMMU_OPS = { name: "arm-smmu-v3" };
const ARGS = { dmaBase: 0, size: 2 ** 32, iommu: SMMU_OPS, coherent: true };

interface Rig {
  readonly k: TestKernel;
  readonly setup: Arm64DmaSetup;
  /** Creates a platform device the way of_platform_device_create_pdata does: arch_setup_dma_ops, then device_add. */
  create(name: string, withIommu?: boolean, add?: boolean): Device;
  /** What bus_set_iommu → add_iommu_group does for a device: a group with a default DMA domain. */
  group(dev: Device, type?: number): void;
  queue(): string[];
  warnings(): string[];
}

function rig(policy: Arm64DmaSetupPolicyName): Rig {
  const k = testKernel(policy);
  const setup = createArm64DmaSetup(policy, { dma: k.dma, core: k.core });
  return {
    k,
    setup,
    create(name, withIommu = true, add = true) {
      const dev = k.core.deviceInitialize({ name, bus: k.platform });
      dev.setData(PLATFORM_DEVICE, { name: "master" });
      setup.archSetupDmaOps(dev, withIommu ? ARGS : { ...ARGS, iommu: null });
      if (add) expect(k.core.deviceAdd(dev)).toBe(0);
      return dev;
    },
    group(dev, type = IommuDomainType.DMA) {
      k.port.attach(dev, k.port.newDomain(type));
    },
    queue: () => setup.queue.map((e) => e.dev.name),
    warnings: () =>
      k.trace.records.filter((r) => r.type === "printk").map((r) => (r as { text: string }).text),
  };
}

describe("v4.7: ADD_DEVICE notifier at -100 draining the whole queue", () => {
  it("queues at the head, drains every entry on any ADD_DEVICE, warns and keeps what fails", () => {
    const r = rig("v4.7");
    r.setup.iommuDmaInit([r.k.platform]);
    const a = r.create("a");
    const b = r.create("b");
    expect(r.queue()).toEqual(["b", "a"]); // list_add: head insertion
    expect(dmaOpsKind(a)).toBe("swiotlb");
    // Each ADD_DEVICE walked the whole queue and failed (no group yet).
    expect(r.warnings()).toEqual([
      "Failed to set up IOMMU for device a; retaining platform DMA ops",
      "Failed to set up IOMMU for device b; retaining platform DMA ops",
      "Failed to set up IOMMU for device a; retaining platform DMA ops",
    ]);
    r.group(a);
    r.group(b);
    r.create("c", false); // an unrelated device's ADD_DEVICE attaches both
    expect(r.queue()).toEqual([]);
    expect([dmaOpsKind(a), dmaOpsKind(b)]).toEqual(["iommu", "iommu"]);
    const drains = r.k.events("iommu-dma-queue-drain");
    expect(drains.at(-1)).toMatchObject({ action: "ADD_DEVICE", data: "c", visited: ["b", "a"], attached: ["b", "a"] });
    // The notifier sits at -100 on the bus chain.
    const reg = r.k.trace.records.find((x) => x.type === "notifier-register") as { priority: number; block: string };
    expect(reg).toMatchObject({ block: "__iommu_attach_notifier", priority: -100 });
  });

  it("drains once at arch_initcall for devices queued before the notifier existed (722ec35f7fae)", () => {
    const r = rig("v4.7");
    const early = r.create("early", true, false);
    r.group(early);
    expect(r.queue()).toEqual(["early"]);
    r.setup.iommuDmaInit([r.k.platform]);
    expect(r.queue()).toEqual([]);
    expect(dmaOpsKind(early)).toBe("iommu");
    expect(r.k.events("iommu-dma-queue-drain")[0]).toMatchObject({ data: null, attached: ["early"] });
  });

  it("switches a bound device's ops when its queued attach finally succeeds (I-STABLE territory)", () => {
    const r = rig("v4.7");
    r.setup.iommuDmaInit([r.k.platform]);
    r.k.core.driverRegister({ name: "master", bus: r.k.platform, probe: () => 0 });
    const e = r.create("e");
    expect(e.isBound).toBe(true);
    expect(dmaOpsKind(e)).toBe("swiotlb");
    r.group(e);
    r.create("later", false);
    expect(dmaOpsKind(e)).toBe("iommu");
    expect(r.k.events("dma-ops-set").at(-1)).toMatchObject({ device: "e", from: "swiotlb", to: "iommu", bound: true });
  });

  it("a device with a group at creation attaches at once, without queueing", () => {
    const r = rig("v4.7");
    r.setup.iommuDmaInit([r.k.platform]);
    const dev = r.k.core.deviceInitialize({ name: "x", bus: r.k.platform });
    r.group(dev);
    r.setup.archSetupDmaOps(dev, ARGS);
    expect(r.queue()).toEqual([]);
    expect(dmaOpsKind(dev)).toBe("iommu");
  });

  it("arch_teardown_dma_ops never dequeues: the entry outlives its device", () => {
    const r = rig("v4.7");
    r.setup.iommuDmaInit([r.k.platform]);
    const d = r.create("d");
    r.setup.archTeardownDmaOps(d);
    r.k.core.deviceDel(d);
    expect(d.isDead).toBe(true);
    expect(r.queue()).toEqual(["d"]);
    r.create("next", false);
    expect(r.k.events("iommu-dma-error").map((e) => e.message)).toContain("do_iommu_attach on a deleted device (use after free)");
  });
});

describe("v4.8: BIND_DRIVER notifier, only the device being bound", () => {
  it("attaches the bound device's entry and leaves the others queued; ADD_DEVICE does nothing", () => {
    const r = rig("v4.8");
    r.setup.iommuDmaInit([r.k.platform]);
    const a = r.create("a");
    const b = r.create("b");
    r.group(a);
    r.group(b);
    r.create("c", false);
    expect(r.queue()).toEqual(["b", "a"]);
    let opsAtProbe = "";
    r.k.core.driverRegister({ name: "master", bus: r.k.platform, probe: (dev) => ((opsAtProbe += `${dev.name}:${dmaOpsKind(dev)} `), 0) });
    // driver_attach binds a, b and c in bus order; each BIND attaches only that device.
    expect(opsAtProbe).toBe("a:iommu b:iommu c:swiotlb ");
    expect(r.queue()).toEqual([]);
    const drains = r.k.events("iommu-dma-queue-drain");
    expect(drains.map((d) => [d.data, d.visited, d.attached])).toEqual([
      ["a", ["b", "a"], ["a"]],
      ["b", ["b"], ["b"]],
      ["c", [], []],
    ]);
    expect(r.k.trace.records.find((x) => x.type === "notifier-register")).toMatchObject({ priority: 0 });
  });

  it("a failed attach at BIND keeps the entry and the probe runs on swiotlb", () => {
    const r = rig("v4.8");
    r.setup.iommuDmaInit([r.k.platform]);
    const a = r.create("a");
    let seen = "";
    r.k.core.driverRegister({ name: "master", bus: r.k.platform, probe: (dev) => ((seen = dmaOpsKind(dev)), 0) });
    expect(seen).toBe("swiotlb");
    expect(a.isBound).toBe(true);
    expect(r.queue()).toEqual(["a"]);
  });

  it("a failed probe keeps iommu ops and its mapping (nothing handles DRIVER_NOT_BOUND)", () => {
    const r = rig("v4.8");
    r.setup.iommuDmaInit([r.k.platform]);
    const a = r.create("a");
    r.group(a);
    r.k.core.driverRegister({
      name: "master",
      bus: r.k.platform,
      probe: (dev) => {
        r.k.dma.dmaMapSingle(dev, 0x40000000, 4096, "to-device");
        return -Errno.ENOMEM;
      },
    });
    expect(a.isBound).toBe(false);
    expect(dmaOpsKind(a)).toBe("iommu");
    expect(liveDmaMappings(a).map((m) => [m.opsKind, m.owner])).toEqual([["iommu", "probe:master"]]);
    expect(r.queue()).toEqual([]);
  });
});

describe("v4.8-not-bound (hypothetical): DRIVER_NOT_BOUND / UNBOUND_DRIVER undo the attach", () => {
  it("restores swiotlb, unmaps the probe's IOVAs and re-queues; the next BIND attaches again", () => {
    const r = rig("v4.8-not-bound");
    expect(r.setup.hypothetical).toBe(true);
    r.setup.iommuDmaInit([r.k.platform]);
    const a = r.create("a");
    r.group(a);
    let attempt = 0;
    const seen: string[] = [];
    r.k.core.driverRegister({
      name: "master",
      bus: r.k.platform,
      probe: (dev) => {
        seen.push(dmaOpsKind(dev));
        r.k.dma.dmaMapSingle(dev, 0x40000000, 4096, "to-device");
        return attempt++ === 0 ? -Errno.ENOMEM : 0;
      },
    });
    expect(a.isBound).toBe(false);
    expect(dmaOpsKind(a)).toBe("swiotlb");
    expect(liveDmaMappings(a)).toEqual([]);
    expect(r.queue()).toEqual(["a"]);
    expect(r.k.events("iommu-dma-queue").map((e) => e.op)).toEqual(["add", "remove", "requeue"]);
    const domain = r.k.port.getDomainForDev(a);
    expect(r.k.dma.cookieOf(domain)?.iovad?.ranges()).toEqual([]); // v4.8: no range caches, IOVA back in the tree
    r.k.core.deviceAttach(a);
    expect(a.isBound).toBe(true);
    expect(seen).toEqual(["iommu", "iommu"]);
    expect(r.queue()).toEqual([]);
    // UNBOUND_DRIVER: the same undo.
    r.k.core.deviceReleaseDriver(a);
    expect(dmaOpsKind(a)).toBe("swiotlb");
    expect(liveDmaMappings(a)).toEqual([]);
    expect(r.queue()).toEqual(["a"]);
  });

  it("optionally keeps the probe's mappings", () => {
    const k = testKernel("v4.8-not-bound");
    const setup = createArm64DmaSetup("v4.8-not-bound", { dma: k.dma, core: k.core, cleanup: { unmapProbeIovas: false } });
    setup.iommuDmaInit([k.platform]);
    const a = k.core.deviceInitialize({ name: "a", bus: k.platform });
    a.setData(PLATFORM_DEVICE, { name: "master" });
    setup.archSetupDmaOps(a, ARGS);
    k.core.deviceAdd(a);
    k.port.attach(a, k.port.newDomain());
    k.core.driverRegister({ name: "master", bus: k.platform, probe: (dev) => (k.dma.dmaMapSingle(dev, 0x40000000, 64, "to-device"), -Errno.ENOMEM) });
    expect(dmaOpsKind(a)).toBe("swiotlb");
    expect(liveDmaMappings(a).map((m) => m.opsKind)).toEqual(["iommu"]);
  });
});

describe("v4.12 and v6.1: attach at arch_setup_dma_ops time", () => {
  it("v4.12: DMA domain → iommu ops, identity → swiotlb, teardown → NULL, i.e. dummy ops", () => {
    const r = rig("v4.12");
    const a = r.k.core.deviceInitialize({ name: "a", bus: r.k.platform });
    r.group(a);
    r.setup.archSetupDmaOps(a, ARGS);
    expect(dmaOpsKind(a)).toBe("iommu");
    const b = r.k.core.deviceInitialize({ name: "b", bus: r.k.platform });
    r.group(b, IommuDomainType.IDENTITY);
    r.setup.archSetupDmaOps(b, ARGS);
    expect(dmaOpsKind(b)).toBe("swiotlb");
    expect(r.warnings()).toEqual([]);
    r.setup.archTeardownDmaOps(a);
    expect(dmaOpsKind(a)).toBe("dummy");
    expect(r.setup.iommuDmaInit([r.k.platform])).toBe(0);
    expect(r.k.trace.records.some((x) => x.type === "notifier-register")).toBe(false);
    const c = r.k.core.deviceInitialize({ name: "c", bus: r.k.platform });
    r.setup.archSetupDmaOps(c, ARGS); // no group: the warning, swiotlb stays
    expect(dmaOpsKind(c)).toBe("swiotlb");
    expect(r.warnings()).toEqual(["Failed to set up IOMMU for device c; retaining platform DMA ops"]);
  });

  it("v6.1: DMA and DMA-FQ → iommu ops; identity and no IOMMU → dma-direct", () => {
    const r = rig("v6.1");
    const kinds: string[] = [];
    for (const [name, type] of [["dma", IommuDomainType.DMA], ["fq", IommuDomainType.DMA_FQ], ["id", IommuDomainType.IDENTITY]] as const) {
      const d = r.k.core.deviceInitialize({ name, bus: r.k.platform });
      r.group(d, type);
      r.setup.archSetupDmaOps(d, ARGS);
      kinds.push(dmaOpsKind(d));
    }
    const none = r.k.core.deviceInitialize({ name: "none", bus: r.k.platform });
    r.setup.archSetupDmaOps(none, { ...ARGS, iommu: null });
    kinds.push(dmaOpsKind(none));
    expect(kinds).toEqual(["iommu", "iommu", "direct", "direct"]);
    expect(r.k.events("dma-ops-set").map((e) => [e.device, e.reason])).toEqual([
      ["dma", "iommu_setup_dma_ops"],
      ["fq", "iommu_setup_dma_ops"],
    ]);
  });
});
