import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { splitShellWords } from "@dmasim/machine";
import { afterAll, describe, expect, it } from "vitest";
import { parseBootCmd } from "../log/boot-cmd";
import { parseSysfsDump, type DumpWarning } from "../log/sysfs-dump";
import { CONFORMANCE_TOPOLOGIES } from "../topologies";
import { formatOracleError } from "./errors";
import { formatWallTime, runProcess, shellQuote } from "./exec";
import { sysfsDumpScript } from "./init-script";
import { buildQemuArgv, ORACLE_DYNDBG } from "./qemu-boot";

const DIR = resolve(import.meta.dirname, "../../../../../fixtures/qemu-boots");
const ASSETS = { qemu: "qemu-system-aarch64", kernel: "/k/vmlinuz", initramfs: "/k/initramfs.cpio.gz", efiFirmware: "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd" };
const topo = (name: string) => CONFORMANCE_TOPOLOGIES.find((t) => t.name === name) ?? { qemu: "" };
const deviceView = (d: { driver: string; id: string | null; bus: string | null; addr: unknown; multifunction: boolean; romfile: string | null; props: ReadonlyMap<string, string> }) => ({
  driver: d.driver,
  id: d.id,
  bus: d.bus,
  addr: d.addr,
  multifunction: d.multifunction,
  romfile: d.romfile,
  props: [...d.props],
});

describe("the QEMU command line of a boot", () => {
  it("ACPI topo-gic3: the fixture's machine and devices, UEFI firmware, acpi=force and the oracle's dyndbg", () => {
    const built = buildQemuArgv({ name: "x", firmware: "acpi", qemuArgs: topo("topo-gic3").qemu }, ASSETS);
    const fixture = parseBootCmd(readFileSync(join(DIR, "acpi-topo-gic3.cmd"), "utf8"));
    expect(built.ok && fixture.ok).toBe(true);
    if (!built.ok || !fixture.ok) return;
    const ours = built.value.command;
    const theirs = fixture.value.command;
    expect(ours.devices.map(deviceView)).toEqual(theirs.devices.map(deviceView));
    expect([ours.machine.gic, ours.machine.iommu, ours.machine.its, ours.cpu, ours.memoryBytes, ours.firmware, ours.bios]).toEqual([
      theirs.machine.gic,
      theirs.machine.iommu,
      theirs.machine.its,
      theirs.cpu,
      theirs.memoryBytes,
      "acpi",
      ASSETS.efiFirmware,
    ]);
    expect(ours.append).toBe(`console=ttyAMA0 panic=-1 ${ORACLE_DYNDBG} acpi=force`);
    expect(built.value.argv.slice(-1)).toEqual(["-no-reboot"]);
  });

  it("DT baseline: -kernel boot, romfile= added to the NIC only, user cmdline and -smp kept", () => {
    const built = buildQemuArgv({ name: "x", firmware: "dt", qemuArgs: topo("lazy-smp2").qemu, cmdline: "iommu.strict=0", dyndbg: false }, ASSETS);
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    const c = built.value.command;
    expect(c.firmware).toBe("dt");
    expect(c.bios).toBeNull();
    expect(c.smp).toBe(2);
    expect(c.append).toBe("console=ttyAMA0 panic=-1 iommu.strict=0");
    expect(c.devices.map((d) => d.arg)).toEqual(["virtio-net-pci,romfile=", "virtio-rng-pci"]);
    expect(c.noDefaultNic).toBe(true);
  });

  it("rejects what it cannot boot, with a message naming the argument", () => {
    const bad = (qemuArgs: string) => {
      const r = buildQemuArgv({ name: "x", firmware: "dt", qemuArgs }, ASSETS);
      return r.ok ? "ok" : formatOracleError(r.error);
    };
    expect(bad("-device")).toBe("bad QEMU arguments: -device needs a value");
    expect(bad("-hda disk.img")).toBe("bad QEMU arguments: -hda is not accepted (give -device, -M, -smp, -m, -cpu, -global)");
    expect(bad("-M pc")).toBe("bad QEMU arguments: machine pc: only virt is supported");
    expect(bad("virtio-rng-pci")).toBe("bad QEMU arguments: unexpected argument virtio-rng-pci");
    expect(bad("-M virt,gic-version=4")).toMatch(/^bad QEMU arguments: .*gic-version must be 2 or 3/);
  });
});

describe("process runner", () => {
  it("quotes words so the .cmd splitter reads them back", () => {
    const words = ["qemu-system-aarch64", "-append", 'a b dyndbg="file x/* +p; y" ', "virtio-net-pci,romfile=", "", "q'x"];
    expect(splitShellWords(words.map(shellQuote).join(" "))).toEqual({ ok: true, value: words });
    expect(formatWallTime(4_231_280_285n)).toBe("4.231280285s");
    expect(formatWallTime(5_000n)).toBe("0.000005000s");
  });

  it("kills the whole process group when the time limit passes", async () => {
    const r = await runProcess("sh", ["-c", "sleep 30 & echo $!; wait"], { timeoutMs: 300 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.timedOut).toBe(true);
    expect(r.value.signal).toBe("SIGKILL");
    expect(Number(r.value.wallNs) / 1e9).toBeLessThan(10);
    const grandchild = Number(r.value.stdout.trim());
    await new Promise((done) => setTimeout(done, 100));
    const stat = existsSync(`/proc/${grandchild}/stat`) ? readFileSync(`/proc/${grandchild}/stat`, "utf8").split(" ")[2] : "gone";
    expect(["gone", "Z", "X"]).toContain(stat);
  });

  it("reports a missing program as a spawn failure and writes output to a file", async () => {
    expect(await runProcess("dmasim-no-such-program", [])).toMatchObject({ ok: false, error: { code: "ENOENT" } });
    const dir = mkdtempSync(join(tmpdir(), "dmasim-exec-"));
    const file = join(dir, "out.log");
    const r = await runProcess("sh", ["-c", "echo one; echo two >&2"], { outputFile: file });
    expect(r.ok && r.value.code).toBe(0);
    expect(readFileSync(file, "utf8").split("\n").sort()).toEqual(["", "one", "two"]);
    rmSync(dir, { recursive: true, force: true });
    expect(await runProcess("sh", ["-c", "echo x"], { outputFile: join(dir, "gone", "out.log") })).toMatchObject({ ok: false, error: { code: "EOUTPUT" } });
  });
});

describe("/init's sysfs dump, run by the host shell on a fake sysfs", () => {
  const sys = mkdtempSync(join(tmpdir(), "dmasim-sysfs-"));
  afterAll(() => rmSync(sys, { recursive: true, force: true }));
  const mk = (path: string, content?: string): void => {
    mkdirSync(join(sys, path, content === undefined ? "" : ".."), { recursive: true });
    if (content !== undefined) writeFileSync(join(sys, path), content);
  };
  const groups: [number, string, string[]][] = [
    [0, "DMA", ["0000:00:03.0", "0000:01:00.0"]],
    [2, "identity", ["0000:00:02.0"]],
    [10, "DMA-FQ", ["0000:00:01.0"]],
  ];
  for (const [g, type, devs] of groups) {
    mk(`kernel/iommu_groups/${g}/type`, `${type}\n`);
    mk(`kernel/iommu_groups/${g}/reserved_regions`, "0x0000000008000000 0x00000000080fffff msi\n");
    mk(`kernel/iommu_groups/${g}/devices`);
    for (const d of devs) symlinkSync(`../../../../devices/pci0000:00/${d}`, join(sys, `kernel/iommu_groups/${g}/devices/${d}`));
  }
  const pci: [string, string, string, string | null, number | null][] = [
    ["0000:00:00.0", "0x1b36", "0x0008", null, null],
    ["0000:00:01.0", "0x1af4", "0x1000", "virtio-pci", 10],
    ["0000:00:02.0", "0x1af4", "0x1005", "virtio-pci", 2],
    ["0000:00:03.0", "0x1b36", "0x000c", "pcieport", 0],
    ["0000:01:00.0", "0x8086", "0x10d3", null, 0],
  ];
  mk("bus/pci/drivers/virtio-pci");
  mk("bus/pci/drivers/pcieport");
  for (const [d, vendor, device, driver, group] of pci) {
    mk(`bus/pci/devices/${d}/vendor`, `${vendor}\n`);
    mk(`bus/pci/devices/${d}/device`, `${device}\n`);
    mk(`bus/pci/devices/${d}/class`, "0x020000\n");
    if (driver !== null) symlinkSync(join(sys, "bus/pci/drivers", driver), join(sys, `bus/pci/devices/${d}/driver`));
    if (group !== null) symlinkSync(join(sys, "kernel/iommu_groups", String(group)), join(sys, `bus/pci/devices/${d}/iommu_group`));
  }
  mk("bus/platform/devices");
  mk("class/iommu");

  it("prints what the parser reads back: groups in numeric order, drivers and groups per function", async () => {
    const r = await runProcess("sh", ["-c", sysfsDumpScript(sys)], { timeoutMs: 20_000 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const warnings: DumpWarning[] = [];
    const dump = parseSysfsDump(
      r.value.stdout.split("\n").map((text, i) => ({ line: i + 1, text })),
      warnings,
    );
    expect(warnings).toEqual([]);
    expect(dump?.groups.map((g) => [g.group, g.type, g.devices])).toEqual(groups);
    expect(dump?.groups[2]?.resv).toEqual([{ start: 0x08000000, end: 0x080fffff, type: "msi" }]);
    expect(dump?.pci.map((p) => [p.device, `0x${p.vendor.toString(16).padStart(4, "0")}`, `0x${p.deviceId.toString(16).padStart(4, "0")}`, p.driver, p.group])).toEqual(pci);
    expect(r.value.stdout).toContain("=== INIT: /sys/class/iommu\n");
  });
});
