/**
 * `of_iommu_configure` per era for platform masters (`iommus`), over a hand-written DT: deferral while the IOMMU
 * driver has not registered (6.1 `driver_deferred_probe_check_state`, v4.12 `__iommu_of_table` while booting), the
 * ops-less fwspec a deferral leaves and its freeing on the next attempt (I-FWSPEC), the replay of the probe, a
 * disabled IOMMU node, v4.7's `of_iommu_set_ops` lookup and its silence on failure.
 */
import { describe, expect, it } from "vitest";
import { type Fwnode } from "@dmasim/driver-core";
import { DeviceTree, fdtCells, fdtNode, fdtString, fdtTree, type FdtNode } from "@dmasim/firmware";
import { IOMMU_ERAS, type IommuEra, type OfIommuEnv } from "../src/index";
import { makeCoreTestKernel, type CoreTestKernel } from "./core-fake-driver";

const SMMU_PHANDLE = 0x8001;

function makeDt(iommuStatus?: string): { dt: DeviceTree; smmu: FdtNode; master: FdtNode; env: OfIommuEnv } {
  const tree = fdtTree(
    fdtNode("", {}, [
      fdtNode("smmu@9050000", {
        compatible: fdtString("arm,smmu-v3"),
        "#iommu-cells": fdtCells(1),
        phandle: fdtCells(SMMU_PHANDLE),
        ...(iommuStatus === undefined ? {} : { status: fdtString(iommuStatus) }),
      }),
      fdtNode("dma@a000000", { compatible: fdtString("vendor,dma"), iommus: fdtCells(SMMU_PHANDLE, 0x20, SMMU_PHANDLE, 0x21) }),
    ]),
  );
  const r = DeviceTree.fromTree(tree);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  const dt = r.value;
  const smmu = dt.tree.root.children[0] as FdtNode;
  const master = dt.tree.root.children[1] as FdtNode;
  const handles = new Map<FdtNode, Fwnode>();
  const fwnodeOf = (n: FdtNode): Fwnode => {
    let h = handles.get(n);
    if (h === undefined) {
      h = { name: dt.pathOf(n) };
      handles.set(n, h);
    }
    return h;
  };
  return { dt, smmu, master, env: { dt, fwnodeOf, iommuOfTable: ["arm,smmu-v3"] } };
}

function setUp(era: IommuEra, iommuStatus?: string): { k: CoreTestKernel; env: OfIommuEnv; master: FdtNode; register: () => void } {
  const { smmu, master, env } = makeDt(iommuStatus);
  const base = makeCoreTestKernel({ era });
  // The IOMMU's platform device carries the DT node's fwnode, as of_platform_populate gives it.
  const hw = base.dc.deviceInitialize({ name: "9050000.smmu", bus: base.platform, fwnode: env.fwnodeOf(smmu) });
  const k: CoreTestKernel = { ...base, fake: { ...base.fake, hwdev: hw, fwnode: env.fwnodeOf(smmu) } };
  const register = (): void => {
    if (era.opsLookup === "of-set-ops") k.iommu.ofIommuSetOps(env.fwnodeOf(smmu), k.fake.ops);
    else k.iommu.iommuDeviceRegister(k.fake.iommu, k.fake.ops, hw);
    k.iommu.busSetIommu(k.platform, k.fake.ops);
  };
  return { k, env, master, register };
}

describe("of_iommu_configure, 6.1", () => {
  it("defers (check_state) with an ops-less fwspec, then frees it and configures once the driver registered", () => {
    const { k, env, master, register } = setUp(IOMMU_ERAS["v6.1"]);
    const dev = k.dc.deviceInitialize({ name: "a000000.dma", bus: k.platform });
    k.dc.deviceAdd(dev);
    const first = k.iommu.ofIommuConfigure(dev, master, env);
    expect(first).toEqual({ ok: false, errno: -517 });
    expect(k.iommu.devIommuFwspecGet(dev)?.ops).toBeNull(); // I-FWSPEC: the deferred case leaves an ops-less fwspec
    register();
    const second = k.iommu.ofIommuConfigure(dev, master, env);
    expect(second.ok && second.ops === k.fake.ops).toBe(true);
    expect(k.iommu.devIommuFwspecGet(dev)?.ids).toEqual([0x20, 0x21]);
    expect(k.iommu.iommuGroupGet(dev)).not.toBeNull(); // the replay (iommu_probe_device) grouped it
    const kinds = k.trace.records.flatMap((r) => (r.type.startsWith("iommu-fwspec") || r.type === "iommu-probe-device" ? [r.type] : []));
    expect(kinds).toEqual([
      "iommu-fwspec-init", // deferred, ops null
      // bus_set_iommu → bus_iommu_probe: probe_device refuses (fwspec->ops is not its ops), and the failed
      // __iommu_probe_device frees dev->iommu, ops-less fwspec included (dev_iommu_free)
      "iommu-probe-device",
      "iommu-fwspec-free",
      "iommu-fwspec-init",
      "iommu-fwspec-add-ids",
      "iommu-fwspec-init", // second iommus entry: same ops → 0
      "iommu-fwspec-add-ids",
      "iommu-probe-device",
    ]);
    // A later configure returns the cached ops without walking again.
    const third = k.iommu.ofIommuConfigure(dev, master, env);
    expect(third.ok && third.ops === k.fake.ops).toBe(true);
  });

  it("an ops-less fwspec still there at the next configure is freed and the walk starts again", () => {
    const { k, env, master } = setUp(IOMMU_ERAS["v6.1"]);
    const dev = k.dc.deviceInitialize({ name: "a000000.dma", bus: k.platform });
    expect(k.iommu.ofIommuConfigure(dev, master, env).ok).toBe(false);
    k.iommu.iommuDeviceRegister(k.fake.iommu, k.fake.ops, k.fake.hwdev); // ops findable, bus ops not set yet
    const r = k.iommu.ofIommuConfigure(dev, master, env);
    const kinds = k.trace.records.flatMap((x) => (x.type.startsWith("iommu-fwspec") ? [x.type] : []));
    expect(kinds.slice(0, 3)).toEqual(["iommu-fwspec-init", "iommu-fwspec-free", "iommu-fwspec-init"]);
    // The replay's iommu_probe_device finds no bus ops (-ENODEV): "Adding to IOMMU failed: -19", no IOMMU.
    expect(r).toEqual({ ok: true, ops: null });
  });

  it("after the deferred-probe timeout, check_state gives -ETIMEDOUT: logged, and no IOMMU", () => {
    const { k, env, master } = setUp(IOMMU_ERAS["v6.1"]);
    const dev = k.dc.deviceInitialize({ name: "a000000.dma", bus: k.platform });
    k.dc.deviceAdd(dev);
    k.dc.deferredProbeInitcall();
    k.dc.scheduler.runUntilIdle(); // the 10 s timeout work
    const r = k.iommu.ofIommuConfigure(dev, master, env);
    expect(r).toEqual({ ok: true, ops: null });
    const line = k.trace.records.find((x) => x.type === "printk" && x.text.startsWith("Adding to IOMMU failed"));
    expect(line?.type === "printk" ? line.text : "").toMatch(/^Adding to IOMMU failed: -(110|19)$/);
  });

  it("a disabled IOMMU node means no IOMMU", () => {
    const { k, env, master, register } = setUp(IOMMU_ERAS["v6.1"], "disabled");
    register();
    const dev = k.dc.deviceInitialize({ name: "a000000.dma", bus: k.platform });
    expect(k.iommu.ofIommuConfigure(dev, master, env)).toEqual({ ok: true, ops: null });
    expect(k.iommu.devIommuFwspecGet(dev)).toBeNull();
  });
});

describe("of_iommu_configure, v4.12", () => {
  it("defers while booting for a node in __iommu_of_table; after boot the same device gets no IOMMU", () => {
    const { k, env, master } = setUp(IOMMU_ERAS["v4.12"]);
    const dev = k.dc.deviceInitialize({ name: "a000000.dma", bus: k.platform });
    expect(k.iommu.ofIommuConfigure(dev, master, env)).toEqual({ ok: false, errno: -517 });
    k.dc.systemState = "RUNNING";
    expect(k.iommu.ofIommuConfigure(dev, master, env)).toEqual({ ok: true, ops: null });
  });

  it("an IOMMU no built-in driver declares is 'no IOMMU' at once", () => {
    const { k, env, master } = setUp(IOMMU_ERAS["v4.12"]);
    const dev = k.dc.deviceInitialize({ name: "a000000.dma", bus: k.platform });
    expect(k.iommu.ofIommuConfigure(dev, master, { ...env, iommuOfTable: [] })).toEqual({ ok: true, ops: null });
  });

  it("the replay is ops->add_device when the device has no group", () => {
    const { k, env, master, register } = setUp(IOMMU_ERAS["v4.12"]);
    register();
    const dev = k.dc.deviceInitialize({ name: "a000000.dma", bus: k.platform });
    k.dc.deviceAdd(dev); // ADD_DEVICE: no fwspec yet → -ENODEV
    expect(k.iommu.iommuGroupGet(dev)).toBeNull();
    const r = k.iommu.ofIommuConfigure(dev, master, env);
    expect(r.ok && r.ops === k.fake.ops).toBe(true);
    expect(k.fake.calls.filter((c) => c.startsWith("add_device"))).toEqual(["add_device a000000.dma", "add_device a000000.dma"]);
    expect(k.iommu.iommuGroupGet(dev)?.id).toBe(0);
  });
});

describe("of_iommu_configure, v4.7", () => {
  it("ops come from of_iommu_set_ops; without them the device silently gets no IOMMU (no deferral)", () => {
    const { k, env, master, register } = setUp(IOMMU_ERAS["v4.7"]);
    const dev = k.dc.deviceInitialize({ name: "a000000.dma", bus: k.platform });
    expect(k.iommu.ofIommuConfigure(dev, master, env)).toEqual({ ok: true, ops: null });
    register();
    const r = k.iommu.ofIommuConfigure(dev, master, env);
    expect(r.ok && r.ops === k.fake.ops).toBe(true);
    expect(k.iommu.devIommuPrivGet(dev)).toEqual([0x20, 0x21]); // of_xlate kept the IDs in driver data (no fwspec)
    expect(k.iommu.iommuGroupGet(dev)).toBeNull(); // no replay: the group comes at ADD_DEVICE
    k.dc.deviceAdd(dev);
    expect(k.iommu.iommuGroupGet(dev)?.id).toBe(0);
  });
});
