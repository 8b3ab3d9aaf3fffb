/**
 * The ACPI IO Remapping Table as data: the ACPI header fields, then the nodes in table order. References between
 * nodes (ID-mapping output references, the PMCG node reference) are **indices into `nodes`**, not byte offsets, so a
 * board can build a table without doing layout; `writeIort` lays nodes out back to back from offset 0x30 the way
 * QEMU and iasl do, and `parseIort` turns offsets back into indices. A parsed node whose layout differs from that
 * natural one carries a {@link IortNodeLayout} so that it re-encodes byte for byte.
 *
 * Numbers are plain (64-bit fields are safe integers; the parser rejects values above 2^53).
 *
 * @see include/acpi/actbl2.h (struct acpi_table_iort, acpi_iort_node, acpi_iort_*)
 * @see ARM DEN 0049 (IO Remapping Table), revisions A to E.e
 */

/**
 * ACPI node type numbers.
 *
 * @see include/acpi/actbl2.h enum acpi_iort_node_type
 */
export const IORT_NODE_TYPE = {
  "its-group": 0,
  "named-component": 1,
  "root-complex": 2,
  smmu: 3,
  "smmu-v3": 4,
  pmcg: 5,
  rmr: 6,
} as const;

/**
 * A node type by name (`smmu` is the SMMUv1/v2 node, type 3).
 *
 * @see include/acpi/actbl2.h enum acpi_iort_node_type
 */
export type IortNodeType = keyof typeof IORT_NODE_TYPE;

/**
 * ID mapping flag bit 0: the mapping ignores its input and yields `outputBase` (a device's single DeviceID).
 *
 * @see include/acpi/actbl2.h ACPI_IORT_ID_SINGLE_MAPPING
 */
export const IORT_ID_SINGLE_MAPPING = 1;

/** One ID mapping (`struct acpi_iort_id_mapping`, 20 bytes). */
export interface IortIdMapping {
  readonly inputBase: number;
  /**
   * The "Number of IDs" field as written. The specification says it holds the number of IDs in the range **minus
   * one**; older firmware (QEMU before 9.x, for one) wrote the plain count. `iortIdMap` documents how Linux reads it.
   */
  readonly idCount: number;
  readonly outputBase: number;
  /** Index of the output node in `nodes`, or `null` for a zero (NULL) reference. */
  readonly outputReference: number | null;
  /** Raw flags; bit 0 is {@link IORT_ID_SINGLE_MAPPING}. */
  readonly flags: number;
}

/**
 * Where a parsed node sat when that was not where `writeIort` would put it. Absent on nodes laid out naturally
 * (contiguous, ID mappings right after the type-specific data, no trailing padding).
 */
export interface IortNodeLayout {
  /** Byte offset of the node from the start of the table. */
  readonly offset: number;
  /** The node's Length field. */
  readonly length: number;
  /** Offset of the ID-mapping array from the node start (the field's value, kept even with zero mappings). */
  readonly idMappingOffset: number;
}

/**
 * Fields every node has.
 *
 * @see include/acpi/actbl2.h struct acpi_iort_node
 */
export interface IortNodeCommon {
  readonly revision: number;
  /** Node identifier (called Reserved before IORT E.b and zeroed by older iasl). */
  readonly identifier: number;
  readonly idMappings: readonly IortIdMapping[];
  readonly layout?: IortNodeLayout;
}

/** Memory access properties of named components and root complexes (`struct acpi_iort_memory_access`). */
export interface IortMemoryAccess {
  /** 1 = fully coherent (`ACPI_IORT_NODE_COHERENT`). */
  readonly cacheCoherency: number;
  /** Allocation hints (transient, write, read, override). */
  readonly hints: number;
  /** Bit 0 coherent path to memory (CPM), bit 1 device attributes (DACS). */
  readonly memoryFlags: number;
}

/** Type 0: a group of GIC ITSes (`struct acpi_iort_its_group`). */
export interface IortItsGroup extends IortNodeCommon {
  readonly type: "its-group";
  readonly itsIds: readonly number[];
}

/** Type 1: a device described in the ACPI namespace (`struct acpi_iort_named_component`). */
export interface IortNamedComponent extends IortNodeCommon {
  readonly type: "named-component";
  /** Bit 0 stall supported, bits 5:1 PASID bits. */
  readonly nodeFlags: number;
  readonly memoryAccess: IortMemoryAccess;
  readonly memoryAddressLimit: number;
  /** Full namespace path, e.g. `\_SB.UFS0`. */
  readonly deviceName: string;
}

/** Type 2: a PCI root complex (`struct acpi_iort_root_complex`). */
export interface IortRootComplex extends IortNodeCommon {
  readonly type: "root-complex";
  readonly memoryAccess: IortMemoryAccess;
  /** Bit 0 ATS, bit 1 PRI, bit 2 PASID forwarding. */
  readonly atsAttribute: number;
  /** Matched against `pci_domain_nr()` by Linux. */
  readonly pciSegment: number;
  /** Memory address size limit in bits (node revision >= 1; absent in revision-0 nodes). */
  readonly memoryAddressLimit?: number;
  /** PASID capabilities, bits 4:0 max PASID width (node revision >= 4 only). */
  readonly pasidCapabilities?: number;
  /** Root complex flags (IORT E.e; present when the node's data is 40 bytes or more). */
  readonly rcFlags?: number;
}

/** A GSIV with its flags (bit 0 edge-triggered). */
export interface IortInterrupt {
  readonly gsiv: number;
  readonly flags: number;
}

/** Type 3: an SMMUv1 / SMMUv2 / MMU-4x0 / MMU-500 (`struct acpi_iort_smmu`). */
export interface IortSmmu extends IortNodeCommon {
  readonly type: "smmu";
  readonly baseAddress: number;
  readonly span: number;
  /** 0 v1, 1 v2, 2 MMU-400, 3 MMU-500, 4 MMU-401, 5 Cavium ThunderX. */
  readonly model: number;
  /** Bit 0 DVM, bit 1 coherent walk. */
  readonly flags: number;
  /** NSgIrpt and NSgCfgIrpt with their flags. */
  readonly globalInterrupts: { readonly nsgIrpt: IortInterrupt; readonly nsgCfgIrpt: IortInterrupt };
  readonly contextInterrupts: readonly IortInterrupt[];
  readonly pmuInterrupts: readonly IortInterrupt[];
}

/** Type 4: an SMMUv3 (`struct acpi_iort_smmu_v3`). */
export interface IortSmmuV3 extends IortNodeCommon {
  readonly type: "smmu-v3";
  readonly baseAddress: number;
  /** Bit 0 COHACC override, bits 2:1 HTTU override, bit 3 proximity domain valid, bit 4 DeviceID index valid. */
  readonly flags: number;
  readonly vatosAddress: number;
  /** 0 generic, 1 HiSilicon Hi161x, 2 Cavium CN99xx. */
  readonly model: number;
  readonly eventGsiv: number;
  readonly priGsiv: number;
  readonly gerrGsiv: number;
  readonly syncGsiv: number;
  /** Proximity domain (absent in the short revision-0 layout). */
  readonly proximityDomain?: number;
  /** Index of the ID mapping that gives the SMMU's own MSI DeviceID (absent in the revision-0 layout). */
  readonly deviceIdMappingIndex?: number;
}

/** Type 5: a PMCG (`struct acpi_iort_pmcg`). */
export interface IortPmcg extends IortNodeCommon {
  readonly type: "pmcg";
  readonly page0BaseAddress: number;
  readonly overflowGsiv: number;
  /** Index of the node this counter group belongs to, or `null`. */
  readonly nodeReference: number | null;
  /** Page 1 base (absent in the short revision-0 layout). */
  readonly page1BaseAddress?: number;
}

/** A reserved memory range of an RMR node (`struct acpi_iort_rmr_desc`). */
export interface IortRmrDescriptor {
  readonly baseAddress: number;
  readonly length: number;
}

/** Type 6: reserved memory ranges the OS must keep identity-mapped (`struct acpi_iort_rmr`). */
export interface IortRmr extends IortNodeCommon {
  readonly type: "rmr";
  /** Bit 0 remapping permitted, bit 1 access privilege, bits 9:2 access attributes. */
  readonly flags: number;
  readonly descriptors: readonly IortRmrDescriptor[];
}

/**
 * Any IORT node.
 *
 * @see include/acpi/actbl2.h struct acpi_iort_node
 */
export type IortNode = IortItsGroup | IortNamedComponent | IortRootComplex | IortSmmu | IortSmmuV3 | IortPmcg | IortRmr;

/**
 * The whole table.
 *
 * @see include/acpi/actbl2.h struct acpi_table_iort
 */
export interface IortTable {
  /** Table revision: 0 (A), 1 (B), 2 (C), 3 (E.b), 4 (E.c), 5 (E.d), 6 (E.e). */
  readonly revision: number;
  /** 6 characters (`"BOCHS "`). */
  readonly oemId: string;
  /** 8 characters (`"BXPC    "`). */
  readonly oemTableId: string;
  readonly oemRevision: number;
  /** 4 characters (`"BXPC"`). */
  readonly creatorId: string;
  readonly creatorRevision: number;
  readonly nodes: readonly IortNode[];
}

/**
 * The offset at which `writeIort` puts the first node (right after the 48-byte IORT header).
 *
 * @see include/acpi/actbl2.h struct acpi_table_iort
 */
export const IORT_HEADER_SIZE = 0x30;
/**
 * Size of one ID mapping.
 *
 * @see include/acpi/actbl2.h struct acpi_iort_id_mapping
 */
export const IORT_ID_MAPPING_SIZE = 20;
/**
 * Size of the common node header.
 *
 * @see include/acpi/actbl2.h struct acpi_iort_node
 */
export const IORT_NODE_HEADER_SIZE = 16;
