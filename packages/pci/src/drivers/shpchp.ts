/**
 * The Standard Hot-Plug Controller driver, built into Debian's 6.1 kernel: it claims PCI-to-PCI bridges and keeps
 * those with an SHPC capability whose hot-plug the OS controls — on the QEMU topology boards, the
 * `pcie-pci-bridge` that `pcieport` rejected. The probe reads the controller's register file through the
 * capability's dword-select window, as `shpc_init` does, and prints the `HPC vendor_id ...` line.
 *
 * @see drivers/pci/hotplug/shpchp_core.c is_shpc_capable, shpc_probe, shpcd_init, shpcd_pci_tbl
 * @see drivers/pci/hotplug/shpchp_hpc.c shpc_init, shpc_indirect_read
 * @see drivers/pci/hotplug/acpi_pcihp.c acpi_get_hp_hw_control_from_firmware
 */
import { defineDeviceData, Errno, printk, type Driver, type Result } from "@dmasim/driver-core";
import { PciCapId } from "@dmasim/machine";
import { pciFindCapability, pciReadConfig, pciWriteConfig } from "../config";
import { PciClass } from "../constants";
import { pciSetMaster } from "../enable";
import { definePciDriver, pciDeviceClass, type PciDriverSpec } from "../pci-driver";
import type { PciDev } from "../pci-dev";
import type { PciSubsystem } from "../subsystem";
import { PciIrq, pciAllocIrqVectors, pciFreeIrqVectors } from "./irq-vectors";

const PCI_VENDOR_ID_AMD = 0x1022;
const PCI_DEVICE_ID_AMD_GOLAM_7450 = 0x7450;
const DWORD_SELECT = 2;
const DWORD_DATA = 4;
const SLOT_NUM = 0x0000_001f;
const FIRST_DEV_NUM = 0x0000_1f00;

/** `shpcd_pci_tbl`: any PCI-to-PCI bridge (class 060400). */
export const SHPCHP_ID_TABLE = [pciDeviceClass(PciClass.BRIDGE_PCI_NORMAL, 0xffff_ffff)] as const;

/** What the model's `shpc_init` read from the controller. */
export interface ShpcControllerInfo {
  readonly capOffset: number;
  /** SHPC base offset register (dword 0). */
  readonly baseOffset: number;
  /** Slots the controller implements (slot configuration, dword 3). */
  readonly numSlots: number;
  /** Device number of the first hot-plug slot. */
  readonly firstDeviceNum: number;
  /** Dwords 0 … 8 + numSlots of the register file, as read. */
  readonly registers: readonly number[];
}

/**
 * The `shpchp` controller state of a bound bridge.
 *
 * @see drivers/pci/hotplug/shpchp.h struct controller
 */
export const SHPC_CONTROLLER = defineDeviceData<ShpcControllerInfo>("shpchp");

/**
 * `is_shpc_capable`: the AMD Golam 7450, or an SHPC capability — unless firmware kept hot-plug control (ACPI host
 * bridge whose `_OSC` did not grant SHPC hot-plug; a DT host bridge has no ACPI root and always grants it).
 *
 * @see drivers/pci/hotplug/shpchp_core.c is_shpc_capable
 */
export function isShpcCapable(pdev: PciDev): boolean {
  if (pdev.vendor === PCI_VENDOR_ID_AMD && pdev.device === PCI_DEVICE_ID_AMD_GOLAM_7450) return true;
  if (pciFindCapability(pdev, PciCapId.SHPC) === 0) return false;
  const host = pdev.bus.host;
  if (host.acpiCompanion !== null && !host.nativeShpcHotplug) return false;
  return true;
}

/** `shpc_indirect_read(ctrl, index)`: select a dword of the register file, read it. */
function shpcIndirectRead(pdev: PciDev, cap: number, index: number): number | null {
  if (!pciWriteConfig(pdev, cap + DWORD_SELECT, 1, index)) return null;
  return pciReadConfig(pdev, cap + DWORD_DATA, 4);
}

/**
 * `shpc_init`'s interrupt set-up (`shpchp_poll_mode` is off by default): `pci_enable_msi` — one MSI vector through
 * the bridge's MSI domain, which maps the doorbell into its IOMMU domain unless the domain has it already — and bus
 * mastering; without MSI, the INTx line, with the two lines the driver prints.
 *
 * @see drivers/pci/hotplug/shpchp_hpc.c shpc_init
 */
function shpcEnableInterrupts(pdev: PciDev): void {
  if (pciAllocIrqVectors(pdev, 1, 1, PciIrq.MSI) < 0) {
    const sys = pdev.bus.host.subsystem;
    sys.log("info", pdev, "drivers/pci/hotplug/shpchp_hpc.c", "Can't get msi for the hotplug controller");
    sys.log("info", pdev, "drivers/pci/hotplug/shpchp_hpc.c", "Use INTx for the hotplug controller");
  } else {
    pciSetMaster(pdev);
  }
}

/**
 * `shpc_probe`: -ENODEV when not SHPC-capable or when the register file cannot be read; otherwise reads it,
 * prints `HPC vendor_id %x device_id %x ss_vid %x ss_did %x`, sets up its interrupt (MSI) and binds. Slot
 * registration, `pci_enable_device` and the interrupt handler itself are not modelled.
 *
 * @see drivers/pci/hotplug/shpchp_core.c shpc_probe
 */
export function shpcProbe(pdev: PciDev): number {
  if (!isShpcCapable(pdev)) return -Errno.ENODEV;
  const cap = pciFindCapability(pdev, PciCapId.SHPC);
  const sys = pdev.bus.host.subsystem;
  const file = "drivers/pci/hotplug/shpchp_hpc.c";
  if (cap === 0) {
    sys.log("err", pdev, file, "Cannot find PCI capability");
    return -Errno.ENODEV;
  }
  const base = shpcIndirectRead(pdev, cap, 0);
  const slotConfig = shpcIndirectRead(pdev, cap, 3);
  if (base === null || slotConfig === null) return -Errno.ENODEV;
  const numSlots = slotConfig & SLOT_NUM;
  const registers: number[] = [];
  for (let i = 0; i < 9 + numSlots; i++) {
    const v = shpcIndirectRead(pdev, cap, i);
    if (v === null) return -Errno.ENODEV;
    registers.push(v);
  }
  const x = (n: number): string => n.toString(16);
  sys.log("info", pdev, file, `HPC vendor_id ${x(pdev.vendor)} device_id ${x(pdev.device)} ss_vid ${x(pdev.subsystemVendor)} ss_did ${x(pdev.subsystemDevice)}`);
  shpcEnableInterrupts(pdev);
  pdev.dev.setData(SHPC_CONTROLLER, { capOffset: cap, baseOffset: base, numSlots, firstDeviceNum: (slotConfig & FIRST_DEV_NUM) >>> 8, registers });
  return 0;
}

/** `shpc_driver`. */
export const SHPCHP_DRIVER: PciDriverSpec = definePciDriver({
  name: "shpchp",
  idTable: SHPCHP_ID_TABLE,
  probe: (pdev) => shpcProbe(pdev),
  remove: (pdev) => {
    pciFreeIrqVectors(pdev);
    pdev.dev.deleteData(SHPC_CONTROLLER);
  },
});

/**
 * `shpcd_init` (device_initcall): registers the driver, then prints
 * `shpchp: Standard Hot Plug PCI Controller Driver version: 0.4` (after any probes the registration ran).
 */
export function shpcdInit(sys: PciSubsystem): Result<Driver, number> {
  const r = sys.registerDriver(SHPCHP_DRIVER);
  printk(sys.trace, "info", "shpchp", "drivers/pci/hotplug/shpchp_core.c", "Standard Hot Plug PCI Controller Driver version: 0.4");
  return r;
}
