import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { recordedBoots } from "../recorded/boots";
import { logEvents, parseBootLog } from "./boot-log";
import type { LogEvent } from "./records";

const DIR = resolve(import.meta.dirname, "../../../../../fixtures/qemu-boots");

/** Grep-level facts, computed from the raw text independently of the parser. */
function grep(text: string) {
  const lines = text.replace(/\r/g, "").split("\n");
  const count = (re: RegExp): number => lines.filter((l) => re.test(l)).length;
  return {
    groupAdds: count(/^\[[ .0-9]+\] \S+ \S+: Adding to iommu group \d+$/),
    deferAdds: count(/Added to deferred list$/),
    retries: count(/Retrying from deferred list$/),
    events: count(/: event 0x[0-9a-f]{2} received:$/),
    maps: count(/^\[[ .0-9]+\] OF: \S+: (iommu|msi)-map, using mask/),
    collisions: count(/already in tree/),
    insmods: count(/^=== INIT: insmod /),
    sysfsGroups: count(/^group \d+ type=/),
    sysfsPci: count(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] vendor=/),
    pciEnumerated: count(/^\[[ .0-9]+\] pci [0-9a-f:.]+: \[[0-9a-f]{4}:[0-9a-f]{4}\] type/),
  };
}

const count = (events: readonly LogEvent[], type: LogEvent["type"]): number => events.filter((e) => e.type === type).length;

describe.each(recordedBoots())("$name ($origin)", ({ log: text }) => {
  const log = parseBootLog(text);
  const events = logEvents(log);
  const g = grep(text);

  it("has as many records of each kind as grep finds lines", () => {
    expect(count(events, "iommu-group-add")).toBe(g.groupAdds);
    expect(count(events, "deferred-add")).toBe(g.deferAdds);
    expect(count(events, "deferred-retry")).toBe(g.retries);
    expect(count(events, "smmu-event")).toBe(g.events);
    expect(count(events, "of-map-id")).toBe(g.maps);
    expect(count(events, "smmu-stream-collision")).toBe(g.collisions);
    expect(count(events, "pci-function")).toBe(g.pciEnumerated);
    expect(log.init.insmods).toHaveLength(g.insmods);
    expect(log.sysfs?.groups.length ?? 0).toBe(g.sysfsGroups);
    expect(log.sysfs?.pci.length ?? 0).toBe(g.sysfsPci);
    expect(log.warnings).toEqual([]);
  });

  it("reads the same records from CRLF and LF text", () => {
    expect(parseBootLog(text.replace(/\r/g, ""))).toEqual(log);
  });

  it("agrees between the log lines and the sysfs dump on every group member", () => {
    if (log.sysfs === null) return;
    const last = new Map<string, number>();
    for (const e of events) if (e.type === "iommu-group-add") last.set(e.device, e.group);
    const fromSysfs = new Map(log.sysfs.groups.flatMap((grp) => grp.devices.map((d) => [d, grp.group] as const)));
    expect(Object.fromEntries(last)).toEqual(Object.fromEntries(fromSysfs));
  });

  it("gives every SMMU event its four dwords, the first carrying the event id", () => {
    for (const e of events) {
      if (e.type !== "smmu-event") continue;
      expect(e.dwords).toHaveLength(4);
      expect(e.dwords.every((d) => /^[0-9a-f]{16}$/.test(d))).toBe(true);
      expect(Number.parseInt(e.dwords[0]?.slice(-2) ?? "", 16)).toBe(e.id);
    }
  });
});

describe("exact values from the recorded boots", () => {
  const parse = (name: string) => parseBootLog(readFileSync(join(DIR, `${name}.log`), "utf8"));

  it("dt-topo-gic3-defer: groups, drivers and the deferral order from sysfs and dd.c lines", () => {
    const log = parse("dt-topo-gic3-defer");
    expect(log.sysfs?.groups.map((g) => [g.group, g.type, g.devices.join(" ")])).toEqual([
      [0, "DMA", "0000:00:03.0 0000:01:00.0"],
      [1, "DMA", "0000:00:04.0 0000:02:00.0 0000:03:01.0"],
      [2, "DMA", "0000:00:06.0 0000:04:00.0"],
      [3, "DMA", "0000:00:01.0"],
      [4, "DMA", "0000:00:02.0"],
      [5, "DMA", "0000:00:05.0 0000:00:05.1"],
    ]);
    expect(log.sysfs?.groups[0]?.resv).toEqual([{ start: 0x08000000, end: 0x080fffff, type: "msi" }]);
    const pci = log.sysfs?.pci ?? [];
    expect(pci.find((p) => p.device === "0000:02:00.0")).toEqual({ device: "0000:02:00.0", vendor: 0x1b36, deviceId: 0x000e, class: 0x060400, driver: "shpchp", group: 1 });
    expect(pci.find((p) => p.device === "0000:03:02.0")).toMatchObject({ driver: "virtio-pci", group: null });
    expect(pci.find((p) => p.device === "0000:00:00.0")).toMatchObject({ driver: null, group: null });
    const events = logEvents(log);
    const defer = events.filter((e) => e.type === "deferred-add").map((e) => (e.type === "deferred-add" ? `${e.driverString} ${e.device}` : ""));
    expect(defer).toEqual(["pci 0000:00:03.0", "pci 0000:00:04.0", "pci 0000:00:06.0", "pci 0000:02:00.0"]);
    expect(events.find((e) => e.type === "smmu-stream-collision")).toMatchObject({ device: "0000:03:02.0", streamId: 768, other: "0000:03:01.0", line: 607 });
    expect(events.find((e) => e.type === "iommu-add-failed")).toMatchObject({ device: "0000:03:02.0", ret: -22 });
    expect(events.find((e) => e.type === "deferred-retry")).toMatchObject({ device: "0000:00:03.0", time: 1_074_075 });
    expect(events.find((e) => e.type === "really-probe" && e.device === "0000:01:00.0")).toMatchObject({ bus: "pci", driver: "e1000e" });
    expect(events.find((e) => e.type === "driver-bound" && e.device === "0000:04:00.0")).toMatchObject({ driver: "nvme" });
    const map = events.find((e) => e.type === "of-map-id" && e.map === "iommu-map" && e.id === 0x310);
    expect(map).toMatchObject({ node: "/pcie@10000000", mask: 0xffffffff, idBase: 0, outBase: 0, length: 0x10000, out: 0x310 });
  });

  it("acpi-topo-gic3-cfg: PCI config spaces and ACPI tables come back as bytes", () => {
    const log = parse("acpi-topo-gic3-cfg");
    const rp = log.sysfs?.pciConfig.find((c) => c.device === "0000:00:03.0")?.bytes;
    expect(rp?.length).toBe(4096);
    // ACS extended capability at 0x148: header 0x0001000d, capability 0x005f, control 0x001d (SV|RR|CR|UF).
    expect([...(rp?.subarray(0x148, 0x14e) ?? [])]).toEqual([0x0d, 0x00, 0x01, 0x00, 0x5f, 0x00]);
    expect(rp?.[0x14e]).toBe(0x1d);
    const bridge = log.sysfs?.pciConfig.find((c) => c.device === "0000:00:00.0")?.bytes;
    expect(bridge?.length).toBe(256);
    expect([...(bridge?.subarray(0, 4) ?? [])]).toEqual([0x36, 0x1b, 0x08, 0x00]);
    const iort = log.sysfs?.acpiTables.find((t) => t.signature === "IORT")?.bytes;
    expect(new TextDecoder().decode(iort?.subarray(0, 4))).toBe("IORT");
    expect(iort?.length).toBe(new DataView((iort as Uint8Array).buffer, (iort as Uint8Array).byteOffset).getUint32(4, true));
  });

  it("dt-topo-gic3-cfg: the DT boot leaves the root port's ACS control at 0", () => {
    const rp = parse("dt-topo-gic3-cfg").sysfs?.pciConfig.find((c) => c.device === "0000:00:03.0")?.bytes;
    expect(rp?.[0x14c]).toBe(0x5f);
    expect(rp?.[0x14e]).toBe(0x00);
  });

  it("dt-noinitrd: the panic, the enumerated functions and no sysfs dump", () => {
    const log = parse("dt-noinitrd");
    expect(log.panic).toBe("VFS: Unable to mount root fs on unknown-block(0,0)");
    expect(log.sysfs).toBeNull();
    expect(log.init).toEqual({ started: false, done: false, insmods: [] });
    expect(logEvents(log).flatMap((e) => (e.type === "pci-function" ? [`${e.device} ${e.vendor.toString(16)}:${e.deviceId.toString(16)} ${e.class.toString(16)}`] : []))).toEqual([
      "0000:00:00.0 1b36:8 60000",
      "0000:00:01.0 1af4:1000 20000",
      "0000:00:02.0 1af4:1005 ff00",
    ]);
    expect(log.cmdline).toBe("console=ttyAMA0 panic=-1");
  });

  it("the topology boots: one F_TRANSLATION from SID 0x300 at the ITS doorbell", () => {
    for (const name of ["dt-topo-gic3", "acpi-topo-gic3-cfg"]) {
      const ev = logEvents(parse(name)).filter((e) => e.type === "smmu-event");
      expect(ev.map((e) => (e.type === "smmu-event" ? e.dwords : []))).toEqual([["0000030000000010", "0000000000000000", "0000000008090040", "0000000000000000"]]);
    }
  });

  it("dt-passthrough / dt-lazy-smp2: the default-domain lines and group types", () => {
    const pt = parse("dt-passthrough");
    expect(logEvents(pt).find((e) => e.type === "iommu-default-domain")).toMatchObject({ domain: "Passthrough", viaCmdline: true });
    expect(pt.sysfs?.groups.map((g) => g.type)).toEqual(["identity", "identity"]);
    const lazy = parse("dt-lazy-smp2");
    expect(logEvents(lazy).find((e) => e.type === "iommu-dma-policy")).toMatchObject({ policy: "lazy", viaCmdline: true });
    expect(lazy.sysfs?.groups.map((g) => g.type)).toEqual(["DMA-FQ", "DMA-FQ"]);
  });
});

describe("robustness", () => {
  it("joins /init output that a kernel line interrupted mid-line", () => {
    const text = [
      "=== INIT: iommu groups",
      "group 0 type=DMA devices: [    1.500000] virtio-pci 0000:00:02.0: Adding to iommu group 1",
      "0000:00:01.0 ",
      "=== INIT: pci devices",
    ].join("\n");
    const log = parseBootLog(text);
    expect(log.sysfs?.groups).toEqual([{ group: 0, type: "DMA", devices: ["0000:00:01.0"], resv: [] }]);
    expect(logEvents(log)).toEqual([{ type: "iommu-group-add", driverString: "virtio-pci", device: "0000:00:02.0", group: 1, line: 2, time: 1_500_000 }]);
  });

  it("never throws on arbitrary bytes and truncations of a real log", () => {
    let seed = 0x2545f491;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const real = readFileSync(join(DIR, "acpi-topo-gic3-cfg.log"), "utf8");
    for (let i = 0; i < 200; i++) {
      const cut = real.slice(next() % real.length, (next() % real.length) + 1);
      const noise = Array.from({ length: next() % 300 }, () => String.fromCharCode(next() % 128)).join("");
      const mixed = cut.slice(0, cut.length >> 1) + noise + cut.slice(cut.length >> 1);
      expect(() => parseBootLog(mixed)).not.toThrow();
    }
  });

  it("reports a malformed sysfs line as a warning naming the line", () => {
    const log = parseBootLog("=== INIT: iommu groups\ngroup x type=DMA devices:\n=== INIT: pci devices\n0000:00:01.0 vendor=zz\n");
    expect(log.warnings).toEqual([
      { line: 2, message: "unexpected line in iommu groups: group x type=DMA devices:" },
      { line: 4, message: "unexpected line in pci devices: 0000:00:01.0 vendor=zz" },
    ]);
  });
});
