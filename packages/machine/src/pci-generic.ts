/**
 * Configuration space for PCI functions of boards that are not QEMU's: from vendor/device/class, the PCIe
 * Device/Port Type, ACS, MSI/MSI-X and BARs, laid out with the same capability helpers the QEMU recipes use (PCIe
 * capability v2, then MSI-X and MSI first-fit; AER-less; ACS as the first extended capability).
 */
import type { PcieDevicePortType } from "./board";
import { createPciConfig, msiInit, msixInitExclusiveBar, pciBridgeInit } from "./pci-capabilities";
import type { PciConfigImage } from "./pci-config";
import { PCI_CONFIG_SPACE_SIZE, PciBarType, PciReg } from "./pci-regs";
import { pcieAcsInit, pcieCapInit, pcieCapSlotInit } from "./pcie-capabilities";

const TYPE_CODES: Readonly<Record<PcieDevicePortType, number>> = {
  endpoint: 0x0,
  "legacy-endpoint": 0x1,
  "root-port": 0x4,
  "upstream-port": 0x5,
  "downstream-port": 0x6,
  "pcie-to-pci-bridge": 0x7,
  "pci-to-pcie-bridge": 0x8,
  "rc-integrated-endpoint": 0x9,
  "rc-event-collector": 0xa,
};

/** A BAR of a generic function. */
export interface GenericPciBar {
  readonly index: number;
  readonly type: "io" | "mem32" | "mem64" | "mem64-prefetch";
  readonly size: number;
}

/** What a generic function has. */
export interface GenericPciFunctionSpec {
  readonly vendorId: number;
  readonly deviceId: number;
  readonly revision?: number;
  /** 24-bit class code; bridges get 0x060400 whatever is given. */
  readonly classCode: number;
  readonly multifunction?: boolean;
  /** PCIe Device/Port Type, or `null` / absent for conventional PCI. */
  readonly express?: PcieDevicePortType | null;
  /** A conventional PCI-to-PCI bridge (type 1 header without a PCIe capability). */
  readonly conventionalBridge?: boolean;
  /** An ACS extended capability (PCIe only). Downstream ports implement SV, TB, RR, CR, UF and DT. */
  readonly acs?: boolean;
  readonly msiVectors?: number;
  readonly msixVectors?: number;
  readonly bars?: readonly GenericPciBar[];
}

/** Whether a function of this PCIe type has a type 1 (bridge) header. */
export function isBridgeType(t: PcieDevicePortType | null | undefined): boolean {
  return t === "root-port" || t === "upstream-port" || t === "downstream-port" || t === "pcie-to-pci-bridge" || t === "pci-to-pcie-bridge";
}

/** Builds the config space of a generic function. */
export function genericPciConfig(spec: GenericPciFunctionSpec): PciConfigImage {
  const express = spec.express ?? null;
  const bridge = isBridgeType(express) || spec.conventionalBridge === true;
  const cfg = createPciConfig(
    { vendorId: spec.vendorId, deviceId: spec.deviceId, revision: spec.revision ?? 0, classCode: spec.classCode },
    { express: express !== null, bridge, multifunction: spec.multifunction ?? false },
  );
  cfg.set8(PciReg.INTERRUPT_PIN, 1);
  if (bridge) pciBridgeInit(cfg);
  if (express !== null) {
    pcieCapInit(cfg, 0, TYPE_CODES[express], 0);
    if (express === "root-port" || express === "downstream-port") pcieCapSlotInit(cfg, 0, false);
  }
  if ((spec.msixVectors ?? 0) > 0) msixInitExclusiveBar(cfg, spec.msixVectors ?? 0, bridge ? 1 : 5);
  if ((spec.msiVectors ?? 0) > 0) msiInit(cfg, 0, spec.msiVectors ?? 1, true, true);
  for (const bar of spec.bars ?? []) {
    const type =
      bar.type === "io" ? PciBarType.IO : bar.type === "mem32" ? PciBarType.MEM : PciBarType.MEM_TYPE_64 | (bar.type === "mem64-prefetch" ? PciBarType.MEM_PREFETCH : 0);
    cfg.registerBar(bar.index, type, bar.size);
  }
  if (spec.acs === true && express !== null) pcieAcsInit(cfg, PCI_CONFIG_SPACE_SIZE);
  return cfg.toImage();
}
