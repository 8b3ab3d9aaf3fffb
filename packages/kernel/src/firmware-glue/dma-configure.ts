/**
 * Firmware DMA configuration per era: `of_dma_configure` (DT), `acpi_dma_configure` (IORT) and the firmware half of
 * `pci_dma_configure`, each ending in the arm64 `arch_setup_dma_ops` of the profile; where they run (at creation in
 * v4.7–v4.11, at probe from v4.12) is decided by the callers (`of_platform_device_create_pdata`, `pci_device_add`, the
 * buses' `dma_configure`). `dma_deconfigure` (v4.12) and `arch_teardown_dma_ops` (modern unbind cleanup) too.
 *
 * @see drivers/of/device.c of_dma_configure(_id) (v4.7, v4.12, 6.1)
 * @see drivers/acpi/scan.c acpi_dma_configure(_id); drivers/base/dma-mapping.c dma_configure, dma_deconfigure (v4.12)
 * @see drivers/pci/pci-driver.c pci_dma_configure; drivers/base/platform.c platform_dma_configure
 */
import { devPrintk, type Device } from "@dmasim/driver-core";
import type { Arm64DmaSetup } from "@dmasim/dma-mapping";
import { dmaCoherent, type FdtNode, type IortTable } from "@dmasim/firmware";
import type { IommuConfigureResult, IommuCore } from "@dmasim/iommu";
import type { PciDev, PciDmaFirmware } from "@dmasim/pci";
import type { Kernel } from "../boot/kernel";
import { iommuDeviceOf } from "../drivers/observe";
import { isAcpiFwnode, isOfFwnode } from "./fwnode";
import { iortIommuConfigureRfc, ofIommuConfigureSeed } from "./seed-configure";

/** What a firmware configure found, for the trace. */
type Fn = "of_dma_configure" | "acpi_dma_configure" | "pci_dma_configure";

/** The size `arch_setup_dma_ops` is given without `dma-ranges`: `coherent_dma_mask + 1` (32-bit default). */
const DEFAULT_DMA_SIZE = 2 ** 32;

/** The DMA-configuration glue of one kernel. */
export class DmaConfigureGlue {
  readonly #k: Kernel;
  readonly #iommu: IommuCore;
  readonly #arm64: Arm64DmaSetup;
  /** `__iommu_of_table` (v4.12): compatibles of built-in IOMMU drivers with `IOMMU_OF_DECLARE`. */
  readonly #iommuOfTable: readonly string[];

  constructor(k: Kernel, iommu: IommuCore, arm64: Arm64DmaSetup, iommuOfTable: readonly string[]) {
    this.#k = k;
    this.#iommu = iommu;
    this.#arm64 = arm64;
    this.#iommuOfTable = iommuOfTable;
  }

  /** The kernel name of the IOMMU instance a result's ops belong to (for the trace), from the device's fwspec. */
  #iommuName(dev: Device, r: IommuConfigureResult): string | null {
    if (!r.ok || r.ops === null) return null;
    const fwspec = this.#iommu.devIommuFwspecGet(dev);
    const inst = this.#iommu.registeredIommus.find((i) => i.fwnode !== null && i.fwnode === fwspec?.iommuFwnode);
    return inst?.dev?.name ?? r.ops.name;
  }

  #setup(dev: Device, fn: Fn, at: "creation" | "probe", result: IommuConfigureResult, coherent: boolean): number {
    // At creation (v4.7–v4.11) nothing can defer: the callers ignore the result and set the device up without an
    // IOMMU (v4.10 acpi_dma_configure / of_dma_configure passed whatever the lookup gave, NULL included).
    const r: IommuConfigureResult = at === "creation" && !result.ok ? { ok: true, ops: null } : result;
    const ret = r.ok ? 0 : r.errno;
    this.#k.trace.emit({ type: "fw-dma-configure", device: dev.name, fn, at, iommu: this.#iommuName(dev, r), coherent, ret });
    if (!r.ok) {
      if (r.errno === -517) {
        const smmu = iommuDeviceOf(this.#k, dev);
        this.#k.core.deviceSetDeferredProbeReason(dev, `iommu ${smmu ?? "?"} not registered`, smmu);
      }
      return r.errno;
    }
    this.#arm64.archSetupDmaOps(dev, { dmaBase: 0, size: DEFAULT_DMA_SIZE, iommu: r.ops, coherent });
    return 0;
  }

  /**
   * `of_dma_configure(dev, np)`: coherency from `dma-coherent`, the IOMMU from `of_iommu_configure` (-EPROBE_DEFER
   * is returned as is), then `arch_setup_dma_ops`. 6.1 prints the two dyndbg lines of drivers/of/device.c.
   */
  ofDmaConfigure(dev: Device, np: FdtNode, at: "creation" | "probe", fn: Fn = "of_dma_configure"): number {
    const fw = this.#k.platform.firmware;
    if (fw.kind !== "dt") return 0;
    const c = dmaCoherent(fw.dt, np);
    const coherent = c.ok && c.value;
    const debug = this.#k.profile.of.dmaConfigureDebugLines;
    if (debug) devPrintk(this.#k.trace, "debug", dev, "drivers/of/device.c", `device is${coherent ? " " : " not "}dma coherent`);
    const r =
      at === "creation" && this.#k.profile.of.configureAtCreation === "seed-tree"
        ? ofIommuConfigureSeed(this.#k, dev, np)
        : this.#iommu.ofIommuConfigure(dev, np, { dt: fw.dt, fwnodeOf: (n) => this.#k.fwnodes.of(n), iommuOfTable: this.#iommuOfTable });
    if (!r.ok) return this.#setup(dev, fn, at, r, coherent);
    if (debug) devPrintk(this.#k.trace, "debug", dev, "drivers/of/device.c", `device is${r.ops !== null ? " " : " not "}behind an iommu`);
    return this.#setup(dev, fn, at, r, coherent);
  }

  /** `acpi_dma_configure(dev, attr)`: the IOMMU from `iort_iommu_configure`, then `arch_setup_dma_ops`. */
  acpiDmaConfigure(dev: Device, at: "creation" | "probe", coherent: boolean, fn: Fn = "acpi_dma_configure"): number {
    const fw = this.#k.platform.firmware;
    if (fw.kind !== "acpi") return 0;
    if (at === "creation") {
      // v4.7–v4.11 passed NULL ops unless the RFC's IORT configuration supplied them (the seed patch's setting).
      const acpi = this.#k.profile.acpi;
      const seed = acpi.opsAtCreation && acpi.configureAtCreation === "seed-tree";
      return this.#setup(dev, fn, at, !acpi.opsAtCreation ? { ok: true, ops: null } : seed ? iortIommuConfigureRfc(this.#k, dev) : this.#iortCore(dev, fw.iort), coherent);
    }
    return this.#setup(dev, fn, at, this.#iortCore(dev, fw.iort), coherent);
  }

  #iortCore(dev: Device, iort: IortTable): IommuConfigureResult {
    return this.#iommu.iortIommuConfigure(dev, {
      iort,
      fwnodeOf: (node) => (this.#k.iortSmmuNode(node) ? this.#k.fwnodes.acpi(`iort-node-${node}`, node) : null),
      smmuV3Config: this.#k.profile.smmuDriver.builtin ? "builtin" : "module",
      firmwareEra: this.#k.profile.iommu.iortDriverCheck === "enabled" ? "v6.1" : "v4.12",
    });
  }

  /** The firmware half of `pci_dma_configure`: the host bridge's OF node or ACPI companion decides. */
  pciFirmwareDmaConfigure(pdev: PciDev, firmware: PciDmaFirmware, at: "creation" | "probe"): number {
    if (firmware.kind === "of" && isOfFwnode(firmware.node)) return this.ofDmaConfigure(pdev.dev, firmware.node.node, at, "pci_dma_configure");
    if (firmware.kind === "acpi") return this.acpiDmaConfigure(pdev.dev, at, firmware.host.dev !== null, "pci_dma_configure");
    return 0;
  }

  /**
   * `platform_dma_configure` (amba the same): `of_dma_configure` for a device with a DT node, `acpi_dma_configure`
   * for one with an ACPI companion; nothing for the rest (IORT's own SMMU devices have neither).
   */
  platformDmaConfigure(dev: Device): number {
    const fwnode = dev.fwnode;
    if (isOfFwnode(fwnode)) return this.ofDmaConfigure(dev, fwnode.node, "probe");
    if (isAcpiFwnode(fwnode) && fwnode.iortNode === null) return this.acpiDmaConfigure(dev, "probe", true);
    return 0;
  }

  /** `of_dma_deconfigure` / `acpi_dma_deconfigure` / modern `arch_teardown_dma_ops`. */
  archTeardownDmaOps(dev: Device): void {
    this.#arm64.archTeardownDmaOps(dev);
  }
}
