/**
 * Notifier chains: priority-sorted callback lists whose walk stops on a return value with the stop bit set.
 *
 * @see kernel/notifier.c notifier_chain_register, notifier_call_chain
 * @see include/linux/notifier.h
 */
import { KernelError } from "./errno";
import type { TraceSink } from "./trace";

/** "Don't care". @see include/linux/notifier.h NOTIFY_DONE */
export const NOTIFY_DONE = 0x0000;
/** "Suits me". @see include/linux/notifier.h NOTIFY_OK */
export const NOTIFY_OK = 0x0001;
/** "Don't call further". @see include/linux/notifier.h NOTIFY_STOP_MASK */
export const NOTIFY_STOP_MASK = 0x8000;
/** Bad/veto action, stops the walk. @see include/linux/notifier.h NOTIFY_BAD */
export const NOTIFY_BAD = NOTIFY_STOP_MASK | 0x0002;
/** Clean way to return from the notifier and stop further calls. @see include/linux/notifier.h NOTIFY_STOP */
export const NOTIFY_STOP = NOTIFY_OK | NOTIFY_STOP_MASK;

/**
 * Encapsulates an errno in a notifier return value: 0 gives `NOTIFY_OK`, an error gives a value with the stop bit.
 *
 * @see include/linux/notifier.h notifier_from_errno
 */
export function notifierFromErrno(err: number): number {
  return err ? NOTIFY_STOP_MASK | (NOTIFY_OK - err) : NOTIFY_OK;
}

/**
 * Recovers the errno packed by {@link notifierFromErrno}; 0 for `NOTIFY_DONE`/`NOTIFY_OK`/`NOTIFY_STOP`.
 *
 * @see include/linux/notifier.h notifier_to_errno
 */
export function notifierToErrno(ret: number): number {
  const value = ret & ~NOTIFY_STOP_MASK;
  return value > NOTIFY_OK ? NOTIFY_OK - value : 0;
}

/**
 * Whether a callback's return value stops the walk: `(ret & NOTIFY_STOP_MASK) == NOTIFY_STOP_MASK` on a C `int`.
 * JavaScript bit operators work on 32-bit two's complement, so a raw negative errno such as -19 (0xFFFFFFED) has
 * the bit set and stops the walk, exactly the v4.7 `iommu_bus_notifier` subtlety (kernel-behaviour.md a.2).
 *
 * @see kernel/notifier.c notifier_call_chain
 */
export function notifierStops(ret: number): boolean {
  return (ret & NOTIFY_STOP_MASK) === NOTIFY_STOP_MASK;
}

/**
 * A callback on a chain.
 *
 * @see include/linux/notifier.h struct notifier_block
 */
export interface NotifierBlock<TAction, TData> {
  /** The C function name, for the trace (e.g. `"iommu_bus_notifier"`). */
  readonly name: string;
  /** Higher runs first; default 0 (a zeroed block). */
  readonly priority?: number;
  /** `notifier_call(nb, action, data)`; returns a `NOTIFY_*` value, or anything else the C code returned. */
  notifierCall(action: TAction, data: TData): number;
}

/** Events a notifier chain writes to the trace (part of `DriverCoreEvent`). */
export type NotifierEvent =
  | {
      readonly type: "notifier-register";
      readonly chain: string;
      readonly block: string;
      readonly priority: number;
      /** Per-chain registration number, the FIFO tie-break among equal priorities. */
      readonly order: number;
    }
  | {
      readonly type: "notifier-unregister";
      readonly chain: string;
      readonly block: string;
      readonly priority: number;
      readonly order: number;
    }
  | {
      readonly type: "notifier-chain-start";
      readonly chain: string;
      /** Per-chain walk number. */
      readonly walk: number;
      readonly action: string;
      readonly data: string | null;
      /** How many blocks were on the chain when the walk started. */
      readonly blocks: number;
    }
  | {
      readonly type: "notifier-call";
      readonly chain: string;
      readonly walk: number;
      readonly action: string;
      readonly data: string | null;
      readonly block: string;
      readonly priority: number;
      readonly order: number;
    }
  | {
      readonly type: "notifier-return";
      readonly chain: string;
      readonly walk: number;
      readonly action: string;
      readonly data: string | null;
      readonly block: string;
      readonly priority: number;
      readonly order: number;
      readonly ret: number;
      /** Whether this return value stopped the walk. */
      readonly stop: boolean;
    }
  | {
      readonly type: "notifier-chain-end";
      readonly chain: string;
      readonly walk: number;
      readonly action: string;
      readonly data: string | null;
      /** The value the walk returns: the last callback's, or `NOTIFY_DONE` for an empty chain. */
      readonly ret: number;
      readonly calls: number;
      readonly stopped: boolean;
    };

/**
 * Options of a {@link NotifierChain}.
 *
 * @see include/linux/notifier.h struct blocking_notifier_head
 */
export interface NotifierChainOptions<TAction, TData> {
  /** Names the chain in the trace, e.g. `"bus:platform"`. */
  readonly name: string;
  readonly trace?: TraceSink<NotifierEvent>;
  /** Names the `data` argument in the trace (bus chains name the device). */
  readonly describeData?: (data: TData) => string | null;
  /** Names the action in the trace; default `String(action)`. */
  readonly describeAction?: (action: TAction) => string;
}

interface ChainNode<TAction, TData> {
  readonly block: NotifierBlock<TAction, TData>;
  readonly priority: number;
  readonly order: number;
  next: ChainNode<TAction, TData> | null;
  linked: boolean;
}

/**
 * A blocking notifier chain. Blocks are kept sorted by priority, highest first; a new block goes before the first
 * block of strictly lower priority, so equal priorities run in registration order. The walk reads each block's
 * successor before calling it (as `notifier_call_chain` does), so a block unregistered mid-walk does not break it.
 *
 * @see kernel/notifier.c notifier_chain_register, notifier_chain_unregister, notifier_call_chain
 * @see kernel/notifier.c blocking_notifier_call_chain
 */
export class NotifierChain<TAction, TData> {
  readonly name: string;
  readonly #trace: TraceSink<NotifierEvent> | undefined;
  readonly #describeData: (data: TData) => string | null;
  readonly #describeAction: (action: TAction) => string;
  #head: ChainNode<TAction, TData> | null = null;
  #orders = 0;
  #walks = 0;

  constructor(options: NotifierChainOptions<TAction, TData>) {
    this.name = options.name;
    this.#trace = options.trace;
    this.#describeData = options.describeData ?? (() => null);
    this.#describeAction = options.describeAction ?? ((action) => String(action));
  }

  /**
   * Adds `block` in priority order and returns the function that removes it (`notifier_chain_unregister`, which
   * returns 0, or -ENOENT when the block is no longer on the chain). Registering the same block twice is a model
   * bug (the C list would be corrupted).
   *
   * @see kernel/notifier.c notifier_chain_register
   */
  register(block: NotifierBlock<TAction, TData>): () => number {
    for (let n = this.#head; n !== null; n = n.next) {
      if (n.block === block) {
        throw new KernelError("double-register", `notifier ${block.name} is already on chain ${this.name}`, {
          chain: this.name,
          block: block.name,
        });
      }
    }
    const priority = block.priority ?? 0;
    if (!Number.isSafeInteger(priority)) {
      throw new KernelError("bad-priority", `notifier ${block.name} has a non-integer priority ${priority}`);
    }
    this.#orders += 1;
    const node: ChainNode<TAction, TData> = { block, priority, order: this.#orders, next: null, linked: true };
    let prev: ChainNode<TAction, TData> | null = null;
    let cur = this.#head;
    while (cur !== null && cur.priority >= priority) {
      prev = cur;
      cur = cur.next;
    }
    node.next = cur;
    if (prev === null) this.#head = node;
    else prev.next = node;
    this.#trace?.emit({ type: "notifier-register", chain: this.name, block: block.name, priority, order: node.order });
    return () => this.#unregister(node);
  }

  #unregister(node: ChainNode<TAction, TData>): number {
    if (!node.linked) return -2; // -ENOENT
    let prev: ChainNode<TAction, TData> | null = null;
    for (let cur = this.#head; cur !== null; prev = cur, cur = cur.next) {
      if (cur !== node) continue;
      if (prev === null) this.#head = cur.next;
      else prev.next = cur.next;
      node.linked = false; // node.next stays valid for a walk that holds this node
      this.#trace?.emit({
        type: "notifier-unregister",
        chain: this.name,
        block: node.block.name,
        priority: node.priority,
        order: node.order,
      });
      return 0;
    }
    return -2;
  }

  /** The blocks in call order (priority, then registration). */
  get blocks(): readonly { readonly name: string; readonly priority: number }[] {
    const out: { name: string; priority: number }[] = [];
    for (let n = this.#head; n !== null; n = n.next) out.push({ name: n.block.name, priority: n.priority });
    return out;
  }

  /**
   * Calls every block in order with `(action, data)` until one returns a value with `NOTIFY_STOP_MASK` set; returns
   * the last value returned (`NOTIFY_DONE` for an empty chain). Each call and return goes to the trace.
   *
   * @see kernel/notifier.c notifier_call_chain
   */
  callChain(action: TAction, data: TData): number {
    this.#walks += 1;
    const walk = this.#walks;
    const actionName = this.#describeAction(action);
    const dataName = this.#describeData(data);
    let blocks = 0;
    for (let n = this.#head; n !== null; n = n.next) blocks += 1;
    const chain = this.name;
    const trace = this.#trace;
    trace?.emit({ type: "notifier-chain-start", chain, walk, action: actionName, data: dataName, blocks });
    let ret = NOTIFY_DONE;
    let calls = 0;
    let stopped = false;
    let nb = this.#head;
    while (nb !== null) {
      const next = nb.next;
      const block = nb.block.name;
      const { priority, order } = nb;
      trace?.emit({ type: "notifier-call", chain, walk, action: actionName, data: dataName, block, priority, order });
      ret = nb.block.notifierCall(action, data) | 0; // a C int
      calls += 1;
      const stop = notifierStops(ret);
      trace?.emit({ type: "notifier-return", chain, walk, action: actionName, data: dataName, block, priority, order, ret, stop });
      if (stop) {
        stopped = true;
        break;
      }
      nb = next;
    }
    trace?.emit({ type: "notifier-chain-end", chain, walk, action: actionName, data: dataName, ret, calls, stopped });
    return ret;
  }
}
