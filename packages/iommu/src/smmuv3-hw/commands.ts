/**
 * Command decode (smmuv3-model.md §3.2): the 16-byte little-endian command format, opcodes, and field positions.
 * Execution is in `command-queue.ts`.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h CMDQ_*
 * @see hw/arm/smmuv3-internal.h CMD_* extractors
 */

/**
 * Opcodes (SPEC §4.1.1).
 *
 * @see hw/arm/smmuv3-internal.h SMMUCommandType
 */
export const CMD_OP = Object.freeze({
  PREFETCH_CONFIG: 0x01,
  PREFETCH_ADDR: 0x02,
  CFGI_STE: 0x03,
  /** CMD_CFGI_STE_RANGE; CMD_CFGI_ALL is this with Range = 31. */
  CFGI_STE_RANGE: 0x04,
  CFGI_CD: 0x05,
  CFGI_CD_ALL: 0x06,
  CFGI_VMS_PIDM: 0x07,
  TLBI_NH_ALL: 0x10,
  TLBI_NH_ASID: 0x11,
  TLBI_NH_VA: 0x12,
  TLBI_NH_VAA: 0x13,
  TLBI_EL3_ALL: 0x18,
  TLBI_EL3_VA: 0x1a,
  TLBI_EL2_ALL: 0x20,
  TLBI_EL2_ASID: 0x21,
  TLBI_EL2_VA: 0x22,
  TLBI_EL2_VAA: 0x23,
  TLBI_S12_VMALL: 0x28,
  TLBI_S2_IPA: 0x2a,
  TLBI_NSNH_ALL: 0x30,
  ATC_INV: 0x40,
  PRI_RESP: 0x41,
  RESUME: 0x44,
  STALL_TERM: 0x45,
  SYNC: 0x46,
});

/** Names by opcode (0..255), null where the architecture defines none here. */
const OP_NAMES: readonly (string | null)[] = (() => {
  const names = new Array<string | null>(256).fill(null);
  for (const [n, op] of Object.entries(CMD_OP)) names[op] = `CMD_${n}`;
  return names;
})();

/**
 * `"CMD_CFGI_STE"` for 0x03, `null` for an opcode the architecture does not define here.
 *
 * @see hw/arm/smmuv3-internal.h smmu_cmd_string
 */
export function commandName(opcode: number): string | null {
  return Number.isInteger(opcode) && opcode >= 0 && opcode < 256 ? (OP_NAMES[opcode] ?? null) : null;
}

/**
 * Every field a command may carry, decoded from the two dwords (fields a given opcode lacks read as their bits).
 *
 * @see hw/arm/smmuv3-internal.h struct Cmd and the CMD_* extractors
 */
export interface SmmuCommand {
  readonly opcode: number;
  /** `CMD_*`, with `CMD_CFGI_ALL` for CFGI_STE_RANGE with Range = 31; `null` if the opcode is not defined. */
  readonly name: string | null;
  /** dword0 bit 10: must be 0 on the Non-secure queue. */
  readonly ssec: boolean;
  /** dword0 bit 11. */
  readonly ssv: boolean;
  /** dword0 [31:12]. */
  readonly ssid: number;
  /** dword0 [63:32] (CFGI, PREFETCH, ATC_INV, RESUME). */
  readonly sid: number;
  /** dword0 [47:32] (TLBI). */
  readonly vmid: number;
  /** dword0 [63:48] (TLBI). */
  readonly asid: number;
  /** dword0 [16:12] (TLBI range NUM). */
  readonly num: number;
  /** dword0 [24:20] (TLBI range SCALE). */
  readonly scale: number;
  /** dword0 [13:12] (CMD_SYNC completion signal: 0 none, 1 IRQ, 2 SEV, 3 reserved). */
  readonly cs: number;
  /** dword1 bit 0 (CFGI Leaf, TLBI Leaf). */
  readonly leaf: boolean;
  /** dword1 [4:0] (CFGI_STE_RANGE Range). */
  readonly range: number;
  /** dword1 [9:8] (TLBI TTL). */
  readonly ttl: number;
  /** dword1 [11:10] (TLBI TG). */
  readonly tg: number;
  /** dword1 [63:12] (TLBI VA, PREFETCH_ADDR, ATC_INV Addr). */
  readonly addr: number;
}

/**
 * Decodes a command from its four 32-bit words.
 *
 * @see hw/arm/smmuv3-internal.h CMD_TYPE, CMD_SID, CMD_ASID, CMD_ADDR (the CMD_* extractors)
 */
export function decodeCommand(words: ArrayLike<number>): SmmuCommand {
  return decodeCommandInto(emptyCommand(), words[0] ?? 0, words[1] ?? 0, words[2] ?? 0, words[3] ?? 0);
}

/** A command whose fields the queue's consumer overwrites for each entry (one per SMMU, no allocation per command). */
export type CommandScratch = { -readonly [K in keyof SmmuCommand]: SmmuCommand[K] };

/** A zeroed {@link CommandScratch}. */
export function emptyCommand(): CommandScratch {
  return {
    opcode: 0,
    name: null,
    ssec: false,
    ssv: false,
    ssid: 0,
    sid: 0,
    vmid: 0,
    asid: 0,
    num: 0,
    scale: 0,
    cs: 0,
    leaf: false,
    range: 0,
    ttl: 0,
    tg: 0,
    addr: 0,
  };
}

/** Decodes a command from its four 32-bit words into `out` (returned). */
export function decodeCommandInto(
  out: CommandScratch,
  word0: number,
  word1: number,
  word2: number,
  word3: number,
): CommandScratch {
  const w0 = word0 >>> 0;
  const w1 = word1 >>> 0;
  const w2 = word2 >>> 0;
  const w3 = word3 >>> 0;
  const opcode = w0 & 0xff;
  const range = w2 & 0x1f;
  out.opcode = opcode;
  out.name = opcode === CMD_OP.CFGI_STE_RANGE && range === 31 ? "CMD_CFGI_ALL" : commandName(opcode);
  out.ssec = ((w0 >>> 10) & 1) === 1;
  out.ssv = ((w0 >>> 11) & 1) === 1;
  out.ssid = w0 >>> 12;
  out.sid = w1;
  out.vmid = w1 & 0xffff;
  out.asid = w1 >>> 16;
  out.num = (w0 >>> 12) & 0x1f;
  out.scale = (w0 >>> 20) & 0x1f;
  out.cs = (w0 >>> 12) & 3;
  out.leaf = (w2 & 1) === 1;
  out.range = range;
  out.ttl = (w2 >>> 8) & 3;
  out.tg = (w2 >>> 10) & 3;
  out.addr = w3 * 0x1_0000_0000 + ((w2 & ~0xfff) >>> 0);
  return out;
}

/** The fields worth tracing for a command's opcode. */
export function commandTraceFields(c: SmmuCommand): Record<string, number | boolean> {
  switch (c.opcode) {
    case CMD_OP.PREFETCH_CONFIG:
    case CMD_OP.CFGI_CD_ALL:
    case CMD_OP.STALL_TERM:
      return { sid: c.sid };
    case CMD_OP.CFGI_STE:
      return { sid: c.sid, leaf: c.leaf };
    case CMD_OP.CFGI_STE_RANGE:
      return { sid: c.sid, range: c.range };
    case CMD_OP.CFGI_CD:
      return { sid: c.sid, ssid: c.ssid, leaf: c.leaf };
    case CMD_OP.TLBI_NH_ALL:
    case CMD_OP.TLBI_S12_VMALL:
      return { vmid: c.vmid };
    case CMD_OP.TLBI_NH_ASID:
      return { asid: c.asid, vmid: c.vmid };
    case CMD_OP.TLBI_NH_VA:
    case CMD_OP.TLBI_NH_VAA:
    case CMD_OP.TLBI_EL2_VA:
    case CMD_OP.TLBI_EL2_VAA:
    case CMD_OP.TLBI_S2_IPA:
      return { asid: c.asid, vmid: c.vmid, addr: c.addr, leaf: c.leaf, tg: c.tg, ttl: c.ttl, num: c.num, scale: c.scale };
    case CMD_OP.TLBI_EL2_ASID:
      return { asid: c.asid };
    case CMD_OP.ATC_INV:
    case CMD_OP.PREFETCH_ADDR:
      return { sid: c.sid, ssv: c.ssv, ssid: c.ssid, addr: c.addr };
    case CMD_OP.SYNC:
      return { cs: c.cs };
    default:
      return {};
  }
}

/**
 * Encodes a command (tests and examples build queue contents with it). Unspecified fields are 0.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_cmdq_build_cmd
 */
export function encodeCommand(fields: Partial<Omit<SmmuCommand, "name">> & { readonly opcode: number }): Uint32Array {
  const f = fields;
  let w0 = f.opcode & 0xff;
  if (f.ssec === true) w0 |= 1 << 10;
  if (f.ssv === true) w0 |= 1 << 11;
  if (f.ssid !== undefined) w0 |= (f.ssid & 0xfffff) << 12;
  if (f.num !== undefined) w0 |= (f.num & 0x1f) << 12;
  if (f.scale !== undefined) w0 |= (f.scale & 0x1f) << 20;
  if (f.cs !== undefined) w0 |= (f.cs & 3) << 12;
  let w1 = f.sid ?? 0;
  if (f.vmid !== undefined || f.asid !== undefined) w1 = ((f.asid ?? 0) << 16) | ((f.vmid ?? 0) & 0xffff);
  let w2 = f.leaf === true ? 1 : 0;
  if (f.range !== undefined) w2 |= f.range & 0x1f;
  if (f.ttl !== undefined) w2 |= (f.ttl & 3) << 8;
  if (f.tg !== undefined) w2 |= (f.tg & 3) << 10;
  const addr = f.addr ?? 0;
  w2 |= (addr % 0x1_0000_0000) & ~0xfff;
  const out = new Uint32Array(4);
  out[0] = w0 >>> 0;
  out[1] = w1 >>> 0;
  out[2] = w2 >>> 0;
  out[3] = Math.floor(addr / 0x1_0000_0000) >>> 0;
  return out;
}
