/**
 * All driver-core invariant checks in one call.
 */
import type { DriverCoreEra } from "../era";
import type { AnyTraceRecord } from "../format";
import { checkBindBracket } from "./bind-bracket";
import { checkBoundState } from "./bound-state";
import { checkChainOrder } from "./chain-order";
import { checkDeferLists } from "./defer-lists";
import { checkDeferLiveness } from "./defer-liveness";
import { checkTriggerRace } from "./trigger-race";
import type { Violation } from "./types";
import { checkUnbindOrder } from "./unbind-order";

/**
 * Runs I-CHAIN-ORDER, I-BIND-BRACKET, I-BOUND-STATE, I-DEFER-LISTS, I-DEFER-LIVENESS, I-TRIGGER-RACE and
 * I-UNBIND-ORDER over a trace (driver-core records are picked out of a composed trace); violations come back
 * ordered by their first event.
 */
export function checkDriverCoreInvariants(
  records: readonly AnyTraceRecord[],
  era: Pick<DriverCoreEra, "emitNotBoundOnDmaConfigureFailure" | "initcallsDoneSecondTrigger">,
): Violation[] {
  const all = [
    ...checkChainOrder(records),
    ...checkBindBracket(records, era),
    ...checkBoundState(records),
    ...checkDeferLists(records),
    ...checkDeferLiveness(records, era),
    ...checkTriggerRace(records),
    ...checkUnbindOrder(records),
  ];
  return all.sort((a, b) => (a.events[0] ?? 0) - (b.events[0] ?? 0));
}

export { checkBindBracket, checkBoundState, checkChainOrder, checkDeferLists, checkDeferLiveness, checkTriggerRace, checkUnbindOrder };
