/**
 * The Standard Hot-Plug Controller of QEMU's PCI bridges (here: `pcie-pci-bridge`): 31 hot-plug slots numbered 1–31
 * (slot 0 is reserved), a register file reachable through the SHPC capability's dword-select / dword-data window,
 * and the slot status bits firmware and Linux's `shpchp` read.
 *
 * @see hw/pci/shpc.c shpc_init, shpc_reset, shpc_cap_add_config, shpc_cap_write_config (QEMU 7.2: the attention
 *      indicator is not reset, so an empty slot reads status 0x0d0f)
 */
import { PciCapId } from "./pci-regs";
import { PciConfigSpace, pow2ceil, rangesOverlap } from "./pci-config";

/** Hot-plug slots of a QEMU SHPC (`SHPC_MAX_SLOTS`). */
export const SHPC_SLOTS = 31;
const CAP_LENGTH = 8;
const CAP_DWORD_SELECT = 2;
const CAP_DWORD_DATA = 4;
const SIZEOF = 0x24 + SHPC_SLOTS * 4;

/** PCI slot number of SHPC slot index `i` (`SHPC_IDX_TO_PCI`): slot 0 is never a hot-plug slot. */
export function shpcIndexToPciSlot(i: number): number {
  return i + 1;
}

/** Size of the BAR that maps the SHPC registers (`shpc_bar_size`). */
export function shpcBarSize(): number {
  return pow2ceil(SIZEOF);
}

/** The SHPC register file of one bridge. */
export class ShpcController {
  readonly regs = new Uint8Array(SIZEOF);
  readonly #wmask = new Uint8Array(SIZEOF);
  readonly #w1cmask = new Uint8Array(SIZEOF);
  readonly #cfg: PciConfigSpace;
  readonly #cap: number;

  /**
   * Adds the SHPC capability to `cfg` (at the first free offset) and attaches a reset controller to it.
   * @see hw/pci/shpc.c shpc_cap_add_config
   */
  static addTo(cfg: PciConfigSpace, populated: (pciSlot: number) => boolean): ShpcController {
    return new ShpcController(cfg, cfg.addCapability(PciCapId.SHPC, 0, CAP_LENGTH), populated);
  }

  /**
   * Attaches a controller to the SHPC capability at `cap` and resets it; `populated(pciSlot)` says whether a device
   * sits at function 0 of that slot on the secondary bus.
   */
  constructor(cfg: PciConfigSpace, cap: number, populated: (pciSlot: number) => boolean) {
    this.#cfg = cfg;
    this.#cap = cap;
    cfg.set8(this.#cap + CAP_DWORD_SELECT, 0xff, cfg.wmask);
    cfg.set32(this.#cap + CAP_DWORD_DATA, 0xffff_ffff, cfg.wmask);
    this.reset(populated);
    // Command code, target; SERR/INT disables; per-slot event disables writable, latches W1C.
    this.#wmask[0x14] = 0xff;
    this.#wmask[0x15] = 0x1f;
    this.#set32(0x20, 0x1 | 0x2 | 0x4 | 0x8, this.#wmask);
    this.#set32(0x20, 0x1_0000 | 0x2_0000, this.#w1cmask);
    for (let i = 0; i < SHPC_SLOTS; i++) {
      this.#wmask[0x24 + 4 * i + 3] = 0x7f;
      this.#w1cmask[0x24 + 4 * i + 2] = 0x1f;
    }
    this.#updateDword();
    cfg.onWrite((off, width) => this.#onConfigWrite(off, width));
  }

  /** Offset of the SHPC capability in config space. */
  get capOffset(): number {
    return this.#cap;
  }

  /** @see hw/pci/shpc.c shpc_reset */
  reset(populated: (pciSlot: number) => boolean): void {
    this.regs.fill(0);
    this.regs[0x0c] = SHPC_SLOTS; // SHPC_NSLOTS
    this.#set32(0x04, SHPC_SLOTS, this.regs); // SHPC_SLOTS_33
    this.regs[0x0d] = shpcIndexToPciSlot(0); // SHPC_FIRST_DEV
    this.#set16(0x0e, 1 | 0x2000 | 0x4000 | 0x8000); // physical slot 1, numbering up, MRL, button
    this.#set32(0x20, 0x1 | 0x2 | 0x4 | 0x8, this.regs); // SERR/INT all disabled
    this.regs[0x13] = 0x1; // SHPC_PROG_IFC 1.0
    for (let i = 0; i < SHPC_SLOTS; i++) {
      const reg = 0x24 + 4 * i;
      this.regs[reg + 3] = 0x7f;
      // enabled, MRL closed, 7.5 W present, power LED on — or disabled, MRL open, empty, power LED off.
      const status = populated(shpcIndexToPciSlot(i)) ? 0x2 | (0x1 << 2) : 0x3 | (0x3 << 2) | 0x100 | (0x3 << 10);
      this.#set16(reg, status);
    }
  }

  /** @see hw/pci/shpc.c shpc_cap_write_config */
  #onConfigWrite(off: number, width: number): void {
    if (!rangesOverlap(off, width, this.#cap, CAP_LENGTH)) return;
    if (rangesOverlap(off, width, this.#cap + CAP_DWORD_DATA, 4)) {
      this.#write(this.#cfg.get8(this.#cap + CAP_DWORD_SELECT) * 4, this.#cfg.get32(this.#cap + CAP_DWORD_DATA));
    }
    this.#updateDword();
  }

  /** @see hw/pci/shpc.c shpc_write (command execution is not modelled) */
  #write(addr: number, value: number): void {
    let v = value >>> 0;
    for (let i = 0; i < 4 && addr + i < SIZEOF; i++, v >>>= 8) {
      const a = addr + i;
      const wm = this.#wmask[a] ?? 0;
      const w1c = this.#w1cmask[a] ?? 0;
      this.regs[a] = (((this.regs[a] ?? 0) & ~wm) | (v & wm)) & ~(v & w1c) & 0xff;
    }
  }

  /** @see hw/pci/shpc.c shpc_cap_update_dword */
  #updateDword(): void {
    const addr = this.#cfg.get8(this.#cap + CAP_DWORD_SELECT) * 4;
    let v = 0;
    for (let i = 3; i >= 0; i--) v = v * 256 + (addr + i < SIZEOF ? (this.regs[addr + i] ?? 0) : 0);
    this.#cfg.set32(this.#cap + CAP_DWORD_DATA, v);
  }

  #set16(off: number, v: number): void {
    this.regs[off] = v & 0xff;
    this.regs[off + 1] = (v >>> 8) & 0xff;
  }

  #set32(off: number, v: number, arr: Uint8Array): void {
    for (let i = 0; i < 4; i++) arr[off + i] = (v >>> (8 * i)) & 0xff;
  }
}
