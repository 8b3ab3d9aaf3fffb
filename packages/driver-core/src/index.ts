/**
 * @dmasim/driver-core: the Linux device model (drivers/base, kernel/notifier.c, initcall levels) with a
 * sequence-numbered trace, a simulated clock, a deterministic scheduler and the §(d.1) invariant checks.
 */
export { Errno, errnoName, parseErrno, KernelError, toKernelError } from "./errno";
export type { ErrnoName, ParseErrnoError } from "./errno";
export { ok, err } from "./result";
export type { Result } from "./result";
export { SimClock } from "./clock";
export type { Clock } from "./clock";
export { Trace, NULL_TRACE_SINK } from "./trace";
export type { TraceSink, TraceRecord, TraceListener } from "./trace";
export {
  NOTIFY_DONE,
  NOTIFY_OK,
  NOTIFY_STOP_MASK,
  NOTIFY_BAD,
  NOTIFY_STOP,
  notifierFromErrno,
  notifierToErrno,
  notifierStops,
  NotifierChain,
} from "./notifier";
export type { NotifierBlock, NotifierEvent, NotifierChainOptions } from "./notifier";
export { Scheduler, fifoPolicy } from "./scheduler";
export type { WorkItem, PickNextPolicy, SchedulerEvent, SchedulerOptions } from "./scheduler";
export { DRIVER_CORE_ERAS } from "./era";
export type {
  DriverCoreEra,
  DriverCoreEraName,
  ReallyProbeOrdering,
  DeferredProbeCheckState,
  BusNotifyNumbering,
} from "./era";
export { BUS_NOTIFY_ACTIONS, busNotifyValue, isDriverCoreEvent } from "./events";
export type {
  BusNotifyAction,
  CallVia,
  ProbeMatchFn,
  DeviceEvent,
  DriverEvent,
  ProbeEvent,
  ReleaseEvent,
  DeferredEvent,
  InitcallEvent,
  SystemState,
  DriverCoreEvent,
  DriverCoreEventType,
} from "./events";
export { Device, defineDeviceData } from "./device";
export type { Fwnode, DeviceDataKey, DeviceSpec, DeferredListName } from "./device";
export { Bus } from "./bus";
export type { BusSpec } from "./bus";
export { Driver } from "./driver";
export type { DriverSpec } from "./driver";
export type { DriverCoreHooks } from "./context";
export { DriverCore } from "./core";
export type { DriverCoreOptions } from "./core";
export { makePlatformBus, platformMatch, platformProbe, platformRemove, PLATFORM_DEVICE } from "./platform-bus";
export type { PlatformDeviceInfo, PlatformBusOptions } from "./platform-bus";
export { InitcallTable, INITCALL_LEVELS } from "./initcalls";
export type {
  Initcall,
  InitcallLevel,
  LinkOrder,
  InitcallRunOptions,
  LinkOrderError,
  InitcallRunReport,
} from "./initcalls";
export { printk, devPrintk, printkLine } from "./printk";
export type { PrintkEvent, LogLevel } from "./printk";
export { formatTrace, formatKernelLog, formatTime, describeEvent, kernelLine, notifyName } from "./format";
export type { AnyTraceRecord, FormatTraceOptions } from "./format";
export {
  checkDriverCoreInvariants,
  checkChainOrder,
  checkBindBracket,
  checkBoundState,
  checkDeferLists,
  checkDeferLiveness,
  checkTriggerRace,
  checkUnbindOrder,
} from "./invariants/index";
export type { Violation, DriverCoreInvariant } from "./invariants/types";
