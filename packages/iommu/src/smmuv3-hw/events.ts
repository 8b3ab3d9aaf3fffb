/**
 * Event records (smmuv3-model.md §4.1, §4.2): IDs, names, and the 32-byte little-endian record format, both the
 * SMMU's encoder and a decoder that reads a record the way Linux's `arm_smmu_evtq_thread` does.
 *
 * @see hw/arm/smmuv3-internal.h EVT_SET_* and SMMUEventType
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h EVTQ_*
 */

/**
 * Event IDs (SPEC §7.3).
 *
 * @see hw/arm/smmuv3-internal.h SMMUEventType
 */
export const EVENT_ID = Object.freeze({
  F_UUT: 0x01,
  C_BAD_STREAMID: 0x02,
  F_STE_FETCH: 0x03,
  C_BAD_STE: 0x04,
  F_BAD_ATS_TREQ: 0x05,
  F_STREAM_DISABLED: 0x06,
  F_TRANSL_FORBIDDEN: 0x07,
  C_BAD_SUBSTREAMID: 0x08,
  F_CD_FETCH: 0x09,
  C_BAD_CD: 0x0a,
  F_WALK_EABT: 0x0b,
  F_TRANSLATION: 0x10,
  F_ADDR_SIZE: 0x11,
  F_ACCESS: 0x12,
  F_PERMISSION: 0x13,
  F_TLB_CONFLICT: 0x20,
  F_CFG_CONFLICT: 0x21,
  E_PAGE_REQUEST: 0x24,
  F_VMS_FETCH: 0x25,
});

/** One of the architected event names. */
export type SmmuEventName = keyof typeof EVENT_ID;

const NAMES: ReadonlyMap<number, SmmuEventName> = new Map(
  (Object.entries(EVENT_ID) as [SmmuEventName, number][]).map(([n, id]) => [id, n] as const),
);

/**
 * `"F_TRANSLATION"` for 0x10; `"IMPDEF_0xe3"` / `"UNKNOWN_0x42"` otherwise.
 *
 * @see hw/arm/smmuv3-internal.h smmu_event_string
 */
export function eventName(id: number): string {
  const n = NAMES.get(id);
  if (n !== undefined) return n;
  const hex = `0x${id.toString(16).padStart(2, "0")}`;
  return id >= 0xe0 && id <= 0xef ? `IMPDEF_${hex}` : `UNKNOWN_${hex}`;
}

/**
 * CLASS field values: what the faulting access was for.
 *
 * @see hw/arm/smmuv3-internal.h EVT_SET_CLASS
 */
export const EVENT_CLASS = Object.freeze({ CD: 0, TT: 1, IN: 2 });

/**
 * The fields of one event record. Absent fields are written as 0 (RES0 / not populated), which is what QEMU does.
 * Addresses are numbers (below 2^53).
 *
 * @see hw/arm/smmuv3-internal.h SMMUEventInfo
 */
export interface SmmuEventRecord {
  readonly id: number;
  readonly sid: number;
  /** SSV: a SubstreamID came with the transaction. */
  readonly ssv?: boolean;
  /** SubstreamID (written whatever SSV says: C_BAD_SUBSTREAMID carries one without SSV). */
  readonly ssid?: number;
  readonly stall?: boolean;
  readonly stag?: number;
  /** PnU: privileged. */
  readonly pnu?: boolean;
  /** InD: instruction fetch. */
  readonly ind?: boolean;
  /** RnW: 1 read, 0 write. */
  readonly rnw?: boolean;
  /** S2: the fault happened at stage 2. */
  readonly s2?: boolean;
  /** CLASS (see {@link EVENT_CLASS}). */
  readonly cls?: number;
  /** InputAddr, dword 2. */
  readonly inputAddr?: number;
  /** FetchAddr / IPA, dword 3 (FetchAddr[55:3]; bits [2:0] are written as 0). */
  readonly addr2?: number;
}

const TWO_32 = 0x1_0000_0000;

/**
 * Encodes a record into eight 32-bit words (word 2n = dword n low half).
 *
 * @see hw/arm/smmuv3.c smmuv3_record_event (EVT_SET_* into struct Evt)
 */
export function encodeEventRecord(r: SmmuEventRecord): Uint32Array {
  const out = new Uint32Array(8);
  let w0 = r.id & 0xff;
  if (r.ssv === true) w0 |= 1 << 11;
  if (r.ssid !== undefined) w0 |= (r.ssid & 0xfffff) << 12;
  out[0] = w0 >>> 0;
  out[1] = r.sid >>> 0;
  out[2] = ((r.stag ?? 0) & 0xffff) | (r.stall === true ? 0x80000000 : 0);
  out[3] =
    (r.pnu === true ? 1 << 1 : 0) |
    (r.ind === true ? 1 << 2 : 0) |
    (r.rnw === true ? 1 << 3 : 0) |
    (r.s2 === true ? 1 << 7 : 0) |
    (((r.cls ?? 0) & 3) << 8);
  const a = r.inputAddr ?? 0;
  out[4] = a % TWO_32;
  out[5] = Math.floor(a / TWO_32);
  const b = r.addr2 ?? 0;
  out[6] = (b % TWO_32) & ~7;
  out[7] = Math.floor(b / TWO_32);
  return out;
}

/**
 * A record as software reads it (Linux's EVTQ_* field view).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h EVTQ_0_ID, EVTQ_0_SID, EVTQ_2_ADDR
 */
export interface DecodedEventRecord {
  readonly id: number;
  readonly name: string;
  readonly ssv: boolean;
  readonly ssid: number;
  readonly sid: number;
  readonly stag: number;
  readonly stall: boolean;
  readonly pnu: boolean;
  readonly ind: boolean;
  readonly rnw: boolean;
  readonly s2: boolean;
  readonly cls: number;
  readonly ttRead: boolean;
  /** InputAddr; exact below 2^53. */
  readonly inputAddr: number;
  /** dword 3 as a number (FetchAddr or IPA). */
  readonly addr2: number;
  /** The four dwords, as Linux prints them after `event 0x%02x received:`. */
  readonly dwords: readonly [bigint, bigint, bigint, bigint];
}

/**
 * Decodes eight 32-bit words (as read from the event queue) into fields.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_handle_evt (FIELD_GET of EVTQ_*)
 */
export function decodeEventRecord(words: ArrayLike<number>): DecodedEventRecord {
  const u = (i: number): number => (words[i] ?? 0) >>> 0;
  const dw = (i: number): bigint => (BigInt(u(2 * i + 1)) << 32n) | BigInt(u(2 * i));
  const id = u(0) & 0xff;
  return {
    id,
    name: eventName(id),
    ssv: ((u(0) >>> 11) & 1) === 1,
    ssid: u(0) >>> 12,
    sid: u(1),
    stag: u(2) & 0xffff,
    stall: ((u(2) >>> 31) & 1) === 1,
    pnu: ((u(3) >>> 1) & 1) === 1,
    ind: ((u(3) >>> 2) & 1) === 1,
    rnw: ((u(3) >>> 3) & 1) === 1,
    s2: ((u(3) >>> 7) & 1) === 1,
    cls: (u(3) >>> 8) & 3,
    ttRead: ((u(3) >>> 12) & 1) === 1,
    inputAddr: u(5) * TWO_32 + u(4),
    addr2: u(7) * TWO_32 + u(6),
    dwords: [dw(0), dw(1), dw(2), dw(3)],
  };
}

/**
 * Formats the four dwords as Linux logs them: `0x%016llx` each.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_evtq_thread
 */
export function formatEventDwords(record: DecodedEventRecord): string[] {
  return record.dwords.map((d) => `0x${d.toString(16).padStart(16, "0")}`);
}
