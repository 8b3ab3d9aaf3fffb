import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePciAddr, parseQemuCommandLine, parseQemuDevice, parseQemuSize, splitQemuOpts, splitShellWords } from "./qemu-cmdline";

const BOOTS = resolve(import.meta.dirname, "../../../fixtures/qemu-boots");

describe("splitShellWords", () => {
  it("undoes the backslash escapes of the .cmd fixtures and stops at the first line", () => {
    const r = splitShellWords("qemu -M virt\\,iommu=smmuv3 -append console=ttyAMA0\\ panic=-1\\ \\ acpi=force dyndbg=\\\"file\\ x\\ +p\\;\\\"\nrc=0 wall=1s\n");
    expect(r).toEqual({ ok: true, value: ["qemu", "-M", "virt,iommu=smmuv3", "-append", "console=ttyAMA0 panic=-1  acpi=force", 'dyndbg="file x +p;"'] });
  });

  it("handles quotes and line continuations, and reports an unterminated quote with its offset", () => {
    expect(splitShellWords("a 'b c' \"d \\\" e\" f\\\n g")).toEqual({ ok: true, value: ["a", "b c", 'd " e', "f", "g"] });
    expect(splitShellWords("a 'b")).toEqual({ ok: false, error: { kind: "unterminated-quote", offset: 2 } });
  });
});

describe("QemuOpts helpers", () => {
  it("splits on commas with ,, as a literal comma, and parses PCI addresses and sizes as QEMU does", () => {
    expect(splitQemuOpts("virtio-rng-pci,addr=0x5.0,multifunction=on,serial=a,,b")).toEqual([
      "virtio-rng-pci",
      "addr=0x5.0",
      "multifunction=on",
      "serial=a,b",
    ]);
    expect(parsePciAddr("0x5.1")).toEqual({ slot: 5, fn: 1 });
    expect(parsePciAddr("1f")).toEqual({ slot: 31, fn: 0 });
    expect(parsePciAddr("20")).toBeNull();
    expect(parsePciAddr("3.8")).toBeNull();
    expect(parseQemuSize("1024")).toBe(2 ** 30);
    expect(parseQemuSize("2G")).toBe(2 ** 31);
    expect(parseQemuSize("12x")).toBeNull();
  });
});

describe("parseQemuDevice", () => {
  it("takes the driver, generic properties and the rest in order", () => {
    const r = parseQemuDevice("pcie-root-port,id=rp1,chassis=1,slot=1,addr=0x3");
    expect(r.ok && { ...r.value, props: [...r.value.props] }).toEqual({
      driver: "pcie-root-port",
      id: "rp1",
      bus: null,
      addr: { slot: 3, fn: 0 },
      multifunction: false,
      romfile: null,
      props: [["chassis", "1"], ["slot", "1"]],
      arg: "pcie-root-port,id=rp1,chassis=1,slot=1,addr=0x3",
    });
    const e = parseQemuDevice("e1000e,romfile=,bus=rp1");
    expect(e.ok && [e.value.romfile, e.value.bus]).toEqual(["", "rp1"]);
  });

  it("names the argument in typed errors", () => {
    expect(parseQemuDevice("virtio-rng-pci,addr=0x40")).toEqual({
      ok: false,
      error: { kind: "bad-property", arg: "virtio-rng-pci,addr=0x40", property: "addr", message: "bad PCI address 0x40" },
    });
    expect(parseQemuDevice("virtio-rng-pci,multifunction=maybe")).toMatchObject({ ok: false, error: { kind: "bad-property", property: "multifunction" } });
    expect(parseQemuDevice(",id=x")).toMatchObject({ ok: false, error: { kind: "unknown-device" } });
  });
});

describe("parseQemuCommandLine", () => {
  it("parses every .cmd fixture", () => {
    const files = readdirSync(BOOTS).filter((f) => f.endsWith(".cmd"));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const r = parseQemuCommandLine(readFileSync(resolve(BOOTS, f), "utf8"));
      expect(r.ok, f).toBe(true);
      if (!r.ok) continue;
      expect(r.value.machine.iommu).toBe("smmuv3");
      expect(r.value.firmware).toBe(f.startsWith("acpi") ? "acpi" : "dt");
      expect(r.value.noDefaultNic).toBe(true);
      expect(r.value.memoryBytes).toBe(2 ** 30);
    }
  });

  it("reads the topology boot: GICv3 + ITS, 12 devices in order, the kernel command line", () => {
    const r = parseQemuCommandLine(readFileSync(resolve(BOOTS, "acpi-topo-gic3-cfg.cmd"), "utf8"));
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.machine).toMatchObject({ type: "virt", iommu: "smmuv3", gic: 3, its: true });
    expect(r.value.cpu).toBe("cortex-a57");
    expect(r.value.devices.map((d) => d.driver)).toEqual([
      "virtio-net-pci",
      "virtio-rng-pci",
      "pcie-root-port",
      "e1000e",
      "pcie-root-port",
      "pcie-pci-bridge",
      "virtio-rng-pci",
      "virtio-rng-pci",
      "virtio-rng-pci",
      "virtio-rng-pci",
      "pcie-root-port",
      "nvme",
    ]);
    expect(r.value.devices[8]).toMatchObject({ addr: { slot: 5, fn: 0 }, multifunction: true });
    expect(r.value.append).toBe("console=ttyAMA0 panic=-1 dumpcfg acpi=force");
    expect(r.value.bios).toBe("/usr/share/qemu-efi-aarch64/QEMU_EFI.fd");
    expect(r.value.initrd).toBe("initramfs.cpio.gz");
  });

  it("reports typed errors for what it cannot take", () => {
    expect(parseQemuCommandLine("ls -l")).toMatchObject({ ok: false, error: { kind: "no-qemu" } });
    expect(parseQemuCommandLine("qemu-system-x86_64 -M q35")).toMatchObject({ ok: false, error: { kind: "no-qemu" } });
    expect(parseQemuCommandLine("qemu-system-aarch64 -M virt -frobnicate")).toEqual({ ok: false, error: { kind: "unknown-option", option: "-frobnicate" } });
    expect(parseQemuCommandLine("qemu-system-aarch64 -M virt -device")).toEqual({ ok: false, error: { kind: "missing-argument", option: "-device" } });
    expect(parseQemuCommandLine("qemu-system-aarch64 -M virt,gic-version=4")).toMatchObject({ ok: false, error: { kind: "bad-option", option: "-M", value: "4" } });
    expect(parseQemuCommandLine("qemu-system-aarch64 -M sbsa-ref")).toMatchObject({ ok: false, error: { kind: "bad-option" } });
    expect(parseQemuCommandLine("qemu-system-aarch64 -m 12x -M virt")).toMatchObject({ ok: false, error: { kind: "bad-option", option: "-m" } });
    expect(parseQemuCommandLine("qemu-system-aarch64 -device e1000e")).toEqual({ ok: false, error: { kind: "missing-argument", option: "-M (no machine specified)" } });
    expect(parseQemuCommandLine("qemu-system-aarch64 -M virt disk.img")).toEqual({ ok: false, error: { kind: "unexpected-argument", argument: "disk.img" } });
  });

  it("never throws, whatever the text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = parseQemuCommandLine(`qemu-system-aarch64 -M virt ${s}`);
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 2000 },
    );
  });
});
