import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { modinfoDepends, modinfoSoftdepPre, parseModinfo } from "./elf-modinfo";
import { ORACLE_DRIVER_MODULES } from "./initramfs";
import { findModulesDir, ModuleIndex, moduleLoadOrder } from "./kernel-modules";
import { oracleCacheDir } from "./cache";
import { makeModuleElf } from "./test-elf";
import { existsSync, readdirSync } from "node:fs";

describe(".modinfo from ELF", () => {
  it("reads key=value entries, depends and softdep pre", () => {
    const r = parseModinfo(makeModuleElf(["name=crc_t10dif", "softdep=pre: crct10dif post: x", "depends=crct10dif_common,a-b", "alias=one", "alias=two"]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.get("alias")).toEqual(["one", "two"]);
    expect(modinfoDepends(r.value)).toEqual(["crct10dif_common", "a-b"]);
    expect(modinfoSoftdepPre(r.value)).toEqual(["crct10dif"]);
    const empty = parseModinfo(makeModuleElf(["depends="]));
    expect(empty.ok && modinfoDepends(empty.value)).toEqual([]);
  });

  it("names the offset of what is wrong and never throws", () => {
    const good = makeModuleElf(["name=x"]);
    expect(parseModinfo(good.slice(0, 10))).toEqual({ ok: false, error: { offset: 0, message: "shorter than an ELF64 header" } });
    const notElf = good.slice();
    notElf[1] = 0;
    expect(parseModinfo(notElf)).toEqual({ ok: false, error: { offset: 0, message: "not an ELF file" } });
    const elf32 = good.slice();
    elf32[4] = 1;
    expect(parseModinfo(elf32)).toEqual({ ok: false, error: { offset: 4, message: "not ELF64 (EI_CLASS)" } });
    expect(parseModinfo(good.slice(0, good.length - 10))).toEqual({ ok: false, error: { offset: 0x28, message: "section header table past the end of the file" } });
    let seed = 7;
    for (let i = 0; i < 300; i++) {
      const b = good.slice();
      seed = (seed * 1103515245 + 12345) >>> 0;
      b[64 + (seed % (b.length - 64))] = seed >>> 24;
      expect(() => parseModinfo(b)).not.toThrow();
    }
  });
});

describe("module load order", () => {
  const root = mkdtempSync(join(tmpdir(), "dmasim-mods-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, "lib", "modules", "6.1.0-test", "kernel");
  const write = (path: string, entries: string[]): void => {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), makeModuleElf(entries));
  };
  write("drivers/a.ko", ["name=a", "softdep=pre: algo", "depends=b-core"]);
  write("drivers/b-core.ko", ["name=b_core", "depends=lib_x"]);
  write("lib/lib_x.ko", ["name=lib_x", "depends="]);
  write("arch/arm64/algo-ce.ko", ["name=algo_ce", "alias=algo", "depends="]);
  write("crypto/algo_generic.ko", ["name=algo_generic", "alias=algo", "depends=lib_x"]);
  write("drivers/loop1.ko", ["name=loop1", "depends=loop2"]);
  write("drivers/loop2.ko", ["name=loop2", "depends=loop1"]);
  write("drivers/needs-missing.ko", ["name=needs_missing", "depends=nowhere"]);

  it("emits softdep providers (the generic one), then depends, then the module; each once", () => {
    const found = findModulesDir(root);
    expect(found?.release).toBe("6.1.0-test");
    const index = new ModuleIndex(found?.dir ?? "");
    const order = moduleLoadOrder(index, ["a", "lib_x"]);
    expect(order.ok && order.value.map((m) => m.name)).toEqual(["lib_x", "algo_generic", "b-core", "a"]);
  });

  it("terminates on a dependency cycle and fails naming a missing module", () => {
    const index = new ModuleIndex(findModulesDir(root)?.dir ?? "");
    const cyc = moduleLoadOrder(index, ["loop1"]);
    expect(cyc.ok && cyc.value.map((m) => m.name)).toEqual(["loop2", "loop1"]);
    expect(moduleLoadOrder(index, ["needs_missing"])).toMatchObject({ ok: false, error: { kind: "module-missing", module: "nowhere" } });
  });
});

describe("Debian's modules (when the oracle cache has them)", () => {
  const extract = join(oracleCacheDir(), "extract");
  const pkg = existsSync(extract) ? readdirSync(extract).find((d) => d.startsWith("linux-image-") && !d.endsWith(".partial")) : undefined;
  it.skipIf(pkg === undefined)(`the recorded insmod order is already dependency-closed${pkg === undefined ? " (skipped: no unpacked linux-image in the oracle cache; run pnpm conformance once)" : ""}`, () => {
    const mods = findModulesDir(join(extract, pkg ?? ""));
    const index = new ModuleIndex(mods?.dir ?? "");
    const order = moduleLoadOrder(index, ORACLE_DRIVER_MODULES);
    expect(order.ok && order.value.map((m) => m.name)).toEqual(ORACLE_DRIVER_MODULES);
    const virtio = index.info("virtio_pci");
    expect(virtio.ok && modinfoDepends(virtio.value)).toEqual(["virtio_pci_modern_dev", "virtio_pci_legacy_dev"]);
  });
});
