/**
 * The QEMU 7.2 `virt` machine as a {@link Board}: RAM at 1 GiB, GICv2 (+ v2m) or GICv3 (+ ITS), the SMMUv3 at
 * 0x9050000 in front of the whole `pcie.0` hierarchy (StreamID = requester ID), the `gpex` host bridge with its
 * ECAM at 0x40_1000_0000, the platform devices of the DT, and the PCI functions of the `-device` list with the bus
 * numbers depth-first enumeration assigns.
 *
 * @see hw/arm/virt.c machvirt_init, create_pcie, create_smmu, create_gic
 */
import type { Board, PlatformDeviceDesc, SmmuDesc } from "../board";
import type { QemuCommandLine, QemuDeviceSpec } from "../qemu-cmdline";
import { parseQemuDevice } from "../qemu-cmdline";
import type { QemuDeviceError, Result } from "../qemu-device-types";
import { buildQemuPciTree, type QemuPciFunction } from "../qemu-pci-topology";
import { describePciTopology } from "../pci-describe";
import { ARM_SPI_BASE, NUM_GICV2M_SPIS, NUM_VIRTIO_TRANSPORTS, QEMU_SMMUV3_SID_BITS, VirtIrqmap, VirtMemmap } from "./memmap";

/** What the `virt` builder takes: the `-M` options that change hardware and the `-device` list. */
export interface QemuVirtOptions {
  readonly iommu?: "smmuv3" | "none";
  readonly gic?: 2 | 3;
  /** GICv3 ITS (default on with GICv3). */
  readonly its?: boolean;
  /** `-device` arguments, as strings (`"e1000e,romfile=,bus=rp1"`) or parsed. */
  readonly devices?: readonly (string | QemuDeviceSpec)[];
  /** `-m` in bytes (default 128 MiB, QEMU's default). */
  readonly memoryBytes?: number;
  readonly cpu?: string;
  readonly smp?: number;
  /** `"acpi"` when UEFI firmware runs first (it enumerates PCI buses and builds the IORT); default `"dt"`. */
  readonly firmware?: "dt" | "acpi";
  /**
   * Create QEMU's default NIC (no `-nic none` / `-nodefaults`): a virtio-net-pci plugged by `create_pcie` before the
   * `-device` list, with its default option ROM — which fails as it did in the reference environment (no ROM files).
   */
  readonly defaultNic?: boolean;
}

/** The normalised options, as the DT and IORT builders use them. */
export interface QemuVirtConfig {
  readonly iommu: "smmuv3" | "none";
  readonly gic: 2 | 3;
  readonly its: boolean;
  readonly memoryBytes: number;
  readonly cpu: string;
  readonly smp: number;
  readonly firmware: "dt" | "acpi";
}

/** A built `virt` machine: the board, the normalised options and the QEMU PCI tree behind the board's functions. */
export interface QemuVirtMachine {
  readonly board: Board;
  readonly config: QemuVirtConfig;
  readonly pciTree: readonly QemuPciFunction[];
}

/** The `virt` options a parsed command line asks for. */
export function qemuVirtOptionsFromCommandLine(cmd: QemuCommandLine): QemuVirtOptions {
  return {
    iommu: cmd.machine.iommu,
    gic: cmd.machine.gic,
    its: cmd.machine.its,
    devices: cmd.devices,
    memoryBytes: cmd.memoryBytes,
    cpu: cmd.cpu,
    smp: cmd.smp,
    firmware: cmd.firmware,
    defaultNic: !cmd.noDefaultNic,
  };
}

/**
 * Name of the SMMU on the `virt` board (its DT node name).
 *
 * @see hw/arm/virt.c create_smmu
 */
export const VIRT_SMMU_NAME = `smmuv3@${VirtMemmap.SMMU.base.toString(16)}`;
/**
 * Name of the PCIe host bridge on the `virt` board (its DT node name).
 *
 * @see hw/arm/virt.c create_pcie
 */
export const VIRT_PCIE_NAME = `pcie@${VirtMemmap.PCIE_MMIO.base.toString(16)}`;

/**
 * Builds the `virt` board for `options`.
 *
 * @see hw/arm/virt.c machvirt_init
 */
export function buildQemuVirtBoard(options: QemuVirtOptions = {}): Result<QemuVirtMachine, QemuDeviceError> {
  const config: QemuVirtConfig = {
    iommu: options.iommu ?? "none",
    gic: options.gic ?? 2,
    its: (options.gic ?? 2) === 3 && (options.its ?? true),
    memoryBytes: options.memoryBytes ?? 128 * 2 ** 20,
    cpu: options.cpu ?? "cortex-a57",
    smp: options.smp ?? 1,
    firmware: options.firmware ?? "dt",
  };
  const specs: QemuDeviceSpec[] = [];
  const wanted = [...(options.defaultNic === true ? ["virtio-net-pci"] : []), ...(options.devices ?? [])];
  for (const d of wanted) {
    if (typeof d !== "string") {
      specs.push(d);
      continue;
    }
    const parsed = parseQemuDevice(d);
    if (!parsed.ok) return parsed;
    specs.push(parsed.value);
  }
  const tree = buildQemuPciTree(specs);
  if (!tree.ok) return tree;
  const functions = tree.value.functions;
  const inputs = functions.map((f) => ({
    id: f.id,
    segment: 0,
    upstream: f.bus.parent?.id ?? null,
    devfn: f.devfn,
    config: f.device.config.toImage(),
    bridge: f.device.bridge === null ? null : { secondaryExpress: f.device.bridge.secondaryExpress },
    ...(f.device.dmaAddressSpace === undefined ? {} : { dmaAddressSpace: f.device.dmaAddressSpace }),
  }));
  // Bus numbers as depth-first enumeration assigns them, on a scratch copy of the hierarchy.
  const described = describePciTopology(0, 0, inputs.map((input, i) => ({ ...input, model: functions[i]?.type ?? "unknown" })));
  if (!described.ok) return { ok: false, error: { kind: "realize-failed", arg: described.error.id, message: described.error.message } };
  const pciFunctions = described.value;
  const smmus: SmmuDesc[] =
    config.iommu === "smmuv3"
      ? [
          {
            name: VIRT_SMMU_NAME,
            model: "smmu-v3",
            base: VirtMemmap.SMMU.base,
            size: VirtMemmap.SMMU.size,
            sidBits: QEMU_SMMUV3_SID_BITS,
            irqs: { eventq: VirtIrqmap.SMMU, priq: VirtIrqmap.SMMU + 1, cmdqSync: VirtIrqmap.SMMU + 2, gerror: VirtIrqmap.SMMU + 3 },
            dmaCoherent: true,
          },
        ]
      : [];
  const board: Board = {
    name: `qemu-7.2-virt${config.iommu === "smmuv3" ? "-smmuv3" : ""}-gicv${config.gic}`,
    memory: [{ name: "ram", base: VirtMemmap.MEM.base, size: config.memoryBytes }],
    gic:
      config.gic === 3
        ? {
            version: 3,
            distributor: VirtMemmap.GIC_DIST,
            redistributor: VirtMemmap.GIC_REDIST,
            ...(config.its ? { its: VirtMemmap.GIC_ITS } : {}),
          }
        : {
            version: 2,
            distributor: VirtMemmap.GIC_DIST,
            cpuInterface: VirtMemmap.GIC_CPU,
            v2m: { ...VirtMemmap.GIC_V2M, spiBase: VirtIrqmap.GIC_V2M + ARM_SPI_BASE, spiCount: NUM_GICV2M_SPIS },
          },
    smmus,
    pciHostBridges: [
      {
        name: VIRT_PCIE_NAME,
        segment: 0,
        ecam: VirtMemmap.HIGH_PCIE_ECAM,
        busRange: { first: 0, last: VirtMemmap.HIGH_PCIE_ECAM.size / 2 ** 20 - 1 },
        windows: [
          { kind: "io", cpuBase: VirtMemmap.PCIE_PIO.base, pciBase: 0, size: VirtMemmap.PCIE_PIO.size },
          { kind: "mem32", cpuBase: VirtMemmap.PCIE_MMIO.base, pciBase: VirtMemmap.PCIE_MMIO.base, size: VirtMemmap.PCIE_MMIO.size },
          { kind: "mem64", cpuBase: VirtMemmap.HIGH_PCIE_MMIO.base, pciBase: VirtMemmap.HIGH_PCIE_MMIO.base, size: VirtMemmap.HIGH_PCIE_MMIO.size },
        ],
        // create_smmu: the SMMU is the IOMMU of the primary bus, so every requester below pcie.0 goes through it.
        iommuMap: config.iommu === "smmuv3" ? [{ ridBase: 0, count: 0x1_0000, smmu: VIRT_SMMU_NAME, sidBase: 0 }] : [],
        busNumbering: config.firmware === "acpi" ? "firmware" : "os",
        dmaCoherent: true,
      },
    ],
    pciFunctions,
    platformDevices: virtPlatformDevices(config),
  };
  return { ok: true, value: { board, config, pciTree: functions } };
}

/**
 * Kernel device name for a DT node at the root: `<translated reg address>.<node name without unit address>`, or
 * the full node name when it has no `reg` (`of_device_make_bus_id`).
 */
export function ofDeviceName(nodeName: string, regBase: number | null): string {
  const bare = nodeName.split("@")[0] ?? nodeName;
  return regBase === null ? nodeName : `${regBase.toString(16)}.${bare}`;
}

function platform(
  node: string,
  compatible: readonly string[],
  reg: { base: number; size: number }[],
  dmaCoherent: boolean,
): PlatformDeviceDesc {
  return { name: ofDeviceName(node, reg[0]?.base ?? null), dtNode: node, compatible, reg, iommu: null, dmaCoherent };
}

/** The platform devices the `virt` DT describes (top-level nodes with a `compatible`), in address order. */
function virtPlatformDevices(config: QemuVirtConfig): PlatformDeviceDesc[] {
  const m = VirtMemmap;
  const hex = (n: number): string => n.toString(16);
  const out: PlatformDeviceDesc[] = [
    platform("flash@0", ["cfi-flash"], [{ base: 0, size: 0x400_0000 }, { base: 0x400_0000, size: 0x400_0000 }], false),
    platform(`pl011@${hex(m.UART.base)}`, ["arm,pl011", "arm,primecell"], [m.UART], false),
    platform(`pl031@${hex(m.RTC.base)}`, ["arm,pl031", "arm,primecell"], [m.RTC], false),
    platform(`fw-cfg@${hex(m.FW_CFG.base)}`, ["qemu,fw-cfg-mmio"], [m.FW_CFG], true),
    platform(`pl061@${hex(m.GPIO.base)}`, ["arm,pl061", "arm,primecell"], [m.GPIO], false),
  ];
  if (config.iommu === "smmuv3") out.push(platform(`smmuv3@${hex(m.SMMU.base)}`, ["arm,smmu-v3"], [m.SMMU], true));
  for (let i = 0; i < NUM_VIRTIO_TRANSPORTS; i++) {
    const base = m.MMIO.base + i * m.MMIO.size;
    out.push(platform(`virtio_mmio@${hex(base)}`, ["virtio,mmio"], [{ base, size: m.MMIO.size }], true));
  }
  out.push(platform(`platform-bus@${hex(m.PLATFORM_BUS.base)}`, ["qemu,platform", "simple-bus"], [], false));
  out.push(platform(`pcie@${hex(m.PCIE_MMIO.base)}`, ["pci-host-ecam-generic"], [m.HIGH_PCIE_ECAM], true));
  return out;
}
