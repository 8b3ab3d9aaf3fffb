/**
 * The real-kernel oracle, end to end: host tools, Debian's arm64 kernel and busybox (downloaded with apt's
 * architecture override, unpacked, never installed), the initramfs, and boots. Everything lives under the cache
 * directory (`${XDG_CACHE_HOME:-~/.cache}/dmasim/oracle/`), so a second run only boots.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fetchArm64Package } from "./apt-arm64";
import { oracleCacheDir, oracleLayout, type OracleLayout } from "./cache";
import { oracleFail, type OracleResult } from "./errors";
import { ensureHostTools, type HostTools } from "./host-tools";
import { buildInitramfs, ORACLE_DRIVER_MODULES } from "./initramfs";
import { findModulesDir, ModuleIndex } from "./kernel-modules";
import { bootReal, type RealBoot, type RealBootSpec } from "./qemu-boot";

/** Options of {@link prepareOracle}. */
export interface OracleOptions {
  /** Cache root (default {@link oracleCacheDir}). */
  readonly cacheDir?: string;
  /** Install missing host packages with apt (default true). */
  readonly installHostPackages?: boolean;
  /** The kernel metapackage (default `linux-image-arm64`) and the prefix of the versioned image it depends on. */
  readonly kernelPackage?: string;
  readonly modules?: readonly string[];
  readonly onProgress?: (message: string) => void;
}

/** Everything a boot needs, prepared once. */
export interface OracleAssets {
  readonly layout: OracleLayout;
  readonly tools: HostTools;
  /** The versioned image package, e.g. `linux-image-6.1.0-56-arm64`. */
  readonly kernelPackage: string;
  readonly kernelDeb: string;
  readonly kernelRelease: string;
  readonly kernel: string;
  readonly busyboxDeb: string;
  readonly initramfs: string;
  readonly initramfsBytes: number;
  /** Module base names in `/init`'s load order. */
  readonly modules: readonly string[];
}

/** Prepares (or reuses from the cache) the tools, packages and initramfs. */
export async function prepareOracle(options: OracleOptions = {}): Promise<OracleResult<OracleAssets>> {
  const layout = oracleLayout(options.cacheDir ?? oracleCacheDir());
  const progress = options.onProgress ?? (() => undefined);
  progress("checking host tools (qemu-system-arm, qemu-efi-aarch64, dpkg)");
  const tools = await ensureHostTools({ ...(options.installHostPackages === undefined ? {} : { install: options.installHostPackages }), onProgress: progress });
  if (!tools.ok) return tools;
  const meta = options.kernelPackage ?? "linux-image-arm64";
  progress(`fetching ${meta} (arm64) into ${layout.root}`);
  const kernelPkg = await fetchArm64Package(layout, { name: meta, metaPrefix: "linux-image-" });
  if (!kernelPkg.ok) return kernelPkg;
  progress("fetching busybox-static (arm64)");
  const bbPkg = await fetchArm64Package(layout, { name: "busybox-static" });
  if (!bbPkg.ok) return bbPkg;
  const busybox = join(bbPkg.value.dir, "bin", "busybox");
  if (!existsSync(busybox)) return oracleFail({ kind: "unpack-failed", file: bbPkg.value.deb, message: "no bin/busybox inside" });
  const bootDir = join(kernelPkg.value.dir, "boot");
  const image = existsSync(bootDir) ? readdirSync(bootDir).filter((f) => f.startsWith("vmlinuz-")).sort()[0] : undefined;
  if (image === undefined) return oracleFail({ kind: "unpack-failed", file: kernelPkg.value.deb, message: "no boot/vmlinuz-* inside" });
  const mods = findModulesDir(kernelPkg.value.dir);
  if (mods === null) return oracleFail({ kind: "unpack-failed", file: kernelPkg.value.deb, message: "no lib/modules/<release> inside" });
  const index = new ModuleIndex(mods.dir);
  progress(`building the initramfs (${index.size} modules indexed)`);
  const initramfs = buildInitramfs({ busybox, index, outDir: layout.initramfs, targets: options.modules ?? ORACLE_DRIVER_MODULES });
  if (!initramfs.ok) return initramfs;
  return {
    ok: true,
    value: {
      layout,
      tools: tools.value,
      kernelPackage: kernelPkg.value.pkg,
      kernelDeb: kernelPkg.value.deb,
      kernelRelease: mods.release,
      kernel: join(bootDir, image),
      busyboxDeb: bbPkg.value.deb,
      initramfs: initramfs.value.path,
      initramfsBytes: initramfs.value.bytes,
      modules: initramfs.value.modules.map((m) => m.name),
    },
  };
}

/** Boots one topology with prepared assets; the log and command land in the cache's `logs/`. */
export function bootWithOracle(assets: OracleAssets, spec: RealBootSpec): Promise<OracleResult<RealBoot>> {
  return bootReal(spec, {
    qemu: assets.tools.qemu,
    kernel: assets.kernel,
    initramfs: assets.initramfs,
    efiFirmware: assets.tools.efiFirmware,
    logDir: assets.layout.logs,
  });
}
