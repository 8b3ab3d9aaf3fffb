/**
 * A platform from QEMU `virt` options: the board, DT and IORT exactly as QEMU 7.2 builds them (`@dmasim/machine`).
 * The firmware kind decides what the kernel sees: the DT (`-kernel` boot) or the ACPI tables (UEFI, `acpi=force`).
 *
 * @see hw/arm/virt.c machvirt_init; hw/arm/virt-acpi-build.c build_iort
 */
import { DeviceTree, fdtCells, fdtEmpty, fdtNode, fdtReg, fdtStringList, readU32, type FdtNode, type FdtTree, type IortTable } from "@dmasim/firmware";
import {
  buildQemuVirtBoard,
  buildQemuVirtDt,
  buildQemuVirtIort,
  ofDeviceName,
  parseQemuCommandLine,
  qemuVirtOptionsFromCommandLine,
  type Board,
  type PlatformDeviceDesc,
  type QemuCommandLineError,
  type QemuVirtMachine,
} from "@dmasim/machine";
import type { Platform, PlatformError, PlatformMasterSpec, PlatformResult } from "./types";

/** The options of {@link platformFromQemu}. */
export interface QemuPlatformOptions {
  /** `-M virt,iommu=`: `smmuv3` (default) or `none`. */
  readonly iommu?: "smmuv3" | "none";
  /** `-M virt,gic-version=` (default 3). */
  readonly gic?: 2 | 3;
  /** `-device` arguments (`"e1000e,romfile=,bus=rp1"`). */
  readonly devices?: readonly string[];
  /** What the kernel sees: the DT (default) or ACPI (UEFI builds the IORT after enumerating PCI). */
  readonly firmware?: "dt" | "acpi";
  /** `-m` in bytes (default 1 GiB, as the reference boots). */
  readonly memoryBytes?: number;
  /** Extra DT platform masters behind the SMMU (DT only). */
  readonly platformMasters?: readonly PlatformMasterSpec[];
}

/** The IORT index of each SMMUv3 node, matched to board SMMUs by base address. */
export function iortSmmuNodes(board: Board, iort: IortTable): { readonly smmu: string; readonly node: number }[] {
  const out: { smmu: string; node: number }[] = [];
  iort.nodes.forEach((n, node) => {
    if (n.type !== "smmu-v3") return;
    const smmu = board.smmus.find((s) => s.base === n.baseAddress);
    if (smmu !== undefined) out.push({ smmu: smmu.name, node });
  });
  return out;
}

/** The board's platform devices for a master and its children (names as `of_device_make_bus_id` makes them). */
function masterDescs(spec: PlatformMasterSpec, smmu: string): PlatformDeviceDesc[] {
  const own: PlatformDeviceDesc = {
    name: ofDeviceName(spec.node, spec.reg.base),
    dtNode: spec.node,
    compatible: spec.compatible,
    reg: [spec.reg],
    iommu: spec.streamIds.length > 0 ? { smmu, streamIds: spec.streamIds } : null,
    dmaCoherent: spec.dmaCoherent ?? true,
  };
  return [own, ...(spec.children ?? []).flatMap((c) => masterDescs(c, smmu))];
}

function masterNode(m: PlatformMasterSpec, phandle: number): FdtNode {
  const children = m.children ?? [];
  return fdtNode(
    m.node,
    {
      compatible: fdtStringList(...m.compatible),
      reg: fdtReg([[m.reg.base, m.reg.size]], 2, 2),
      ...(m.streamIds.length > 0 ? { iommus: fdtCells(...m.streamIds.flatMap((sid) => [phandle, sid])) } : {}),
      ...((m.dmaCoherent ?? true) ? { "dma-coherent": fdtEmpty() } : {}),
      ...(children.length > 0 ? { "#address-cells": fdtCells(2), "#size-cells": fdtCells(2), ranges: fdtEmpty() } : {}),
    },
    children.map((c) => masterNode(c, phandle)),
  );
}

/** Adds the master nodes at the end of the root, as a board file would. */
function withMasters(tree: FdtTree, smmuNode: string, masters: readonly PlatformMasterSpec[]): FdtTree | null {
  const smmu = tree.root.children.find((c) => c.name === smmuNode);
  const phandleProp = smmu?.properties.find((p) => p.name === "phandle");
  if (phandleProp === undefined) return null;
  const read = readU32(phandleProp);
  if (!read.ok) return null;
  const nodes = masters.map((m) => masterNode(m, read.value));
  return { ...tree, root: { ...tree.root, children: [...tree.root.children, ...nodes] } };
}

function qemuError(field: string, message: string): PlatformResult {
  return { ok: false, error: { source: "qemu", field, message } };
}

/**
 * Builds a platform from QEMU `virt` options. Errors name the `-device` argument or the option at fault.
 *
 * @example
 * ```ts
 * const p = platformFromQemu({ iommu: "smmuv3", gic: 3, firmware: "acpi",
 *   devices: ["pcie-root-port,id=rp1,chassis=1", "e1000e,romfile=,bus=rp1"] });
 * ```
 */
export function platformFromQemu(options: QemuPlatformOptions = {}): PlatformResult {
  const firmware = options.firmware ?? "dt";
  const built = buildQemuVirtBoard({
    iommu: options.iommu ?? "smmuv3",
    gic: options.gic ?? 3,
    devices: options.devices ?? [],
    firmware,
    memoryBytes: options.memoryBytes ?? 1024 * 2 ** 20,
    defaultNic: false,
  });
  if (!built.ok) {
    const e = built.error;
    return qemuError(`devices: ${e.arg}`, "message" in e ? `${e.kind}: ${e.message}` : e.kind);
  }
  let machine: QemuVirtMachine = built.value;
  const masters = options.platformMasters ?? [];
  const smmu = machine.board.smmus[0];
  if (masters.length > 0) {
    if (smmu === undefined) return qemuError("platformMasters", "platform masters need iommu=smmuv3");
    if (firmware !== "dt") return qemuError("platformMasters", "platform masters are described in the DT only (firmware: dt)");
    const board: Board = { ...machine.board, platformDevices: [...machine.board.platformDevices, ...masters.flatMap((m) => masterDescs(m, smmu.name))] };
    machine = { ...machine, board };
  }
  const name = `qemu-virt${options.iommu === "none" ? "" : "-smmuv3"}-gicv${machine.config.gic}-${firmware}`;
  if (firmware === "acpi") {
    const iort = buildQemuVirtIort(machine);
    const platform: Platform = {
      name,
      board: machine.board,
      firmware: { kind: "acpi", iort, smmuNodes: iortSmmuNodes(machine.board, iort) },
      unmodelledIommus: [],
    };
    return { ok: true, value: platform };
  }
  let tree = buildQemuVirtDt(machine);
  if (masters.length > 0 && smmu !== undefined) {
    const extended = withMasters(tree, smmu.name, masters);
    if (extended === null) return qemuError("platformMasters", `no phandle on /${smmu.name}`);
    tree = extended;
  }
  const dt = DeviceTree.fromTree(tree);
  if (!dt.ok) return { ok: false, error: { source: "dtb", field: dt.error.path ?? "/", offset: dt.error.offset, message: dt.error.message } };
  return { ok: true, value: { name, board: machine.board, firmware: { kind: "dt", dt: dt.value }, unmodelledIommus: [] } };
}

/**
 * {@link platformFromQemu} from a QEMU command line (the `.cmd` fixtures): `-M virt,iommu=..,gic-version=..`,
 * `-device ...`, `-m`, and ACPI when `-bios` is given.
 */
export function platformFromQemuCommandLine(text: string): PlatformResult {
  const cmd = parseQemuCommandLine(text);
  if (!cmd.ok) return qemuError("command line", describeCommandLineError(cmd.error));
  const o = qemuVirtOptionsFromCommandLine(cmd.value);
  const devices = (o.devices ?? []).map((d) => (typeof d === "string" ? d : d.arg));
  return platformFromQemu({
    iommu: o.iommu ?? "none",
    gic: o.gic ?? 2,
    devices,
    firmware: o.firmware ?? "dt",
    ...(o.memoryBytes === undefined ? {} : { memoryBytes: o.memoryBytes }),
  });
}

function describeCommandLineError(e: QemuCommandLineError): string {
  switch (e.kind) {
    case "unterminated-quote":
      return `unterminated quote at offset ${e.offset}`;
    case "no-qemu":
      return e.message;
    case "missing-argument":
      return `${e.option} needs an argument`;
    case "unknown-option":
      return `unknown option ${e.option}`;
    case "unexpected-argument":
      return `unexpected argument ${e.argument}`;
    case "bad-option":
      return `${e.option} ${e.value}: ${e.message}`;
    case "device":
      return `-device ${e.error.arg}: ${e.error.kind}`;
  }
}

/**
 * The kernel command line of a QEMU command line (`-append`), without the console and dyndbg noise removed: the
 * caller passes it to `boot` as is (unknown parameters are ignored there, as the kernel does).
 */
export function kernelCmdlineFromQemu(text: string): string {
  const cmd = parseQemuCommandLine(text);
  return cmd.ok ? (cmd.value.append ?? "") : "";
}

/** Whether an error came from a platform builder (for callers holding an unknown value). */
export function isPlatformError(e: unknown): e is PlatformError {
  return typeof e === "object" && e !== null && "source" in e && "field" in e && "message" in e;
}
