/**
 * Reads the summary fields of a PCI function description (IDs, class, header, PCIe type, ACS, capability list)
 * out of its configuration space, so descriptions cannot disagree with the bytes the guest reads.
 */
import type { PcieDevicePortType, PciFunctionDesc, PciTopologyInput } from "./board";
import { PciConfigSpace } from "./pci-config";
import { PciAcs, PciExtCapId, PciReg, formatPciName } from "./pci-regs";
import { pcieType } from "./pcie-capabilities";
import { enumeratePciBuses } from "./pci-enumerate";
import { PciHierarchy, type PciTopologyError } from "./pci-hierarchy";

const PORT_TYPES: Readonly<Record<number, PcieDevicePortType>> = {
  0x0: "endpoint",
  0x1: "legacy-endpoint",
  0x4: "root-port",
  0x5: "upstream-port",
  0x6: "downstream-port",
  0x7: "pcie-to-pci-bridge",
  0x8: "pci-to-pcie-bridge",
  0x9: "rc-integrated-endpoint",
  0xa: "rc-event-collector",
};

/** The PCIe Device/Port Type name of a `PCI_EXP_TYPE_*` value. */
export function pcieDevicePortTypeName(type: number): PcieDevicePortType | null {
  return PORT_TYPES[type] ?? null;
}

/**
 * A full function description from its topology input, its model name and the bus numbers enumeration gave it
 * (`bus`; for bridges also `secondaryBus` / `subordinateBus`).
 */
export function describePciFunction(
  input: PciTopologyInput,
  model: string,
  numbers: { readonly bus: number; readonly secondaryBus?: number; readonly subordinateBus?: number },
): PciFunctionDesc {
  const cfg = PciConfigSpace.fromImage(input.config);
  const header = cfg.get8(PciReg.HEADER_TYPE);
  const t = pcieType(cfg);
  const acsOff = cfg.findExtCapability(PciExtCapId.ACS);
  return {
    ...input,
    model,
    bus: numbers.bus,
    name: formatPciName(input.segment, numbers.bus, input.devfn),
    vendorId: cfg.get16(PciReg.VENDOR_ID),
    deviceId: cfg.get16(PciReg.DEVICE_ID),
    revision: cfg.get8(PciReg.REVISION_ID),
    classCode: (cfg.get16(PciReg.CLASS_DEVICE) << 8) | cfg.get8(PciReg.CLASS_PROG),
    headerType: header & 0x7f,
    multifunction: (header & 0x80) !== 0,
    express: t === null ? null : pcieDevicePortTypeName(t),
    acs: acsOff === 0 ? null : { offset: acsOff, capabilities: cfg.get16(acsOff + PciAcs.CAP) },
    capabilities: cfg.capabilities(),
    bridge:
      input.bridge === null
        ? null
        : {
            secondaryExpress: input.bridge.secondaryExpress,
            secondaryBus: numbers.secondaryBus ?? 0,
            subordinateBus: numbers.subordinateBus ?? 0,
          },
  };
}

/**
 * Descriptions for a whole hierarchy: builds it, numbers the buses depth-first as firmware would, and reads each
 * function's bus number (and a bridge's secondary/subordinate numbers) back. `inputs` lists parents before children.
 */
export function describePciTopology(
  segment: number,
  rootBusNumber: number,
  inputs: readonly (PciTopologyInput & { readonly model: string })[],
): { ok: true; value: PciFunctionDesc[] } | { ok: false; error: PciTopologyError } {
  const scratch = PciHierarchy.build(segment, rootBusNumber, inputs);
  if (!scratch.ok) return scratch;
  enumeratePciBuses(scratch.value);
  const h = scratch.value;
  return {
    ok: true,
    value: inputs.map((input) => {
      const node = h.byId(input.id);
      const bus = node === undefined ? rootBusNumber : h.busNumber(node.bus);
      const c = node?.config;
      return describePciFunction(input, input.model, {
        bus,
        ...(c === undefined || input.bridge === null
          ? {}
          : { secondaryBus: c.get8(PciReg.SECONDARY_BUS), subordinateBus: c.get8(PciReg.SUBORDINATE_BUS) }),
      });
    }),
  };
}
