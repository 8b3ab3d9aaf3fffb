/**
 * ACPI at `subsys_initcall(acpi_init)`: IORT init (the SMMUv3 platform devices `arm-smmu-v3.N.auto`, and
 * `iort_enable_acs` → `pci_request_acs()` for a root complex mapped to an SMMU), then `acpi_scan_init`, which adds
 * the PCI root bridges (`acpi_pci_root_add`: scan and add the functions). The DSDT is not modelled: one `PNP0A08`
 * root bridge per board host bridge stands for it.
 *
 * @see drivers/acpi/bus.c acpi_init; drivers/acpi/arm64/iort.c acpi_iort_init, iort_init_platform_devices,
 *      iort_enable_acs; drivers/acpi/scan.c acpi_scan_init; drivers/acpi/pci_root.c acpi_pci_root_add
 */
import { PLATFORM_DEVICE, type Device } from "@dmasim/driver-core";
import type { IortTable } from "@dmasim/firmware";
import { acpiPciRootAdd } from "@dmasim/pci";
import type { Kernel } from "../boot/kernel";

/** The SMMU platform devices IORT init created, with their IORT node and board SMMU. */
export interface IortSmmuDevice {
  readonly dev: Device;
  readonly node: number;
  readonly smmu: string;
}

/** What ACPI glue calls back into (DMA configuration at creation, per era). */
export interface AcpiHooks {
  /** `acpi_dma_configure` for a device created by IORT init (v4.7–v4.11 at creation). */
  readonly dmaConfigureAtCreation?: (dev: Device) => void;
  /** The ops registration the seed RFC made when IORT found an SMMU (`of_iommu_set_ops` analogue). */
  readonly smmuFound?: (smmu: IortSmmuDevice) => void;
}

/** Whether an IORT root complex maps any ID to an SMMU (`iort_enable_acs`'s test). */
function rcMapsToSmmu(iort: IortTable, index: number): boolean {
  const n = iort.nodes[index];
  if (n?.type !== "root-complex") return false;
  return n.idMappings.some((m) => {
    const target = m.outputReference === null ? undefined : iort.nodes[m.outputReference];
    return target?.type === "smmu-v3" || target?.type === "smmu";
  });
}

/**
 * `acpi_iort_init` + `iort_init_platform_devices`: in table order, a root complex mapped to an SMMU requests ACS
 * (when the profile's IORT code does), an SMMUv3 node becomes a platform device `arm-smmu-v3.<auto id>.auto`
 * whose fwnode is the IORT node's.
 */
export function iortInitPlatformDevices(k: Kernel, iort: IortTable, smmuNodes: readonly { smmu: string; node: number }[], hooks: AcpiHooks): IortSmmuDevice[] {
  const platform = k.buses.platform;
  const out: IortSmmuDevice[] = [];
  let autoId = 0;
  iort.nodes.forEach((n, index) => {
    if (n.type === "root-complex" && k.profile.acpi.enableAcsAtIortInit && rcMapsToSmmu(iort, index)) k.buses.pci?.requestAcs();
    if (n.type !== "smmu-v3" || platform === null) return;
    const smmu = smmuNodes.find((s) => s.node === index)?.smmu;
    if (smmu === undefined) return;
    const name = `arm-smmu-v3.${autoId++}.auto`;
    const dev = k.core.deviceInitialize({ name, bus: platform, parent: null, fwnode: k.fwnodes.acpi(`iort-node-${index}`, index) });
    dev.setData(PLATFORM_DEVICE, { name: "arm-smmu-v3" });
    const entry = { dev, node: index, smmu };
    k.iortSmmuNodesCreated.add(index);
    k.smmuDeviceNames.set(smmu, name);
    hooks.smmuFound?.(entry);
    hooks.dmaConfigureAtCreation?.(dev);
    k.trace.emit({ type: "fw-device-create", device: name, bus: platform.name, by: "iort" });
    if (k.core.deviceAdd(dev) === 0) {
      k.remember(dev);
      out.push(entry);
    }
  });
  return out;
}

/** `acpi_scan_init` → `acpi_pci_root_add` for every host bridge of the board (the DSDT's `PNP0A08` devices). */
export function acpiScanPciRoots(k: Kernel): void {
  const pci = k.buses.pci;
  if (pci === null) return;
  k.platform.board.pciHostBridges.forEach((hb, i) => {
    const companion = k.fwnodes.acpi(`PNP0A08:${i.toString(16).padStart(2, "0")}`);
    k.trace.emit({ type: "fw-device-create", device: companion.name, bus: null, by: "acpi_scan" });
    acpiPciRootAdd(pci, {
      companion,
      busId: i === 0 ? "PCI0" : `PCI${i.toString(16).toUpperCase()}`,
      segment: hb.segment,
      busRange: hb.busRange,
      windows: hb.windows,
      config: k.machine.pci,
      ecam: hb.ecam,
    });
  });
}
