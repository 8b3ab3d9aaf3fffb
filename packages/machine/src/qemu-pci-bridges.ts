/**
 * QEMU 7.2's PCI bridge models as config-space recipes — the generic `pcie-root-port` (1b36:000c) and the
 * `pcie-pci-bridge` (1b36:000e) — and the parts of system reset that touch their registers.
 */
import { PCI_CONFIG_SPACE_SIZE, PCI_ERR_SIZEOF, PciBarType, PciReg, PcieType } from "./pci-regs";
import { createPciConfig, msiInit, msixInitExclusiveBar, pciBridgeInit, pmCapInit, ssvidInit } from "./pci-capabilities";
import {
  pcieAcsInit,
  pcieAerInit,
  pcieAerRootInit,
  pcieCapArifwdInit,
  pcieCapDeverrInit,
  pcieCapFillSlotLink,
  pcieCapInit,
  pcieCapRootInit,
  pcieCapSlotInit,
  pcieRootPortReset,
} from "./pcie-capabilities";
import { ShpcController, shpcBarSize } from "./pci-shpc";
import type { PciConfigSpace } from "./pci-config";
import { parseQemuInt, type QemuPciDeviceType } from "./qemu-device-types";

/**
 * `pcie-root-port`: bridge subsystem ID capability, MSI-X (one vector, exclusive BAR 0), a version-2 PCIe capability
 * of type Root Port with a hot-plug slot (`chassis`/`slot` properties; link x32 at 16 GT/s), AER at 0x100 and ACS at
 * 0x148 (SV, TB, RR, CR, UF, DT; control 0 until the OS writes it).
 * @see hw/pci-bridge/pcie_root_port.c rp_realize; hw/pci-bridge/gen_pcie_root_port.c gen_rp_realize
 */
export const pcieRootPort: QemuPciDeviceType = {
  name: "pcie-root-port",
  properties: ["chassis", "slot", "port", "x-speed", "x-width", "bus-reserve", "io-reserve", "mem-reserve", "pref64-reserve"],
  defaultRomfile: null,
  pcie: true,
  realize(ctx) {
    const num = (prop: string, dflt: number, max: number): number | null => {
      const text = ctx.props.get(prop);
      const v = text === undefined ? dflt : parseQemuInt(text);
      return v === null || v > max ? null : v;
    };
    const chassis = num("chassis", 0, 0xff);
    const slot = num("slot", 0, 0x1fff);
    const port = num("port", 0, 0xff);
    if (chassis === null || slot === null || port === null) {
      return { ok: false, error: { kind: "bad-property", arg: ctx.arg, property: "chassis/slot/port", message: "not a valid number" } };
    }
    for (const reserve of ["bus-reserve", "io-reserve", "mem-reserve", "pref64-reserve"]) {
      if (ctx.props.has(reserve)) {
        return { ok: false, error: { kind: "bad-property", arg: ctx.arg, property: reserve, message: "resource reservation (QEMU vendor capability) is not modelled" } };
      }
    }
    const cfg = createPciConfig(
      { vendorId: 0x1b36, deviceId: 0x000c, revision: 0, classCode: 0x060400 },
      { express: true, bridge: true, multifunction: ctx.multifunction },
    );
    // rp_realize
    cfg.set8(PciReg.INTERRUPT_PIN, 1);
    pciBridgeInit(cfg);
    // pcie_port_init_reg: no 66 MHz / fast back-to-back on a PCIe port; some bridge controls hardwired to 0.
    cfg.set16(PciReg.STATUS, 0);
    cfg.set16(PciReg.SEC_STATUS, 0);
    cfg.clearMask(PciReg.BRIDGE_CONTROL, 2, 0x20 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800, cfg.wmask);
    ssvidInit(cfg, 0, 0x1b36, 0);
    msixInitExclusiveBar(cfg, 1, 0);
    pcieCapInit(cfg, 0, PcieType.ROOT_PORT, port);
    pcieCapFillSlotLink(cfg, 4, 32);
    pcieCapArifwdInit(cfg);
    pcieCapDeverrInit(cfg);
    pcieCapSlotInit(cfg, slot, true);
    pcieCapRootInit(cfg);
    pcieAerInit(cfg, PCI_CONFIG_SPACE_SIZE, PCI_ERR_SIZEOF, true);
    pcieAerRootInit(cfg);
    pcieAcsInit(cfg, PCI_CONFIG_SPACE_SIZE + PCI_ERR_SIZEOF);
    return {
      ok: true,
      value: {
        config: cfg,
        bridge: { secondaryExpress: true, slot0Only: true, hotplug: "pcie-slot" },
        chassisSlot: { chassis, slot },
      },
    };
  },
  reset(cfg) {
    pcieRootPortReset(cfg);
    pciBridgeReset(cfg);
    pciBridgeDisableBaseLimit(cfg);
  },
};

/**
 * `pcie-pci-bridge`: a PCI Express to conventional PCI bridge — SHPC capability, a version-2 PCIe capability of type
 * PCI Express-to-PCI bridge, PM, AER at 0x100, 64-bit maskable MSI, and the 64-bit BAR 0 mapping the SHPC registers.
 * Its secondary bus is conventional PCI: requests from below carry the bridge's secondary bus number and devfn 0.
 * @see hw/pci-bridge/pcie_pci_bridge.c pcie_pci_bridge_realize
 */
export const pciePciBridge: QemuPciDeviceType = {
  name: "pcie-pci-bridge",
  properties: ["msi", "shpc"],
  defaultRomfile: null,
  pcie: true,
  realize(ctx) {
    const msi = ctx.props.get("msi") ?? "auto";
    if (!["on", "off", "auto"].includes(msi)) {
      return { ok: false, error: { kind: "bad-property", arg: ctx.arg, property: "msi", message: `bad value ${msi}` } };
    }
    const cfg = createPciConfig(
      { vendorId: 0x1b36, deviceId: 0x000e, revision: 0, classCode: 0x060400 },
      { express: true, bridge: true, multifunction: ctx.multifunction },
    );
    pciBridgeInit(cfg);
    cfg.set8(PciReg.INTERRUPT_PIN, 1);
    // The slot population is applied at reset; here the controller only needs its capability and masks.
    ShpcController.addTo(cfg, () => false);
    pcieCapInit(cfg, 0, PcieType.PCI_BRIDGE, 0);
    pmCapInit(cfg, 0, 0x3);
    pcieCapArifwdInit(cfg);
    pcieCapDeverrInit(cfg);
    pcieAerInit(cfg, PCI_CONFIG_SPACE_SIZE, PCI_ERR_SIZEOF, false);
    if (msi !== "off") msiInit(cfg, 0, 1, true, true);
    cfg.registerBar(0, PciBarType.MEM | PciBarType.MEM_TYPE_64, shpcBarSize());
    return { ok: true, value: { config: cfg, bridge: { secondaryExpress: false, slot0Only: false, hotplug: "shpc" } } };
  },
  reset(cfg) {
    pciBridgeReset(cfg);
  },
};

/**
 * Bridge part of reset: bus numbers, secondary latency, windows and bridge control to 0.
 * @see hw/pci/pci_bridge.c pci_bridge_reset
 */
export function pciBridgeReset(cfg: PciConfigSpace): void {
  cfg.bytes.fill(0, PciReg.PRIMARY_BUS, PciReg.PRIMARY_BUS + 4);
  cfg.clearMask(PciReg.IO_BASE, 1, 0xf0);
  cfg.clearMask(PciReg.IO_LIMIT, 1, 0xf0);
  cfg.clearMask(PciReg.MEMORY_BASE, 2, 0xfff0);
  cfg.clearMask(PciReg.MEMORY_LIMIT, 2, 0xfff0);
  cfg.clearMask(PciReg.PREF_MEMORY_BASE, 2, 0xfff0);
  cfg.clearMask(PciReg.PREF_MEMORY_LIMIT, 2, 0xfff0);
  cfg.set32(PciReg.PREF_BASE_UPPER32, 0);
  cfg.set32(PciReg.PREF_LIMIT_UPPER32, 0);
  cfg.set32(0x30, 0); // I/O base/limit upper 16
  cfg.set16(PciReg.BRIDGE_CONTROL, 0);
}

/**
 * Windows disabled (base above limit), as root ports come out of reset.
 * @see hw/pci/pci_bridge.c pci_bridge_disable_base_limit
 */
export function pciBridgeDisableBaseLimit(cfg: PciConfigSpace): void {
  cfg.orMask(PciReg.IO_BASE, 1, 0xf0);
  cfg.clearMask(PciReg.IO_LIMIT, 1, 0xf0);
  cfg.orMask(PciReg.MEMORY_BASE, 2, 0xfff0);
  cfg.clearMask(PciReg.MEMORY_LIMIT, 2, 0xfff0);
  cfg.orMask(PciReg.PREF_MEMORY_BASE, 2, 0xfff0);
  cfg.clearMask(PciReg.PREF_MEMORY_LIMIT, 2, 0xfff0);
  cfg.set32(PciReg.PREF_BASE_UPPER32, 0);
  cfg.set32(PciReg.PREF_LIMIT_UPPER32, 0);
}
