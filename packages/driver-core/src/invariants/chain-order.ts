/**
 * I-CHAIN-ORDER (d.1.1): within one walk, callbacks run in non-increasing priority, equal priorities in
 * registration order; the walk stops only on a return value with 0x8000 set, and always on one.
 *
 * @see kernel/notifier.c notifier_chain_register, notifier_call_chain
 */
import { coreRecords, violation, type Violation } from "./types";
import type { AnyTraceRecord } from "../format";

interface Registered {
  readonly block: string;
  readonly priority: number;
  readonly order: number;
}

interface WalkState {
  readonly start: number;
  readonly blocks: number;
  readonly expected: readonly Registered[] | null;
  readonly calls: { readonly seq: number; readonly block: string; readonly priority: number; readonly order: number }[];
  lastReturn: { readonly seq: number; readonly ret: number } | null;
  modified: boolean;
  failed: boolean;
}

/** Checks I-CHAIN-ORDER over a trace. */
export function checkChainOrder(records: readonly AnyTraceRecord[]): Violation[] {
  const out: Violation[] = [];
  const chains = new Map<string, Registered[]>();
  const walks = new Map<string, WalkState>();
  const fail = (w: WalkState, data: string | null, message: string, seqs: number[]): void => {
    if (w.failed) return;
    w.failed = true;
    out.push(violation("I-CHAIN-ORDER", data, message, [w.start, ...seqs]));
  };
  for (const r of coreRecords(records)) {
    switch (r.type) {
      case "notifier-register": {
        const list = chains.get(r.chain) ?? [];
        list.push({ block: r.block, priority: r.priority, order: r.order });
        chains.set(r.chain, list);
        for (const [key, w] of walks) if (key.startsWith(`${r.chain}#`)) w.modified = true;
        break;
      }
      case "notifier-unregister": {
        const list = chains.get(r.chain) ?? [];
        const i = list.findIndex((b) => b.order === r.order);
        if (i >= 0) list.splice(i, 1);
        for (const [key, w] of walks) if (key.startsWith(`${r.chain}#`)) w.modified = true;
        break;
      }
      case "notifier-chain-start": {
        const reg = chains.get(r.chain);
        const expected =
          reg === undefined
            ? null
            : [...reg].sort((a, b) => (a.priority !== b.priority ? b.priority - a.priority : a.order - b.order));
        walks.set(`${r.chain}#${r.walk}`, {
          start: r.seq,
          blocks: r.blocks,
          expected,
          calls: [],
          lastReturn: null,
          modified: false,
          failed: false,
        });
        break;
      }
      case "notifier-call": {
        const w = walks.get(`${r.chain}#${r.walk}`);
        if (w === undefined) break;
        const prev = w.calls.at(-1);
        if (w.lastReturn !== null && (w.lastReturn.ret & 0x8000) === 0x8000) {
          fail(w, r.data, `${r.block} was called after a return value with NOTIFY_STOP_MASK set`, [w.lastReturn.seq, r.seq]);
        } else if (prev !== undefined && (prev.priority < r.priority || (prev.priority === r.priority && prev.order > r.order))) {
          fail(
            w,
            r.data,
            `${r.chain} ${r.action}: ${r.block} (priority ${r.priority}, registered #${r.order}) ran after ${prev.block} ` +
              `(priority ${prev.priority}, registered #${prev.order})`,
            [prev.seq, r.seq],
          );
        } else if (w.expected !== null && !w.modified) {
          const want = w.expected[w.calls.length];
          if (want !== undefined && want.order !== r.order) {
            fail(w, r.data, `${r.chain} ${r.action}: expected ${want.block} next, ${r.block} ran`, [r.seq]);
          }
        }
        w.calls.push({ seq: r.seq, block: r.block, priority: r.priority, order: r.order });
        break;
      }
      case "notifier-return": {
        const w = walks.get(`${r.chain}#${r.walk}`);
        if (w !== undefined) w.lastReturn = { seq: r.seq, ret: r.ret };
        break;
      }
      case "notifier-chain-end": {
        const key = `${r.chain}#${r.walk}`;
        const w = walks.get(key);
        walks.delete(key);
        if (w === undefined || w.modified) break;
        const stopped = w.lastReturn !== null && (w.lastReturn.ret & 0x8000) === 0x8000;
        if (w.calls.length < w.blocks && !stopped) {
          fail(w, r.data, `${r.chain} ${r.action}: the walk ended after ${w.calls.length} of ${w.blocks} blocks without a stop`, [r.seq]);
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}
