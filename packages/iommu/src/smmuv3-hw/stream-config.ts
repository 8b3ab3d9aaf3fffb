/**
 * Building a stream's configuration from the tables in memory (smmuv3-model.md §2.5): stream table lookup, STE
 * decode, CD fetch and decode. The result is what the configuration cache holds per StreamID until a CFGI.
 *
 * @see hw/arm/smmuv3.c smmuv3_decode_config, smmuv3_get_config, smmu_get_cd
 */
import { BUS_ERROR } from "@dmasim/machine";
import { decodeCd, type CdTranslationTable } from "./cd";
import { EVENT_ID } from "./events";
import type { RuntimeTable, SmmuV3State, StreamConfig, TranslationContext } from "./state";
import { decodeSte, type SteStage1 } from "./ste";
import { findSte, readWords } from "./stream-table";
import { startLevel } from "./walk";

/** A configuration failure: the event to raise (C_BAD_STREAMID … C_BAD_CD) and why. */
export interface ConfigFault {
  readonly ok: false;
  readonly eventId: number;
  readonly fetchAddr: number | null;
  readonly message: string;
  /** For C_BAD_SUBSTREAMID caused by a CD fetch for SSID 0 on behalf of a non-substream transaction. */
  readonly ssid?: number;
}

const TWO_32 = 0x1_0000_0000;

/**
 * Decodes the configuration of `sid`: finds and decodes the STE, and for a stage-1 STE whose non-substream traffic
 * uses a CD (S1CDMax = 0, or S1DSS = SSID0), fetches and decodes that CD. Nothing is cached on failure, as in QEMU, so
 * the fault is raised again by the next transaction.
 */
export function decodeStreamConfig(s: SmmuV3State, sid: number): { readonly ok: true; readonly value: StreamConfig } | ConfigFault {
  const cfg = s.config;
  const lookup = findSte(
    s.memory,
    {
      strtabBaseLo: s.strtabBaseLo,
      strtabBaseHi: s.strtabBaseHi,
      log2size: s.strtabBaseCfg & 0x3f,
      twoLevel: s.twoLevel,
      split: s.sidSplit,
      sidBits: cfg.sidBits,
      l2BoundQemu: cfg.compat.l2BoundQemu,
    },
    sid,
  );
  if (!lookup.ok) return lookup;
  const decoded = decodeSte(lookup.words, { stage2: false, ssidBits: cfg.ssidBits });
  if (!decoded.ok) {
    return { ok: false, eventId: EVENT_ID.C_BAD_STE, fetchAddr: null, message: `${decoded.error.message} (STE at 0x${lookup.addr.toString(16)})` };
  }
  const ste = decoded.value;
  let cd0: TranslationContext | null = null;
  if (ste.kind === "s1" && (ste.s1CdMax === 0 || ste.s1Dss === 2)) {
    const r = fetchContext(s, ste, 0);
    if (!r.ok) return r;
    cd0 = r.value;
  }
  return { ok: true, value: { sid, steAddr: lookup.addr, ste, cd0, bySsid: new Map() } };
}

/**
 * Fetches and decodes the CD for `ssid` (0 when S1CDMax = 0): directly at S1ContextPtr, through a linear CD table, or
 * through a 2-level one (L1CD: V bit 0, L2Ptr [51:12]; 64 CDs per leaf for S1Fmt 1, 1024 for S1Fmt 2). An L1CD with
 * V = 0 is C_BAD_SUBSTREAMID; a fetch abort is F_CD_FETCH; an ILLEGAL CD is C_BAD_CD.
 */
export function fetchContext(
  s: SmmuV3State,
  ste: SteStage1,
  ssid: number,
): { readonly ok: true; readonly value: TranslationContext } | ConfigFault {
  let cdAddr = ste.contextPtr;
  if (ste.s1CdMax !== 0) {
    if (ste.s1Fmt === 0) {
      cdAddr = ste.contextPtr + ssid * 64;
    } else {
      const split = ste.s1Fmt === 1 ? 6 : 10;
      const l1Addr = ste.contextPtr + Math.floor(ssid / 2 ** split) * 8;
      const lo = s.memory.read32(l1Addr);
      const hi = s.memory.read32(l1Addr + 4);
      if (lo === BUS_ERROR || hi === BUS_ERROR) {
        return { ok: false, eventId: EVENT_ID.F_CD_FETCH, fetchAddr: l1Addr, message: `L1CD fetch at 0x${l1Addr.toString(16)} aborted` };
      }
      if ((lo & 1) === 0) {
        return { ok: false, eventId: EVENT_ID.C_BAD_SUBSTREAMID, fetchAddr: null, message: `L1CD for SSID ${ssid} has V = 0`, ssid };
      }
      cdAddr = (hi & 0xfffff) * TWO_32 + ((lo & ~0xfff) >>> 0) + (ssid % 2 ** split) * 64;
    }
  }
  const words = readWords(s.memory, cdAddr, 16);
  if (words === null) {
    return { ok: false, eventId: EVENT_ID.F_CD_FETCH, fetchAddr: cdAddr, message: `CD fetch at 0x${cdAddr.toString(16)} aborted` };
  }
  const cfg = s.config;
  const r = decodeCd(words, { oas: cfg.oas, gran16k: cfg.gran16k, asid16: cfg.asid16 });
  if (!r.ok) {
    return { ok: false, eventId: EVENT_ID.C_BAD_CD, fetchAddr: null, message: `${r.error.message} (CD at 0x${cdAddr.toString(16)})` };
  }
  const cd = r.value;
  return { ok: true, value: { cd, cdAddr, tt0: runtimeTable(s, cd.asid, cd.tt[0]), tt1: runtimeTable(s, cd.asid, cd.tt[1]) } };
}

function runtimeTable(s: SmmuV3State, asid: number, t: CdTranslationTable): RuntimeTable {
  if (t.disabled) return { ...t, startLevel: 0, space: null, limit: 0 };
  // VMID is -1: the model implements stage 1 only (QEMU uses -1 when S2P is not supported).
  return {
    ...t,
    startLevel: startLevel(t.tsz, t.granuleShift),
    space: s.iotlb.space(asid, -1, t.granuleShift),
    limit: 2 ** (64 - t.tsz),
  };
}
