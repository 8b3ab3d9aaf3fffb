/**
 * The translation of one upstream transaction (smmuv3-model.md §2.6, §4.2, §5): SMMU disabled → GBPA; configuration
 * cache (or stream table + STE + CD decode); abort / bypass / stage 1; IOTLB lookup; walk on a miss; events.
 *
 * @see hw/arm/smmuv3.c smmuv3_translate
 * @see hw/arm/smmu-common.c smmu_translate
 */
import type { IommuTransaction, TranslateOutcome } from "@dmasim/machine";
import { EVENT_CLASS, EVENT_ID, eventName, type SmmuEventRecord } from "./events";
import { recordEvent, traceUnrecorded } from "./event-queue";
import type { IotlbEntry } from "./iotlb";
import { CR0, CR2, GBPA } from "./registers";
import type { RuntimeTable, SmmuV3State, StreamConfig, TranslationContext } from "./state";
import { decodeStreamConfig, fetchContext, type ConfigFault } from "./stream-config";
import { selectTable, walkStage1, type WalkFault } from "./walk";

/**
 * A transaction as the SMMU sees it. `ssid` and `atsTranslated` are optional extensions of the machine's
 * {@link IommuTransaction} (not modelled by QEMU; here for C_BAD_SUBSTREAMID, F_STREAM_DISABLED and
 * F_TRANSL_FORBIDDEN).
 */
export interface SmmuV3Transaction extends IommuTransaction {
  /** The PCIe PASID / SubstreamID, if the transaction carries one (SSV = 1). */
  readonly ssid?: number;
  /** A PCIe ATS "Translated" transaction: its address is already a PA from the device's ATC. */
  readonly atsTranslated?: boolean;
}

const MAX_ADDR = Number.MAX_SAFE_INTEGER;

/**
 * Translates one transaction. Never throws.
 *
 * @remarks The body here is only the hot path, small enough to be inlined into the caller: the same StreamID as the
 * last transaction, a stage-1 configuration, a TTB0 address, and a page-sized IOTLB entry that permits the access.
 * Anything else, including every miss and every fault, goes through {@link translateFull}, which gives the same
 * result for these cases too.
 */
export function translate(s: SmmuV3State, txn: SmmuV3Transaction): TranslateOutcome {
  const iova = txn.iova;
  const cfg = s.lastConfig;
  if (
    txn.streamId === s.lastSid &&
    cfg !== undefined &&
    cfg.cd0 !== null &&
    (s.cr0 & CR0.SMMUEN) !== 0 &&
    iova >= 0 &&
    iova < cfg.cd0.tt0.limit &&
    txn.size > 0 &&
    txn.ssid === undefined &&
    txn.atsTranslated !== true
  ) {
    const space = cfg.cd0.tt0.space;
    if (space !== null && space.blockEntries === 0) {
      const q = iova / space.pageSize;
      const e = space.pageMap.get(q < 2147483648 ? q | 0 : Math.floor(q));
      if (e !== undefined && (e.writable || txn.access !== "write")) {
        s.counters.configHits++;
        s.counters.iotlbHits++;
        return e.lastIova === iova && e.lastOutcome !== null ? e.lastOutcome : outcomeOf(e, iova);
      }
    }
  }
  return translateFull(s, txn);
}

/** The whole translation flow (smmuv3-model.md §2.6); {@link translate} without its hot path. */
export function translateFull(s: SmmuV3State, txn: SmmuV3Transaction): TranslateOutcome {
  const iova = txn.iova;
  if (!(iova >= 0 && iova <= MAX_ADDR) || !(txn.size > 0)) return unsupported(s, txn);
  if (txn.ssid !== undefined || txn.atsTranslated === true) return translateSpecial(s, txn);
  if ((s.cr0 & CR0.SMMUEN) === 0) return disabled(s, txn);
  let cfg = s.lastConfig;
  if (txn.streamId === s.lastSid && cfg !== undefined) {
    s.counters.configHits++;
  } else {
    cfg = s.configCache.get(txn.streamId);
    if (cfg === undefined) {
      const r = fillConfig(s, txn);
      if (!r.ok) return r.outcome;
      cfg = r.cfg;
    } else {
      s.counters.configHits++;
    }
    s.lastSid = txn.streamId;
    s.lastConfig = cfg;
  }
  const ste = cfg.ste;
  if (ste.kind === "s1") {
    const ctx = cfg.cd0;
    if (ctx !== null) return translateStage1(s, txn, ctx);
    // S1CDMax > 0 and no SubstreamID: S1DSS decides (SSID0 was decoded into cd0).
    return ste.s1Dss === 1 ? { kind: "bypass", pa: iova } : raise(s, txn, { id: EVENT_ID.F_STREAM_DISABLED, sid: txn.streamId }, null, "non-substream traffic disabled (S1DSS = terminate)");
  }
  if (ste.kind === "bypass") return { kind: "bypass", pa: iova };
  return silentAbort(s, txn, "ste-abort");
}

/** Stage-1 translation through a decoded CD: IOTLB, then the walk. */
function translateStage1(s: SmmuV3State, txn: SmmuV3Transaction, ctx: TranslationContext): TranslateOutcome {
  const iova = txn.iova;
  const t0 = ctx.tt0;
  // Fast path of select_tt: inputs are below 2^53 < 2^55, so TBI never changes the TTB0 test.
  const tt: RuntimeTable | null = t0.tsz !== 0 && iova < t0.limit ? t0 : selectTable(t0, ctx.tt1, ctx.cd.tbi, iova);
  if (tt === null || tt.space === null) return walkFault(s, txn, ctx, { fault: "translation", level: 0, fetchAddr: null });
  const write = txn.access === "write";
  const hit = s.iotlb.lookup(tt.space, tt.startLevel, iova);
  if (hit !== undefined) {
    s.counters.iotlbHits++;
    if (write && !hit.writable) return walkFault(s, txn, ctx, { fault: "permission", level: hit.level, fetchAddr: null });
    return outcomeOf(hit, iova);
  }
  s.counters.iotlbMisses++;
  // Walk the granule-aligned address (QEMU aligned_addr); the granule is at most 64K, so the low half suffices.
  const r = walkStage1(s.memory, tt, ctx.cd, iova - ((iova >>> 0) & ((1 << tt.granuleShift) - 1)), write, s.config.compat);
  if ("fault" in r) return walkFault(s, txn, ctx, r);
  const flushed = s.iotlb.insert(tt.space, r);
  if (flushed !== 0) {
    s.counters.capacityFlushes++;
    s.emit({ type: "smmu-iotlb-flush", smmu: s.name, reason: "capacity", dropped: flushed });
  }
  return outcomeOf(r, iova);
}

/** The outcome for `iova` through `e`, reusing the entry's last outcome when the address repeats. */
function outcomeOf(e: IotlbEntry, iova: number): TranslateOutcome {
  if (e.lastIova === iova && e.lastOutcome !== null) return e.lastOutcome;
  const out: TranslateOutcome = { kind: "translated", pa: e.pa + (iova - e.iova) };
  e.lastIova = iova;
  e.lastOutcome = out;
  return out;
}

/** Decodes and caches the configuration of the transaction's StreamID, or raises the configuration event. */
function fillConfig(
  s: SmmuV3State,
  txn: SmmuV3Transaction,
): { readonly ok: true; readonly cfg: StreamConfig } | { readonly ok: false; readonly outcome: TranslateOutcome } {
  s.counters.configMisses++;
  const sid = txn.streamId;
  if (!Number.isInteger(sid) || sid < 0 || sid > 0xffffffff) {
    return { ok: false, outcome: configFault(s, txn, { ok: false, eventId: EVENT_ID.C_BAD_STREAMID, fetchAddr: null, message: `StreamID ${sid} is not a 32-bit StreamID` }) };
  }
  const r = decodeStreamConfig(s, sid);
  if (!r.ok) return { ok: false, outcome: configFault(s, txn, r) };
  s.configCache.set(sid, r.value);
  return { ok: true, cfg: r.value };
}

/** Transactions with a SubstreamID or marked ATS-translated (the minimal models of SPEC §7.3.7–§7.3.9). */
function translateSpecial(s: SmmuV3State, txn: SmmuV3Transaction): TranslateOutcome {
  const ats = txn.atsTranslated === true;
  const sid = txn.streamId;
  if ((s.cr0 & CR0.SMMUEN) === 0) {
    if (ats) return forbidden(s, txn, "ATS-translated transaction while SMMUEN = 0");
    return disabled(s, txn);
  }
  // With IDR0.ATS and CR0.ATSCHK = 0, translated transactions bypass the SMMU unchecked.
  if (ats && s.config.ats && (s.cr0 & CR0.ATSCHK) === 0) return { kind: "bypass", pa: txn.iova };
  let cfg = s.configCache.get(sid);
  if (cfg === undefined) {
    const r = fillConfig(s, txn);
    if (!r.ok) return r.outcome;
    cfg = r.cfg;
  } else {
    s.counters.configHits++;
  }
  const ste = cfg.ste;
  if (ste.kind === "abort") return silentAbort(s, txn, "ste-abort");
  if (ats) {
    const eats = s.config.ats ? ste.eats : 0;
    if (ste.kind === "bypass") return forbidden(s, txn, "ATS-translated transaction to a bypass STE");
    if (eats === 0) return forbidden(s, txn, "ATS-translated transaction with STE.EATS = 0");
    return { kind: "bypass", pa: txn.iova };
  }
  const ssid = txn.ssid ?? 0;
  const badSsid = (why: string): TranslateOutcome =>
    raise(s, txn, { id: EVENT_ID.C_BAD_SUBSTREAMID, sid, ssid }, null, `SubstreamID ${ssid}: ${why}`);
  if (ste.kind === "bypass") return badSsid("stage 1 is bypassed (STE.Config = 0b100)");
  if (s.config.ssidBits === 0) return badSsid("IDR1.SSIDSIZE = 0");
  if (ste.s1CdMax === 0) return badSsid("substreams disabled (STE.S1CDMax = 0)");
  if (!Number.isInteger(ssid) || ssid < 0 || ssid >= 2 ** ste.s1CdMax) return badSsid(`beyond 2^S1CDMax (${ste.s1CdMax})`);
  if (ssid === 0 && ste.s1Dss === 2) {
    return raise(s, txn, { id: EVENT_ID.F_STREAM_DISABLED, sid }, null, "SubstreamID 0 is reserved when S1DSS = SSID0");
  }
  let ctx = cfg.bySsid.get(ssid);
  if (ctx === undefined) {
    const r = fetchContext(s, ste, ssid);
    if (!r.ok) return configFault(s, txn, r);
    ctx = r.value;
    cfg.bySsid.set(ssid, ctx);
  }
  return translateStage1(s, txn, ctx);
}

/** SMMUEN = 0: GBPA.ABORT aborts silently, otherwise bypass. */
function disabled(s: SmmuV3State, txn: SmmuV3Transaction): TranslateOutcome {
  if ((s.gbpa & GBPA.ABORT) !== 0) return silentAbort(s, txn, "gbpa-abort");
  return { kind: "bypass", pa: txn.iova };
}

function silentAbort(s: SmmuV3State, txn: SmmuV3Transaction, reason: "ste-abort" | "gbpa-abort"): TranslateOutcome {
  s.emit({ type: "smmu-abort", smmu: s.name, sid: txn.streamId, iova: txn.iova, access: txn.access, reason });
  return { kind: "abort", reason, eventId: null };
}

function ssidFields(txn: SmmuV3Transaction): { ssv: boolean; ssid: number } {
  return { ssv: txn.ssid !== undefined, ssid: txn.ssid ?? 0 };
}

function forbidden(s: SmmuV3State, txn: SmmuV3Transaction, message: string): TranslateOutcome {
  const rec: SmmuEventRecord = { id: EVENT_ID.F_TRANSL_FORBIDDEN, sid: txn.streamId, inputAddr: txn.iova, rnw: txn.access === "read" };
  return raise(s, txn, rec, null, message);
}

/** A malformed transaction (address not a safe non-negative integer, size ≤ 0): F_UUT. */
function unsupported(s: SmmuV3State, txn: SmmuV3Transaction): TranslateOutcome {
  const addr = txn.iova >= 0 && txn.iova <= MAX_ADDR ? Math.floor(txn.iova) : 0;
  const rec: SmmuEventRecord = { id: EVENT_ID.F_UUT, sid: txn.streamId >>> 0, ...ssidFields(txn), inputAddr: addr, rnw: txn.access === "read" };
  return raise(s, txn, rec, null, `unsupported transaction (iova ${String(txn.iova)}, size ${String(txn.size)})`);
}

/** The event of a configuration failure (C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE, C_BAD_SUBSTREAMID, F_CD_FETCH, C_BAD_CD). */
function configFault(s: SmmuV3State, txn: SmmuV3Transaction, f: ConfigFault): TranslateOutcome {
  const base = { id: f.eventId, sid: txn.streamId >>> 0 };
  let rec: SmmuEventRecord;
  switch (f.eventId) {
    case EVENT_ID.C_BAD_SUBSTREAMID:
      rec = { ...base, ssid: f.ssid ?? txn.ssid ?? 0 };
      break;
    case EVENT_ID.F_STE_FETCH:
      rec = { ...base, ...ssidFields(txn), addr2: f.fetchAddr ?? 0 };
      break;
    case EVENT_ID.F_CD_FETCH:
      rec = s.config.compat.cdFetchAddrInDword2
        ? { ...base, ...ssidFields(txn), inputAddr: f.fetchAddr ?? 0 }
        : { ...base, ...ssidFields(txn), addr2: f.fetchAddr ?? 0 };
      break;
    default:
      rec = { ...base, ...ssidFields(txn) };
  }
  if (f.eventId === EVENT_ID.C_BAD_STREAMID && !s.config.compat.recordBadStreamIdAlways && (s.cr2 & CR2.RECINVSID) === 0) {
    traceUnrecorded(s, rec, { access: txn.access, fetchAddr: f.fetchAddr, message: f.message });
    return { kind: "abort", reason: eventName(f.eventId), eventId: null };
  }
  return raise(s, txn, rec, f.fetchAddr, f.message);
}

const WALK_EVENT: Readonly<Record<WalkFault["fault"], number>> = {
  translation: EVENT_ID.F_TRANSLATION,
  "addr-size": EVENT_ID.F_ADDR_SIZE,
  access: EVENT_ID.F_ACCESS,
  permission: EVENT_ID.F_PERMISSION,
  "walk-eabt": EVENT_ID.F_WALK_EABT,
};

/** A stage-1 fault: F_WALK_EABT is always recorded; the others only when CD.R = 1. The device sees an abort. */
function walkFault(s: SmmuV3State, txn: SmmuV3Transaction, ctx: TranslationContext, f: WalkFault): TranslateOutcome {
  const id = WALK_EVENT[f.fault];
  const eabt = f.fault === "walk-eabt";
  const cls = eabt ? EVENT_CLASS.TT : s.config.compat.translationFaultClassZero ? 0 : EVENT_CLASS.IN;
  const rec: SmmuEventRecord = {
    id,
    sid: txn.streamId,
    ...ssidFields(txn),
    inputAddr: txn.iova,
    rnw: txn.access === "read",
    cls,
    ...(eabt ? { addr2: f.fetchAddr ?? 0 } : {}),
  };
  const message = `${f.fault} fault at level ${f.level} (ASID ${ctx.cd.asid})`;
  if (!eabt && !ctx.cd.recordFaults) {
    traceUnrecorded(s, rec, { access: txn.access, fetchAddr: null, message: `${message}; CD.R = 0` });
    return { kind: "abort", reason: eventName(id), eventId: null };
  }
  return raise(s, txn, rec, f.fetchAddr, message);
}

/** Records an event and returns the abort outcome naming it. */
function raise(s: SmmuV3State, txn: SmmuV3Transaction, rec: SmmuEventRecord, fetchAddr: number | null, message: string): TranslateOutcome {
  recordEvent(s, rec, { access: txn.access, fetchAddr, message });
  return { kind: "abort", reason: eventName(rec.id), eventId: rec.id };
}
