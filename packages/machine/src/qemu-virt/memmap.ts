/**
 * QEMU 7.2's `virt` machine memory map and interrupt map (`base_memmap`, `extended_memmap`, `a15irqmap` in
 * hw/arm/virt.c), for a 64-bit guest with `highmem` on, so the PCIe ECAM and the 64-bit MMIO window are the high
 * ones.
 */

/** Base/size pairs of the `virt` memory map. */
export const VirtMemmap = {
  FLASH: { base: 0x0000_0000, size: 0x0800_0000 },
  GIC_DIST: { base: 0x0800_0000, size: 0x0001_0000 },
  GIC_CPU: { base: 0x0801_0000, size: 0x0001_0000 },
  GIC_V2M: { base: 0x0802_0000, size: 0x0000_1000 },
  GIC_ITS: { base: 0x0808_0000, size: 0x0002_0000 },
  GIC_REDIST: { base: 0x080a_0000, size: 0x00f6_0000 },
  UART: { base: 0x0900_0000, size: 0x0000_1000 },
  RTC: { base: 0x0901_0000, size: 0x0000_1000 },
  FW_CFG: { base: 0x0902_0000, size: 0x0000_0018 },
  GPIO: { base: 0x0903_0000, size: 0x0000_1000 },
  SMMU: { base: 0x0905_0000, size: 0x0002_0000 },
  MMIO: { base: 0x0a00_0000, size: 0x0000_0200 },
  PLATFORM_BUS: { base: 0x0c00_0000, size: 0x0200_0000 },
  PCIE_MMIO: { base: 0x1000_0000, size: 0x2eff_0000 },
  PCIE_PIO: { base: 0x3eff_0000, size: 0x0001_0000 },
  MEM: { base: 0x4000_0000, size: 0 },
  HIGH_PCIE_ECAM: { base: 0x40_1000_0000, size: 0x1000_0000 },
  HIGH_PCIE_MMIO: { base: 0x80_0000_0000, size: 0x80_0000_0000 },
} as const;

/** SPI numbers (DT numbering; GSIV = SPI + 32) of the `virt` devices (`a15irqmap`). */
export const VirtIrqmap = {
  UART: 1,
  RTC: 2,
  PCIE: 3,
  GPIO: 7,
  MMIO: 16,
  GIC_V2M: 48,
  SMMU: 74,
  PLATFORM_BUS: 112,
} as const;

/** Number of virtio-mmio transports (`NUM_VIRTIO_TRANSPORTS`). */
export const NUM_VIRTIO_TRANSPORTS = 32;
/** SPIs of the GICv2m frame (`NUM_GICV2M_SPIS`). */
export const NUM_GICV2M_SPIS = 64;
/** First SPI INTID (`ARM_SPI_BASE`). */
export const ARM_SPI_BASE = 32;
/** StreamID width of QEMU's SMMUv3 (`SMMU_IDR1.SIDSIZE`, `SMMU_IDR1_SIDSIZE` = 16). */
export const QEMU_SMMUV3_SID_BITS = 16;
