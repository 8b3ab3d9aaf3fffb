/**
 * @dmasim/report: the `dmasim` CLI and its reports. The composition root of dmasim: it boots scenarios and platforms
 * through `@dmasim/kernel`, builds the published result (the JSON documented in the README) and renders it as text,
 * Markdown and one self-contained HTML file. Everything here works on the published result only, so a saved
 * `report.json` re-renders byte for byte.
 */
export { main, buildProgram } from "./cli";
export { EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_USAGE, EXIT_INTERNAL, formatInputError, formatInternalError } from "./errors";
export type { InputError, Result } from "./errors";
export { captureIo, processIo, colorEnabled } from "./io/cli-io";
export type { CliIo, CapturedIo, TextSink } from "./io/cli-io";
export { REPORT_FORMAT, runResult, deviceResult, hasViolations } from "./result";
export type { ScenarioResult, RunResult, DeviceResult, DmaResult, LeakResult, ViolationResult, TraceLine, RunStats, ExplorationResult, InjectBudget, ReportDocument } from "./result";
export { parseResultJson, scenarioResultSchema, reportDocumentSchema } from "./result-schema";
export { runScenario, resolveProfiles } from "./run-scenario";
export type { ScenarioRun, ExpectationMismatch, RunScenarioOptions } from "./run-scenario";
export { resolveScenario, defaultRunScenarios } from "./scenarios";
export { explorationResult, exploredRun } from "./exploration";
export type { Explorer, ExplorerOptions, ExplorerReport, ExplorerProgress, ExplorerStats, ExplorerCounterexample } from "./exploration";
export { renderReportFiles, writeReportFiles, reportJson, DEFAULT_RENDERERS } from "./commands/report-files";
export type { ReportFiles, ReportRenderers } from "./commands/report-files";
export { renderHtml } from "./render/html/page";
export { renderMarkdown } from "./render/markdown/report";
export { renderResultText } from "./render/text/run";
export { summaryOf } from "./summary";
export type { SummaryMatrix, SummaryCell, SummaryProfile } from "./summary";
