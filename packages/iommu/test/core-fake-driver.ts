/**
 * A small IOMMU driver for the core's unit tests: it implements the `IommuOps` contract the way arm-smmu-v3 uses
 * the core (fwspec check in probe/add_device, per-StreamID ownership with "stream N already in tree", PCI vs generic
 * groups, `of_xlate` adding IDs, the SW MSI reserved region) over a software page table. Not a model of any hardware.
 */
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  Errno,
  Trace,
  devPrintk,
  makePlatformBus,
  type Bus,
  type Device,
  type DriverCoreEvent,
  type Fwnode,
} from "@dmasim/driver-core";
import { devIsPci } from "@dmasim/pci";
import {
  IOMMU_ERAS,
  IommuCore,
  MSI_IOVA_BASE,
  MSI_IOVA_LENGTH,
  type IommuCmdline,
  type IommuDevice,
  type IommuDomain,
  type IommuDomainGeometry,
  type IommuDomainOps,
  type IommuEra,
  type IommuKconfig,
  type IommuOps,
  type IommuTraceEvent,
} from "../src/index";

/** Everything the tests' trace holds. */
export type CoreTestEvent = DriverCoreEvent | IommuTraceEvent;

/** A domain of the fake driver: a map from page IOVA to (pa, size). */
export class FakeDomain implements IommuDomain {
  type = 0;
  id = -1;
  ops: IommuDomainOps | null;
  pgsizeBitmap = 0;
  geometry: IommuDomainGeometry = { apertureStart: 0, apertureEnd: 2 ** 48 - 1, forceAperture: true };
  iovaCookie: unknown = null;
  readonly pages = new Map<number, { pa: number; size: number }>();
  readonly attached: string[] = [];
  freed = false;

  constructor(ops: IommuDomainOps) {
    this.ops = ops;
  }
}

/** What the fake driver records. */
export interface FakeIommu {
  readonly ops: IommuOps;
  readonly iommu: IommuDevice;
  readonly fwnode: Fwnode;
  readonly hwdev: Device;
  readonly domains: FakeDomain[];
  readonly calls: string[];
  /** StreamID → owning device name. */
  readonly streams: Map<number, string>;
  /** Make the next `map_pages` call fail with this errno after mapping `failAfter` pages. */
  failMap: { errno: number; failAfter: number } | null;
}

/** Options of {@link makeFakeIommu}. */
export interface FakeIommuOptions {
  readonly pgsizeBitmap?: number;
  /** Domain types `domain_alloc` refuses. */
  readonly refuse?: readonly number[];
  /** Return this from `add_device` / `probe_device` for every device (e.g. -ENODEV). */
  readonly probeError?: number;
}

function asFake(domain: IommuDomain): FakeDomain {
  if (!(domain instanceof FakeDomain)) throw new Error("not a fake domain");
  return domain;
}

/** Builds the fake driver for `core`; the IOMMU's own platform device is `hwdev`. */
export function makeFakeIommu(core: IommuCore, hwdev: Device, options: FakeIommuOptions = {}): FakeIommu {
  const calls: string[] = [];
  const domains: FakeDomain[] = [];
  const streams = new Map<number, string>();
  const iommu: IommuDevice = { name: "fake.0", dev: hwdev, ops: null, fwnode: null };
  const pgsizeBitmap = options.pgsizeBitmap ?? 0x40201000;
  const self: { failMap: FakeIommu["failMap"] } = { failMap: null };
  const domainOps: IommuDomainOps = {
    attachDev: (d, dev) => {
      asFake(d).attached.push(dev.name);
      calls.push(`attach ${d.id} ${dev.name}`);
      return 0;
    },
    mapPages: (d, iova, pa, pgsize, count) => {
      const fd = asFake(d);
      let mapped = 0;
      for (let i = 0; i < count; i++) {
        if (self.failMap !== null && self.failMap.failAfter-- <= 0) {
          const errno = self.failMap.errno;
          self.failMap = null;
          return { ret: errno, mapped };
        }
        if (fd.pages.has(iova + mapped)) return { ret: -Errno.EEXIST, mapped };
        fd.pages.set(iova + mapped, { pa: pa + mapped, size: pgsize });
        mapped += pgsize;
      }
      calls.push(`map_pages ${iova.toString(16)} ${pgsize.toString(16)}x${count}`);
      return { ret: 0, mapped };
    },
    unmapPages: (d, iova, pgsize, count, gather) => {
      const fd = asFake(d);
      let done = 0;
      for (let i = 0; i < count; i++) {
        const e = fd.pages.get(iova + done);
        if (e === undefined || e.size !== pgsize) break;
        fd.pages.delete(iova + done);
        done += pgsize;
      }
      if (done > 0) {
        gather.start = Math.min(gather.start, iova);
        gather.end = Math.max(gather.end, iova + done - 1);
        gather.pgsize = pgsize;
      }
      calls.push(`unmap_pages ${iova.toString(16)} ${pgsize.toString(16)}x${count} -> ${done.toString(16)}`);
      return done;
    },
    iotlbSync: (d, gather) => void calls.push(`iotlb_sync ${d.id} ${gather.start.toString(16)}-${gather.end.toString(16)}`),
    flushIotlbAll: (d) => void calls.push(`flush_all ${d.id}`),
    iovaToPhys: (d, iova) => {
      for (const [base, e] of asFake(d).pages) if (iova >= base && iova < base + e.size) return e.pa + (iova - base);
      return 0;
    },
    free: (d) => {
      asFake(d).freed = true;
      calls.push(`free ${d.id}`);
    },
  };
  const probeCheck = (dev: Device): number => {
    if (options.probeError !== undefined) return options.probeError;
    const fwspec = core.devIommuFwspecGet(dev);
    if (core.era.fwspec && (fwspec === null || fwspec.ops !== ops)) return -Errno.ENODEV;
    const ids = core.era.fwspec ? (fwspec?.ids ?? []) : ((core.devIommuPrivGet(dev) as number[] | null) ?? []);
    if (!core.era.fwspec && ids.length === 0) return -Errno.ENODEV;
    for (const sid of ids) {
      const owner = streams.get(sid);
      if (owner !== undefined && owner !== dev.name) {
        devPrintk(core.trace, "warning", dev, "fake.c", `stream ${sid} already in tree from dev ${owner}`);
        for (const [s, o] of [...streams]) if (o === dev.name) streams.delete(s);
        return -Errno.EINVAL;
      }
      streams.set(sid, dev.name);
    }
    return 0;
  };
  const release = (dev: Device): void => {
    for (const [s, o] of [...streams]) if (o === dev.name) streams.delete(s);
  };
  const ops: IommuOps = {
    name: "fake-iommu",
    pgsizeBitmap,
    domainAlloc: (type) => {
      if (options.refuse?.includes(type) === true) return null;
      const d = new FakeDomain(domainOps);
      domains.push(d);
      return d;
    },
    probeDevice: (dev) => {
      calls.push(`probe_device ${dev.name}`);
      const ret = probeCheck(dev);
      return ret === 0 ? { ok: true, value: iommu } : { ok: false, error: ret };
    },
    releaseDevice: (dev) => {
      calls.push(`release_device ${dev.name}`);
      release(dev);
    },
    addDevice: (dev) => {
      calls.push(`add_device ${dev.name}`);
      const ret = probeCheck(dev);
      if (ret !== 0) return ret;
      const g = core.iommuGroupGetForDev(dev);
      return g.ok ? 0 : g.error;
    },
    removeDevice: (dev) => {
      calls.push(`remove_device ${dev.name}`);
      release(dev);
      core.iommuGroupRemoveDevice(dev);
    },
    deviceGroup: (dev) => (devIsPci(dev) ? core.pciDeviceGroup(dev) : core.genericDeviceGroup(dev)),
    ofXlate: (dev, args) => {
      calls.push(`of_xlate ${dev.name} ${args.args.join(",")}`);
      if (core.era.fwspec) return core.iommuFwspecAddIds(dev, args.args);
      const prev = (core.devIommuPrivGet(dev) as number[] | null) ?? [];
      core.devIommuPrivSet(dev, [...prev, ...args.args]);
      return 0;
    },
    getResvRegions: () => [{ start: MSI_IOVA_BASE, length: MSI_IOVA_LENGTH, prot: 0x2 | 0x8 | 0x10, type: "sw-msi" }],
  };
  const fake: FakeIommu = {
    ops,
    iommu,
    fwnode: hwdev.fwnode ?? { name: "fake" },
    hwdev,
    domains,
    calls,
    streams,
    get failMap() {
      return self.failMap;
    },
    set failMap(v) {
      self.failMap = v;
    },
  };
  return fake;
}

/** A driver core + platform bus + IOMMU core + fake IOMMU (registered, not yet on any bus). */
export interface CoreTestKernel {
  readonly trace: Trace<CoreTestEvent>;
  readonly dc: DriverCore;
  readonly platform: Bus;
  readonly iommu: IommuCore;
  readonly fake: FakeIommu;
}

/** Options of {@link makeCoreTestKernel}. */
export interface CoreTestKernelOptions extends FakeIommuOptions {
  readonly era?: IommuEra;
  readonly cmdline?: IommuCmdline;
  readonly kconfig?: IommuKconfig;
}

/** A test kernel of the IOMMU core's era (driver core of the matching generation). */
export function makeCoreTestKernel(options: CoreTestKernelOptions = {}): CoreTestKernel {
  const era = options.era ?? IOMMU_ERAS["v6.1"];
  const trace = new Trace<CoreTestEvent>();
  const dcEra = era.name === "v4.7" ? DRIVER_CORE_ERAS["v4.7"] : era.name === "v4.12" ? DRIVER_CORE_ERAS["v4.12"] : DRIVER_CORE_ERAS["v6.1"];
  const dc = new DriverCore({ era: dcEra, trace });
  const platform = dc.busRegister(makePlatformBus());
  if (!platform.ok) throw new Error("platform bus");
  const iommu = new IommuCore({
    era,
    driverCore: dc,
    trace,
    ...(options.cmdline === undefined ? {} : { cmdline: options.cmdline }),
    ...(options.kconfig === undefined ? {} : { kconfig: options.kconfig }),
  });
  const hwdev = dc.deviceInitialize({ name: "fake.iommu", bus: platform.value, fwnode: { name: "/iommu@0" } });
  const fake = makeFakeIommu(iommu, hwdev, options);
  return { trace, dc, platform: platform.value, iommu, fake };
}

/** The `printk` lines of a trace (`prefix: text`). */
export function logLines(trace: Trace<CoreTestEvent>): string[] {
  const out: string[] = [];
  for (const r of trace.records) if (r.type === "printk") out.push(r.prefix === null ? r.text : `${r.prefix}: ${r.text}`);
  return out;
}

/** The IOMMU core events of a trace, as `type` plus a short detail. */
export function iommuEvents(trace: Trace<CoreTestEvent>): string[] {
  const out: string[] = [];
  for (const r of trace.records) {
    if (!r.type.startsWith("iommu-")) continue;
    const { seq: _s, time: _t, type, ...rest } = r as unknown as Record<string, unknown> & { type: string };
    out.push(`${type} ${JSON.stringify(rest)}`);
  }
  return out;
}
