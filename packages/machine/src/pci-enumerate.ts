/**
 * Depth-first bus numbering as PCI firmware (EDK2's PciBusDxe) and Linux (`pci_scan_bridge_extend` on bridges left
 * unconfigured) both do it: scan devices 0–31 of a bus in order (functions 1–7 only when function 0 is
 * multifunction); a bridge gets primary = this bus, secondary = the next free number, subordinate = 0xff while
 * its subtree is scanned, then the highest number used below it. Only configuration reads and writes through the
 * host bridge are used, as firmware has nothing else.
 */
import { PciHeaderType, PciReg, pciDevfn } from "./pci-regs";
import type { PciHierarchy } from "./pci-hierarchy";

/** One bridge's assignment. */
export interface BusAssignment {
  readonly bus: number;
  readonly devfn: number;
  readonly primary: number;
  readonly secondary: number;
  readonly subordinate: number;
}

/**
 * Numbers every bridge below the root bus, writing the bus-number registers through configuration writes.
 * Returns the assignments (each recorded when its subtree is finished) and the highest bus number used.
 *
 * @see drivers/pci/probe.c pci_scan_bridge_extend
 */
export function enumeratePciBuses(pci: PciHierarchy): { readonly assignments: BusAssignment[]; readonly lastBus: number } {
  const assignments: BusAssignment[] = [];
  const rootNr = pci.busNumber(pci.root);
  const scan = (busNr: number, last: number, depth: number): number => {
    let max = last;
    if (depth > 255) return max;
    for (let slot = 0; slot < 32; slot++) {
      let functions = 1;
      for (let fn = 0; fn < functions; fn++) {
        const devfn = pciDevfn(slot, fn);
        const vendor = pci.configRead(busNr, devfn, PciReg.VENDOR_ID, 2);
        if (vendor === 0xffff) continue;
        const header = pci.configRead(busNr, devfn, PciReg.HEADER_TYPE, 1);
        if (fn === 0 && (header & PciHeaderType.MULTI_FUNCTION) !== 0) functions = 8;
        if ((header & 0x7f) !== PciHeaderType.BRIDGE || max >= 0xff) continue;
        const secondary = max + 1;
        // primary, secondary, subordinate (0xff while scanning below), secondary latency timer kept
        const old = pci.configRead(busNr, devfn, PciReg.PRIMARY_BUS, 4);
        pci.configWrite(busNr, devfn, PciReg.PRIMARY_BUS, 4, ((old & 0xff00_0000) | (0xff << 16) | (secondary << 8) | busNr) >>> 0);
        max = scan(secondary, secondary, depth + 1);
        pci.configWrite(busNr, devfn, PciReg.SUBORDINATE_BUS, 1, max);
        assignments.push({ bus: busNr, devfn, primary: busNr, secondary, subordinate: max });
      }
    }
    return max;
  };
  const lastBus = scan(rootNr, rootNr, 0);
  return { assignments, lastBus };
}
