/**
 * QEMU 7.2's PCI endpoint models as config-space recipes: the `gpex` host bridge function, virtio-pci (transitional
 * on the root bus, modern-only below a PCIe port), e1000e and nvme. Each follows its QEMU realize step by step;
 * the resulting bytes are checked against the guest's `hexdump` of every function in the `-cfg` boot logs.
 */
import { PCI_ERR_SIZEOF, PciBarType, PciReg } from "./pci-regs";
import { createPciConfig, le32, msiInit, msixInit, msixInitExclusiveBar, pmCapInit, PM_CTRL_STATE_MASK, vendorCapInit } from "./pci-capabilities";
import {
  pcieAerInit,
  pcieCapDeverrInit,
  pcieCapFlrInit,
  pcieCapInit,
  pcieCapLnkctlInit,
  pcieCapV1Init,
  pcieDsnInit,
  pcieEndpointType,
} from "./pcie-capabilities";
import { pow2ceil } from "./pci-config";
import { parseQemuInt, type QemuPciDeviceType, type QemuRealizeContext } from "./qemu-device-types";

/**
 * The host bridge's own function at 00:00.0 (`gpex-root`, 1b36:0008, class 0x0600), a conventional PCI function
 * with no capabilities.
 * @see hw/pci-host/gpex.c gpex_root_class_init
 */
export const gpexRoot: QemuPciDeviceType = {
  name: "gpex-root",
  properties: [],
  defaultRomfile: null,
  pcie: false,
  realize: (ctx) => ({
    ok: true,
    value: {
      config: createPciConfig(
        { vendorId: 0x1b36, deviceId: 0x0008, revision: 0, classCode: 0x060000 },
        { express: false, bridge: false, multifunction: ctx.multifunction },
      ),
      bridge: null,
    },
  }),
};

interface VirtioModel {
  readonly name: string;
  readonly virtioId: number;
  readonly transitionalDeviceId: number;
  readonly classCode: number;
  /** Default MSI-X vectors. */
  readonly vectors: number;
  /** Device config length with default features (sizes the legacy I/O BAR). */
  readonly configLen: number;
  readonly nic: boolean;
  readonly romfile: string | null;
}

/**
 * virtio-pci: legacy I/O BAR 0 (transitional only), MSI-X in its own BAR 1, the modern capabilities (common, ISR,
 * device, notify, pci-cfg) pointing into the 64-bit prefetchable BAR 4. Below a PCIe port the function is PCI
 * Express, modern-only (device ID 0x1040 + virtio ID, revision 1) with a PCIe and a PM capability; on the root bus it
 * is conventional PCI and transitional.
 * @see hw/virtio/virtio-pci.c virtio_pci_realize, virtio_pci_device_plugged
 */
function virtioPci(m: VirtioModel): QemuPciDeviceType {
  return {
    name: m.name,
    properties: ["vectors", "disable-legacy", "disable-modern", "mac", "netdev", "serial", "rng", "iommu_platform"],
    defaultRomfile: m.romfile,
    pcie: true,
    realize(ctx) {
      const pciePort = ctx.bus.express && !ctx.bus.root;
      const legacyProp = ctx.props.get("disable-legacy") ?? "auto";
      const legacy = legacyProp === "auto" ? !pciePort : legacyProp === "off";
      const modern = (ctx.props.get("disable-modern") ?? "off") === "off";
      if (!legacy && !modern) {
        return { ok: false, error: { kind: "realize-failed", arg: ctx.arg, message: "device is neither legacy nor modern" } };
      }
      const vectorsText = ctx.props.get("vectors");
      const vectors = vectorsText === undefined ? m.vectors : parseQemuInt(vectorsText);
      if (vectors === null || vectors > 2048) {
        return { ok: false, error: { kind: "bad-property", arg: ctx.arg, property: "vectors", message: `bad value ${vectorsText ?? ""}` } };
      }
      const cfg = createPciConfig(
        {
          vendorId: 0x1af4,
          deviceId: legacy ? m.transitionalDeviceId : 0x1040 + m.virtioId,
          revision: legacy ? 0 : 1,
          classCode: m.classCode,
        },
        { express: pciePort, bridge: false, multifunction: ctx.multifunction },
      );
      if (pciePort) {
        pcieCapInit(cfg, 0, pcieEndpointType(false), 0);
        pmCapInit(cfg, 0, 0x3, { ctrlWmask: PM_CTRL_STATE_MASK });
        pcieCapDeverrInit(cfg);
        pcieCapLnkctlInit(cfg);
        pcieCapFlrInit(cfg);
      }
      // virtio_pci_device_plugged
      if (legacy) cfg.set16(PciReg.SUBSYSTEM_ID, m.virtioId);
      cfg.set8(PciReg.INTERRUPT_PIN, 1);
      if (modern) {
        const region = (type: number, offset: number, extra: number[] = []): number[] => {
          const len = 16 + extra.length;
          return [len, type, 4, 0, 0, 0, ...le32(offset), ...le32(0x1000), ...extra];
        };
        vendorCapInit(cfg, region(1, 0x0000)); // common
        vendorCapInit(cfg, region(3, 0x1000)); // ISR
        vendorCapInit(cfg, region(4, 0x2000)); // device
        vendorCapInit(cfg, region(2, 0x3000, le32(4))); // notify, multiplier 4
        cfg.registerBar(4, PciBarType.MEM | PciBarType.MEM_PREFETCH | PciBarType.MEM_TYPE_64, pow2ceil(0x4000));
        const pciCfg = vendorCapInit(cfg, [20, 5, 0, 0, 0, 0, ...le32(0), ...le32(0), ...le32(0)]);
        cfg.set8(pciCfg + 4, 0xff, cfg.wmask);
        cfg.set32(pciCfg + 8, 0xffff_ffff, cfg.wmask);
        cfg.set32(pciCfg + 12, 0xffff_ffff, cfg.wmask);
        cfg.set32(pciCfg + 16, 0xffff_ffff, cfg.wmask);
      }
      if (vectors > 0) msixInitExclusiveBar(cfg, vectors, 1);
      if (legacy) cfg.registerBar(0, PciBarType.IO, pow2ceil((vectors > 0 ? 24 : 20) + m.configLen));
      const mac = m.nic ? ctx.nextMac() : undefined;
      // virtio_bus_device_plugged: without VIRTIO_F_IOMMU_PLATFORM the device reaches guest memory directly.
      const iommuPlatform = ctx.props.get("iommu_platform");
      if (iommuPlatform !== undefined && !["on", "off", "true", "false"].includes(iommuPlatform)) {
        return { ok: false, error: { kind: "bad-property", arg: ctx.arg, property: "iommu_platform", message: `bad value ${iommuPlatform}` } };
      }
      const dmaAddressSpace = iommuPlatform === "on" || iommuPlatform === "true" ? "bus-master" : "memory";
      return { ok: true, value: { config: cfg, bridge: null, dmaAddressSpace, ...(mac === undefined ? {} : { mac }) } };
    },
  };
}

/** virtio-net-pci: 4 MSI-X vectors (2 × queue pairs + 2), 8 bytes of device config (MAC + status). */
export const virtioNetPci = virtioPci({
  name: "virtio-net-pci",
  virtioId: 1,
  transitionalDeviceId: 0x1000,
  classCode: 0x020000,
  vectors: 4,
  configLen: 8,
  nic: true,
  romfile: "efi-virtio.rom",
});

/** virtio-rng-pci: class 0x00ff00 (PCI_CLASS_OTHERS), 2 MSI-X vectors, no device config. */
export const virtioRngPci = virtioPci({
  name: "virtio-rng-pci",
  virtioId: 4,
  transitionalDeviceId: 0x1005,
  classCode: 0x00ff00,
  vectors: 2,
  configLen: 0,
  nic: false,
  romfile: null,
});

/**
 * e1000e (Intel 82574L, 8086:10d3): MMIO, flash, I/O and MSI-X BARs; MSI-X at 0xa0, a version-1 PCIe capability at
 * 0xe0, MSI at 0xd0, PM at 0xc8, AER at 0x100 and a serial number derived from the MAC at 0x140.
 * @see hw/net/e1000e.c e1000e_pci_realize, e1000e_gen_dsn, e1000e_add_pm_capability
 */
export const e1000e: QemuPciDeviceType = {
  name: "e1000e",
  properties: ["mac", "netdev", "subsys", "subsys_ven", "disable_vnet_hdr"],
  defaultRomfile: "efi-e1000e.rom",
  pcie: true,
  realize(ctx: QemuRealizeContext) {
    // INTERFACE_PCIE_DEVICE only: always PCI Express, whatever the bus.
    const express = true;
    const subsysVen = parseQemuInt(ctx.props.get("subsys_ven") ?? "0x8086");
    const subsys = parseQemuInt(ctx.props.get("subsys") ?? "0");
    if (subsysVen === null || subsys === null) {
      return { ok: false, error: { kind: "bad-property", arg: ctx.arg, property: "subsys", message: "not a number" } };
    }
    const cfg = createPciConfig(
      { vendorId: 0x8086, deviceId: 0x10d3, revision: 0, classCode: 0x020000, subsystem: { vendorId: subsysVen, id: subsys } },
      { express, bridge: false, multifunction: ctx.multifunction },
    );
    cfg.set8(PciReg.CACHE_LINE_SIZE, 0x10);
    cfg.set8(PciReg.INTERRUPT_PIN, 1);
    cfg.registerBar(0, PciBarType.MEM, 0x20000);
    cfg.registerBar(1, PciBarType.MEM, 0x20000);
    cfg.registerBar(2, PciBarType.IO, 0x20);
    cfg.registerBar(3, PciBarType.MEM, 0x4000);
    const mac = ctx.nextMac();
    msixInit(cfg, 5, { bar: 3, offset: 0 }, { bar: 3, offset: 0x2000 }, 0xa0);
    pcieCapV1Init(cfg, 0xe0, pcieEndpointType(ctx.bus.root && ctx.bus.express), 0);
    msiInit(cfg, 0xd0, 1, true, false);
    pmCapInit(cfg, 0xc8, 0x2 | 0x20, { ctrlWmask: PM_CTRL_STATE_MASK | 0x0100 | 0x1e00, ctrlW1c: 0x8000 });
    pcieAerInit(cfg, 0x100, PCI_ERR_SIZEOF, false);
    // e1000e_gen_dsn: MAC bytes around 0xff 0xff.
    const [m0, m1, m2, m3, m4, m5] = mac.map((b) => b & 0xff) as [number, number, number, number, number, number];
    pcieDsnInit(cfg, 0x140, ((m0 << 24) | (m1 << 16) | (m2 << 8) | 0xff) >>> 0, ((0xff << 24) | (m3 << 16) | (m4 << 8) | m5) >>> 0);
    return { ok: true, value: { config: cfg, bridge: null, mac } };
  },
};

/**
 * nvme (1b36:0010, class 0x010802, revision 2): PM at 0x60, a version-2 PCIe endpoint capability with FLR at 0x80,
 * MSI-X with 65 vectors in BAR 0 (a 64-bit BAR holding registers, doorbells, table and PBA). The `serial` property is
 * mandatory.
 * @see hw/nvme/ctrl.c nvme_init_pci, nvme_bar_size, nvme_add_pm_capability, nvme_check_constraints
 */
export const nvme: QemuPciDeviceType = {
  name: "nvme",
  properties: ["serial", "drive", "msix_qsize", "max_ioqpairs", "num_queues"],
  defaultRomfile: null,
  pcie: true,
  realize(ctx) {
    if ((ctx.props.get("serial") ?? "") === "") {
      return { ok: false, error: { kind: "bad-property", arg: ctx.arg, property: "serial", message: "serial property not set" } };
    }
    const qsize = parseQemuInt(ctx.props.get("msix_qsize") ?? "65");
    const ioq = parseQemuInt(ctx.props.get("max_ioqpairs") ?? "64");
    if (qsize === null || qsize < 1 || qsize > 2048 || ioq === null || ioq < 1 || ioq > 65535) {
      return { ok: false, error: { kind: "bad-property", arg: ctx.arg, property: "msix_qsize", message: "out of range" } };
    }
    const express = true;
    const cfg = createPciConfig(
      { vendorId: 0x1b36, deviceId: 0x0010, revision: 2, classCode: 0x010802 },
      { express, bridge: false, multifunction: ctx.multifunction },
    );
    cfg.set8(PciReg.INTERRUPT_PIN, 1);
    pmCapInit(cfg, 0x60, 0x3, { ctrl: 0x0008, ctrlWmask: PM_CTRL_STATE_MASK });
    pcieCapInit(cfg, 0x80, pcieEndpointType(ctx.bus.root && ctx.bus.express), 0);
    pcieCapFlrInit(cfg);
    // nvme_bar_size(max_ioqpairs + 1, msix_qsize)
    let size = 4096 + 2 * (ioq + 1) * 4;
    size = Math.ceil(size / 4096) * 4096;
    const tableOffset = size;
    size = Math.ceil((size + 16 * qsize) / 4096) * 4096;
    const pbaOffset = size;
    size = pow2ceil(size + Math.ceil(qsize / 64) * 8);
    cfg.registerBar(0, PciBarType.MEM | PciBarType.MEM_TYPE_64, size);
    msixInit(cfg, qsize, { bar: 0, offset: tableOffset }, { bar: 0, offset: pbaOffset }, 0);
    return { ok: true, value: { config: cfg, bridge: null } };
  },
};

