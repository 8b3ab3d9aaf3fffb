/**
 * Issue #10: every library package works outside the monorepo. Packs each package with `pnpm pack` (the packages
 * are built first by turbo: `//#test:pack` depends on their `build`), checks the packed manifests and file lists,
 * lints the tarballs with publint and @arethetypeswrong/cli, installs them with npm into an empty project in a temp
 * dir (no workspace, no source condition), type-checks `examples/` there against the shipped declarations under
 * NodeNext resolution, and runs each example against the built output.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIBRARY_PACKAGES, REPO_ROOT, installConsumer, packLibraries, type PackedPackage } from "./pack";

const run = promisify(execFile);
const bin = (name: string) => join(REPO_ROOT, "node_modules", ".bin", name);

let work = "";
let consumer = "";
let packed: PackedPackage[] = [];
/** tsc's output on the consumer project, started once it is installed so it runs while the examples run. */
let typecheck: Promise<string> = Promise.resolve("tsc did not run");
/** attw's findings, started as soon as the tarballs exist so it runs while npm installs. */
let attwProblems: Promise<string[]> = Promise.resolve(["attw did not run"]);

/**
 * @arethetypeswrong/cli on each tarball. ESM-only packages cannot be `require`d: the `esm-only` profile leaves out the
 * node10 and node16-from-CJS resolutions; every other problem is reported.
 */
/** `tsc` on the consumer project with `examples/` (strict, NodeNext, no source condition); its output. */
async function typecheckConsumer(dir: string): Promise<string> {
  const tsconfig = readFileSync(join(REPO_ROOT, "tools", "pack", "consumer-tsconfig.json"), "utf8").replace(
    "__TYPE_ROOTS__",
    join(REPO_ROOT, "node_modules", "@types"),
  );
  writeFileSync(join(dir, "tsconfig.json"), tsconfig);
  const r = await run(bin("tsc"), ["-p", "tsconfig.json"], { cwd: dir, maxBuffer: 16 << 20 }).catch(
    (e: { stdout?: string }) => ({ stdout: e.stdout ?? "tsc failed" }),
  );
  return r.stdout;
}

async function attw(tarballs: readonly PackedPackage[]): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    tarballs.map(async (p) => {
      const r = await run(bin("attw"), [p.tarball, "--profile", "esm-only", "--format", "json"], {
        maxBuffer: 64 << 20,
      }).catch((e: { stdout?: string; code?: number }) => ({ stdout: e.stdout ?? "", failed: e.code }));
      const json = JSON.parse(r.stdout === "" ? "{}" : r.stdout) as {
        problems?: Record<string, { kind: string; resolutionKind?: string }[]>;
      };
      for (const [entry, list] of Object.entries(json.problems ?? {})) {
        for (const pr of list) {
          if (pr.resolutionKind === "node10" || pr.resolutionKind === "node16-cjs") continue;
          problems.push(`${p.name} ${entry}: ${pr.kind} (${pr.resolutionKind ?? "all"})`);
        }
      }
      if ("failed" in r) problems.push(`${p.name}: attw exited with ${String(r.failed)}`);
    }),
  );
  return problems.sort();
}

beforeAll(async () => {
  for (const dir of LIBRARY_PACKAGES) {
    if (!existsSync(join(REPO_ROOT, "packages", dir, "dist", "index.js"))) {
      throw new Error(`packages/${dir}/dist is missing: run through \`pnpm test\` (turbo builds first) or \`pnpm build\``);
    }
  }
  work = mkdtempSync(join(tmpdir(), "dmasim-pack-"));
  consumer = join(work, "consumer");
  packed = await packLibraries(join(work, "tarballs"));
  attwProblems = attw(packed);
  await installConsumer(consumer, packed);
  typecheck = typecheckConsumer(consumer);
});

afterAll(() => {
  if (work !== "" && process.env.DMASIM_KEEP_PACK === undefined) rmSync(work, { recursive: true, force: true });
});

/** `tar -tzf`: the tarball's file list, without the `package/` prefix. */
async function tarList(tarball: string): Promise<string[]> {
  const { stdout } = await run("tar", ["-tzf", tarball]);
  return stdout.split("\n").filter((l) => l !== "").map((l) => l.replace(/^package\//, "")).sort();
}

async function tarManifest(tarball: string): Promise<Record<string, unknown>> {
  const { stdout } = await run("tar", ["-xzOf", tarball, "package/package.json"], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("packed manifests", () => {
  it("have no source condition, no workspace ranges, types first, sideEffects false, a licence", async () => {
    for (const p of packed) {
      const m = await tarManifest(p.tarball);
      const text = JSON.stringify(m);
      // The dev-only condition must not reach users' resolvers (scripts may still name it for the repo's benches).
      expect(JSON.stringify([m.exports, m.imports, m.main, m.types]), p.name).not.toContain("@dmasim/source");
      expect(text, p.name).not.toContain("workspace:");
      expect(text, p.name).not.toContain("catalog:");
      expect(m.version, p.name).toBe("0.1.0");
      expect(m.type, p.name).toBe("module");
      expect(m.sideEffects, p.name).toBe(false);
      expect(m.license, p.name).toBe("MIT");
      const exportsMap = m.exports as Record<string, unknown>;
      for (const [sub, target] of Object.entries(exportsMap)) {
        if (typeof target === "string") continue;
        expect(Object.keys(target as object), `${p.name} ${sub}`).toEqual(["types", "default"]);
      }
      for (const [dep, range] of Object.entries((m.dependencies ?? {}) as Record<string, string>)) {
        if (dep.startsWith("@dmasim/")) expect(range, `${p.name} -> ${dep}`).toBe("0.1.0");
      }
    }
  });

  it("ship only dist, the README, the licence (and the kernel's built-in scenarios)", async () => {
    for (const p of packed) {
      const files = await tarList(p.tarball);
      expect(files, p.name).toContain("LICENSE");
      expect(files, p.name).toContain("README.md");
      expect(files, p.name).toContain("dist/index.js");
      expect(files, p.name).toContain("dist/index.d.ts");
      const allowed = p.dir === "kernel" ? /^(dist|scenarios)\// : /^dist\//;
      const stray = files.filter((f) => !["LICENSE", "README.md", "package.json"].includes(f) && !allowed.test(f));
      expect(stray, p.name).toEqual([]);
    }
  });
});

describe("linters", () => {
  it("publint reports nothing (no error, warning or suggestion) for any tarball", async () => {
    const report: string[] = [];
    for (const p of packed) {
      const tarball = readFileSync(p.tarball);
      const { messages, pkg } = await publint({
        pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) },
        level: "suggestion",
      });
      for (const msg of messages) report.push(`${p.name} ${msg.type}: ${formatMessage(msg, pkg) ?? msg.code}`);
    }
    expect(report).toEqual([]);
  });

  it("attw (ESM-only profile: node16 from ESM, bundler) finds no problem in any tarball", async () => {
    expect(await attwProblems).toEqual([]);
  });
});

describe("a consumer project with only the tarballs", () => {
  it("installs the packages as plain folders (no symlinks into the workspace), without src/", () => {
    for (const p of packed) {
      const dir = join(consumer, "node_modules", ...p.name.split("/"));
      expect(readdirSync(dir).sort(), p.name).not.toContain("src");
      const m = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { exports: unknown };
      expect(JSON.stringify(m.exports), p.name).not.toContain("@dmasim/source");
      expect(existsSync(join(dir, "dist", "index.js")), p.name).toBe(true);
    }
  });

  it("type-checks examples/ against the shipped declarations (NodeNext, strict, lib check on)", async () => {
    expect(await typecheck).toBe("");
  });

  /** Runs one example with tsx from the consumer project (imports resolve to its node_modules, default condition). */
  async function example(name: string, ...args: string[]): Promise<string> {
    const { stdout } = await run(bin("tsx"), [join("examples", name), ...args], {
      cwd: consumer,
      maxBuffer: 16 << 20,
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    return stdout;
  }

  it("every example in examples/ is exercised below", () => {
    const covered = [
      "dma-mapping-swiotlb.ts",
      "driver-core-deferred-probe.ts",
      "firmware-parse-dtb.ts",
      "iommu-smmuv3-translate.ts",
      "kernel-boot-scenario.ts",
      "machine-qemu-virt-dma.ts",
      "pci-dma-aliases.ts",
    ];
    expect(readdirSync(join(REPO_ROOT, "examples")).filter((f) => f.endsWith(".ts")).sort()).toEqual(covered);
    const listed = readFileSync(join(REPO_ROOT, "examples", "README.md"), "utf8");
    for (const f of covered) expect(listed, f).toContain(`\`${f}\``);
  });

  it("@dmasim/firmware parses QEMU 7.2's virt DTB and maps RID 0x8 through iommu-map", async () => {
    const out = await example("firmware-parse-dtb.ts", join(REPO_ROOT, "fixtures", "dtb", "qemu72-virt-smmuv3.dtb"));
    // `fdtget qemu72-virt-smmuv3.dtb / compatible` prints linux,dummy-virt; `.../pcie@10000000 iommu-map` prints
    // "0 32772 0 65536": RIDs 0..0xffff to phandle 0x8004 (the smmuv3 node) with StreamID = RID.
    expect(out).toBe(
      [
        "root compatible: linux,dummy-virt",
        "iommu provider: /smmuv3@9050000",
        "RID 0x8 -> /smmuv3@9050000 StreamID 0x8",
        "",
      ].join("\n"),
    );
  });

  it("@dmasim/iommu/smmuv3-hw over @dmasim/machine memory translates a mapped IOVA and faults an unmapped one", async () => {
    const out = await example("iommu-smmuv3-translate.ts");
    expect(out.split("\n")).toEqual([
      "SID 8 write IOVA 0x10000042: translated PA 0x48000042",
      "SID 8 write IOVA 0x20000000: abort F_TRANSLATION (event 0x10)", // F_TRANSLATION is event 0x10 (SMMUv3 spec 7.3)
      "PA 0x48000042 holds 0xc0ffee",
      "",
    ]);
  });

  it("@dmasim/driver-core: v4.7 deferred probe shows BIND_DRIVER, DRIVER_NOT_BOUND, then BIND/BOUND on retry", async () => {
    const out = await example("driver-core-deferred-probe.ts");
    expect(out).toContain("probe eth eth returned -EPROBE_DEFER");
    expect(out).toContain("platform eth: Added to deferred list");
    expect(out).toContain("notifier actions: ADD_DEVICE BIND_DRIVER DRIVER_NOT_BOUND BIND_DRIVER BOUND_DRIVER\n");
    expect(out).toContain("probe calls: 2, bound to: eth\n");
  });

  it("@dmasim/kernel boots the seed scenario from its shipped scenario files under v4.7 and v4.8", async () => {
    const out = await example("kernel-boot-scenario.ts");
    // The seed file's expect block (packages/kernel/scenarios/seed.yaml): v4.7 gives swiotlb ops and faults, I-PROBE.
    expect(out.split("\n")).toEqual([
      "v4.7: 0000:01:00.0 driver=e1000e dmaOps=swiotlb dma=[alloc-coherent:fault map-single:fault msi:fault] failed=[I-PROBE]",
      "v4.8: 0000:01:00.0 driver=e1000e dmaOps=iommu dma=[alloc-coherent:ok map-single:ok msi:ok] failed=[]",
      "",
    ]);
  });

  it("@dmasim/machine: the e1000e behind a root port writes RAM as requester 01:00.0 (RID 0x100)", async () => {
    const out = await example("machine-qemu-virt-dma.ts");
    expect(out.split("\n")).toEqual([
      "0000:00:00.0 gpex-root [1b36:8]", // QEMU's PCI_DEVICE_ID_REDHAT_PCIE_HOST
      "0000:00:03.0 pcie-root-port [1b36:c]", // PCI_DEVICE_ID_REDHAT_PCIE_RP
      "0000:01:00.0 e1000e [8086:10d3]", // the 82574L QEMU's e1000e models
      "DMA direct to ram PA 0x40001000, RID 0x100",
      "RAM 0x40001000: efbeadde", // bytes de ad be ef read back as a little-endian word
      "",
    ]);
  });

  it("@dmasim/pci: a device behind a PCIe-to-PCI bridge aliases to (secondary bus, devfn 0) of the bridge", async () => {
    const out = await example("pci-dma-aliases.ts");
    // drivers/pci/search.c pci_for_each_dma_alias: PCI_EXP_TYPE_PCI_BRIDGE -> PCI_DEVID(subordinate->number, 0).
    expect(out.split("\n")).toEqual([
      "0000:00:00.0: 0000:00:00.0=0x0000",
      "0000:00:04.0: 0000:00:04.0=0x0020",
      "0000:01:01.0: 0000:01:01.0=0x0108 0000:00:04.0=0x0100",
      "",
    ]);
  });

  it("@dmasim/dma-mapping: a 32-bit device's buffer above 4 GiB bounces through swiotlb until unmap", async () => {
    const out = await example("dma-mapping-swiotlb.ts");
    // v6.1: swiotlb lives inside dma-direct (the device's ops stay "direct"); the pool is the first RAM allocation.
    expect(out.split("\n")).toEqual([
      "ops direct, buffer 0x100003000 mapped at bus address 0x40000000",
      "before unmap: buffer holds 0x0",
      "after unmap:  buffer holds 0x600dda7a",
      "",
    ]);
  });
});
