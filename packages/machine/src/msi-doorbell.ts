/**
 * MSI doorbells: the GICv3 ITS translation register (`GITS_TRANSLATER`, frame + 0x10040) and the GICv2m frame's
 * `MSI_SETSPI_NS` (+ 0x40). A DMA write that lands there is an MSI; the doorbell records it with the requester's
 * DeviceID (what the ITS would look up in its device table) — enough to check that an MSI reached the interrupt
 * controller, and from whom, without modelling the GIC.
 *
 * @see hw/intc/arm_gicv3_its.c gicv3_its_translation_write; hw/intc/arm_gicv2m.c gicv2m_write (QEMU)
 */
import type { MmioHandler } from "./mmio";
import type { PhysAddr } from "./memory";

/** `GITS_TRANSLATER` offset in the ITS frame. */
export const GITS_TRANSLATER_OFFSET = 0x1_0040;
/** `MSI_SETSPI_NS` offset in a GICv2m frame. */
export const V2M_MSI_SETSPI_NS_OFFSET = 0x40;
/** `MSI_TYPER` offset in a GICv2m frame. */
export const V2M_MSI_TYPER_OFFSET = 0x08;

/** One write a doorbell received. */
export interface MsiDoorbellWrite {
  readonly doorbell: "gicv3-its" | "gicv2m";
  /** Physical address written. */
  readonly pa: PhysAddr;
  /**
   * ITS: the EventID written. GICv2m: the SPI number written. A write elsewhere in the frame is recorded with
   * `kind: "register"`.
   */
  readonly value: number;
  readonly kind: "msi" | "register";
  /** The requester's DeviceID (PCI requester ID) when the write came from a bus master; `null` from the CPU. */
  readonly deviceId: number | null;
}

/**
 * A doorbell frame, mapped into the MMIO space like any register block.
 *
 * @see hw/intc/arm_gicv3_its.c
 * @see hw/intc/arm_gicv2m.c
 */
export class MsiDoorbell implements MmioHandler {
  readonly kind: "gicv3-its" | "gicv2m";
  readonly base: PhysAddr;
  readonly size: number;
  readonly #spi: { readonly base: number; readonly count: number } | null;
  readonly #received: MsiDoorbellWrite[] = [];

  constructor(kind: "gicv3-its" | "gicv2m", base: PhysAddr, size: number, spi?: { readonly base: number; readonly count: number }) {
    this.kind = kind;
    this.base = base;
    this.size = size;
    this.#spi = spi ?? null;
  }

  /** Every write received, oldest first. */
  get received(): readonly MsiDoorbellWrite[] {
    return this.#received;
  }

  /** The offset that turns a write into an MSI. */
  get doorbellOffset(): number {
    return this.kind === "gicv3-its" ? GITS_TRANSLATER_OFFSET : V2M_MSI_SETSPI_NS_OFFSET;
  }

  /** A 32-bit write from a bus master with requester `deviceId`. */
  deliver(offset: number, value: number, deviceId: number | null): void {
    this.#received.push({
      doorbell: this.kind,
      pa: this.base + offset,
      value: value >>> 0,
      kind: offset === this.doorbellOffset ? "msi" : "register",
      deviceId,
    });
  }

  read32(offset: number): number {
    // GICv2m MSI_TYPER: first SPI in bits 25:16, number of SPIs in bits 9:0.
    if (this.kind === "gicv2m" && offset === V2M_MSI_TYPER_OFFSET && this.#spi !== null) {
      return ((this.#spi.base & 0x3ff) << 16) | (this.#spi.count & 0x3ff);
    }
    return 0;
  }

  write32(offset: number, value: number): void {
    this.deliver(offset, value, null);
  }

  read64(offset: number): bigint {
    return BigInt(this.read32(offset)) | (BigInt(this.read32(offset + 4)) << 32n);
  }

  write64(offset: number, value: bigint): void {
    this.deliver(offset, Number(value & 0xffff_ffffn), null);
  }
}
