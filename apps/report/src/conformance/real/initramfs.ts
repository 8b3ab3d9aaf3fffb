/**
 * Builds the oracle's initramfs in TypeScript: busybox, the PCI driver modules with their dependencies, `/init`,
 * and the `/dev/console` (c 5 1) and `/dev/null` (c 1 3) nodes as archive entries, gzip-compressed with node:zlib.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { gzipCpio, writeCpioNewc, type CpioEntry } from "./cpio";
import { oracleFail, type OracleResult } from "./errors";
import { initScript } from "./init-script";
import { moduleLoadOrder, readBytes, type ModuleFile, type ModuleIndex } from "./kernel-modules";

/**
 * The modules `/init` loads, exactly in the order of the recorded boots' `=== INIT: insmod` lines: the virtio stack,
 * e1000e, then nvme with its integrity helpers (Debian builds them as modules: `CONFIG_VIRTIO_PCI=m`,
 * `CONFIG_E1000E=m`, `CONFIG_BLK_DEV_NVME=m`). The crypto providers `crct10dif_generic` and
 * `crc64_rocksoft_generic` are named because the kernel asks for them by algorithm (`request_module("crypto-…")`),
 * which no `depends=` records; the dependency walk adds anything else a module needs before it.
 */
export const ORACLE_DRIVER_MODULES: readonly string[] = [
  "virtio_pci_legacy_dev",
  "virtio_pci_modern_dev",
  "virtio_pci",
  "failover",
  "net_failover",
  "virtio_net",
  "virtio-rng",
  "virtio_blk",
  "e1000e",
  "crct10dif_common",
  "crct10dif_generic",
  "crc-t10dif",
  "crc64",
  "crc64_rocksoft_generic",
  "crc64-rocksoft",
  "t10-pi",
  "nvme-core",
  "nvme",
];

/** A built initramfs. */
export interface BuiltInitramfs {
  readonly path: string;
  /** Modules in load order. */
  readonly modules: readonly ModuleFile[];
  readonly bytes: number;
}

/** Options of {@link buildInitramfs}. */
export interface InitramfsOptions {
  readonly busybox: string;
  readonly index: ModuleIndex;
  readonly outDir: string;
  readonly targets?: readonly string[];
  readonly settleSeconds?: number;
}

/** The archive entries (exported for tests). */
export function initramfsEntries(busybox: Uint8Array, modules: readonly { name: string; data: Uint8Array }[], init: string): CpioEntry[] {
  const dirs = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "etc", "mods", "root"];
  return [
    ...dirs.map((path): CpioEntry => ({ kind: "dir", path })),
    { kind: "char", path: "dev/console", major: 5, minor: 1, mode: 0o600 },
    { kind: "char", path: "dev/null", major: 1, minor: 3, mode: 0o666 },
    { kind: "file", path: "bin/busybox", data: busybox, mode: 0o755 },
    { kind: "symlink", path: "bin/sh", target: "busybox" },
    ...modules.map((m): CpioEntry => ({ kind: "file", path: `mods/${m.name}.ko`, data: m.data })),
    { kind: "file", path: "init", data: new TextEncoder().encode(init), mode: 0o755 },
  ];
}

/**
 * Resolves the modules, writes `initramfs-<hash>.cpio.gz` into `outDir` (content-addressed, so an unchanged input
 * reuses the file) and returns its path.
 */
export function buildInitramfs(options: InitramfsOptions): OracleResult<BuiltInitramfs> {
  const order = moduleLoadOrder(options.index, options.targets ?? ORACLE_DRIVER_MODULES);
  if (!order.ok) return order;
  const bb = readBytes(options.busybox);
  if (!bb.ok) return bb;
  const mods: { name: string; data: Uint8Array }[] = [];
  for (const m of order.value) {
    const data = readBytes(m.path);
    if (!data.ok) return data;
    mods.push({ name: m.name, data: data.value });
  }
  const init = initScript({ modules: order.value.map((m) => m.name), ...(options.settleSeconds === undefined ? {} : { settleSeconds: options.settleSeconds }) });
  const hash = createHash("sha256");
  hash.update(bb.value);
  for (const m of mods) hash.update(m.name).update(m.data);
  hash.update(init);
  const path = join(options.outDir, `initramfs-${hash.digest("hex").slice(0, 16)}.cpio.gz`);
  try {
    if (!existsSync(path)) {
      mkdirSync(options.outDir, { recursive: true });
      const gz = gzipCpio(writeCpioNewc(initramfsEntries(bb.value, mods, init)));
      writeFileSync(`${path}.tmp`, gz);
      renameSync(`${path}.tmp`, path);
    }
    return { ok: true, value: { path, modules: order.value, bytes: readFileSync(path).length } };
  } catch (e) {
    return oracleFail({ kind: "io", path, message: (e as Error).message });
  }
}
