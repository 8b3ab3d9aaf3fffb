/**
 * Conformance against a real Linux kernel (issue #9): the real-kernel runner (Debian's arm64 6.1 under QEMU), the
 * console-log parser into dmasim's trace vocabulary, the field-by-field comparison with the model's prediction and
 * its renderers. The CLI's `dmasim conformance` calls {@link runConformance} and prints with the renderers.
 */
export { runConformance, compareRecorded, conformanceRunExitCode, formatConformanceError, liveBootName, runTimeline } from "./run";
export { alignTimelines, renderTimelineText, timelineText } from "./timeline";
export type { TimelineRow } from "./timeline";
export type { ConformanceOptions, ConformanceRun, ConformanceSource, ConformanceError } from "./run";
export { compareBoots, conformanceExitCode, CONFORMANCE_FIELDS } from "./compare";
export type { ConformanceDiff, ConformanceField, DiffRow, FieldSummary, CompareOptions } from "./compare";
export { renderDiffText, renderDiffMarkdown, renderDiffJson, renderFactsText } from "./render";
export type { RenderOptions } from "./render";
export { NO_DRIVER_REASON, normaliseDomainType } from "./facts";
export type { BootFacts, FactGroup, FactIommuMap, FactSmmuEvent, Observable } from "./facts";
export { predictedFacts, predictedLogFromTrace, renderVisibleLog } from "./predicted";
export type { PredictedBoot, PredictedDevice, PredictedLogLine } from "./predicted";
export { predictFromQemu } from "./model";
export type { Predictor, PredictResult } from "./model";
export { CONFORMANCE_TOPOLOGIES } from "./topologies";
export type { ConformanceTopology } from "./topologies";
export { parseBootLog, logEvents } from "./log/boot-log";
export type { ParsedBootLog } from "./log/boot-log";
export type { LogRecord, LogEvent, LogPrintk, InitEvent, LogPosition, LogEventType } from "./log/records";
export { LINE_PATTERNS, classifyLine } from "./log/line-patterns";
export type { LinePattern } from "./log/line-patterns";
export { parseSysfsDump } from "./log/sysfs-dump";
export type { SysfsDump, SysfsGroup, SysfsPciDevice } from "./log/sysfs-dump";
export { parseHexdump } from "./log/hexdump";
export { parseBootCmd } from "./log/boot-cmd";
export type { BootCmd } from "./log/boot-cmd";
export { observedFacts, fieldVisibility } from "./log/observed";
export { visibilityFromCmdline, lineVisible, dyndbgEnabled, splitKernelCmdline, parseDyndbgQueries, CONSOLE_LOGLEVEL_DEFAULT } from "./log/visibility";
export type { LogVisibility, DyndbgQuery } from "./log/visibility";
export { streamIdsFromMaps, deferralOrder, ungroupedReasons, smmuEvents, msiDoorbellMaps, QEMU_VIRT_RAM_BASE } from "./log/log-facts";
export { prepareOracle, bootWithOracle } from "./real/oracle";
export type { OracleAssets, OracleOptions } from "./real/oracle";
export { bootReal, buildQemuArgv, ORACLE_DYNDBG } from "./real/qemu-boot";
export type { RealBoot, RealBootSpec, BootAssets } from "./real/qemu-boot";
export { formatOracleError } from "./real/errors";
export type { OracleError, OracleResult } from "./real/errors";
export { oracleCacheDir, oracleLayout } from "./real/cache";
export type { OracleLayout } from "./real/cache";
export { ORACLE_DRIVER_MODULES, buildInitramfs, initramfsEntries } from "./real/initramfs";
export { initScript } from "./real/init-script";
export { writeCpioNewc, readCpioNewc, gzipCpio } from "./real/cpio";
export type { CpioEntry, CpioReadEntry } from "./real/cpio";
export { parseModinfo, modinfoDepends, modinfoSoftdepPre } from "./real/elf-modinfo";
export type { Modinfo, ModinfoError } from "./real/elf-modinfo";
export { ModuleIndex, moduleLoadOrder, findModulesDir } from "./real/kernel-modules";
export { runProcess, shellQuote, formatWallTime } from "./real/exec";
export { conformanceSuiteMain } from "./live-suite";
