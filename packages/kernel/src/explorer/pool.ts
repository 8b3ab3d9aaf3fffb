/**
 * Explorer workers (`node:worker_threads`). A worker boots the same scenario under the same profile and explores
 * the units (subtrees) or random runs the main thread hands it, one at a time; the main thread merges the results in
 * unit order, so the report does not depend on how many workers there are or which finished first.
 *
 * The worker runs this very module: from the TypeScript sources (vitest, tsx) through a bootstrap that registers the
 * tsx loader, with the `@dmasim/source` condition; from the built package it is the bundle file itself
 * (`dist/index.js`), whose top level starts the worker loop when it finds the explorer's `workerData`.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { ChoiceSettings } from "../boot/choices";
import { PROFILES, type ProfileName } from "../profiles";
import { scenarioPlatform } from "../scenarios/run";
import type { Scenario } from "../scenarios/types";
import type { RunSetup } from "./run";
import { exploreUnit, randomRun, type RandomRunResult, type UnitResult } from "./search";

const WORKER_KIND = "dmasim-explore-worker";

/** What a worker is started with. */
interface WorkerInit {
  readonly kind: typeof WORKER_KIND;
  readonly scenario: Scenario;
  readonly profile: ProfileName;
  readonly settings: ChoiceSettings;
}

/** A job for a worker. */
export type Job =
  | { readonly type: "unit"; readonly id: number; readonly prefix: readonly number[]; readonly budget: number }
  | { readonly type: "random"; readonly id: number; readonly seed: number; readonly index: number };

/** What a worker sends back. */
export type JobMessage =
  | { readonly type: "progress"; readonly id: number; readonly statesVisited: number; readonly distinct: number; readonly frontier: number }
  | { readonly type: "unit"; readonly id: number; readonly result: UnitResult }
  | { readonly type: "random"; readonly id: number; readonly result: RandomRunResult }
  | { readonly type: "error"; readonly id: number; readonly message: string };

/** Builds the run setup of a scenario and profile (the platform once). */
export function makeSetup(scenario: Scenario, profile: ProfileName, settings: ChoiceSettings): { ok: true; value: RunSetup } | { ok: false; error: string } {
  const platform = scenarioPlatform(scenario);
  if (!platform.ok) return { ok: false, error: `${platform.error.field}: ${platform.error.message}` };
  return { ok: true, value: { scenario, platform: platform.value, profile: PROFILES[profile], settings } };
}

/** Runs one job (the same code in a worker and on the main thread). */
export function runJob(setup: RunSetup, job: Job, progress?: (m: JobMessage) => void): JobMessage {
  if (job.type === "random") return { type: "random", id: job.id, result: randomRun(setup, job.seed, job.index) };
  let last = 0;
  const result = exploreUnit(setup, job.prefix, job.budget, (p) => {
    const now = performance.now();
    if (progress === undefined || now - last < 100) return;
    last = now;
    progress({ type: "progress", id: job.id, statesVisited: p.statesVisited, distinct: p.distinct, frontier: p.frontier });
  });
  return { type: "unit", id: job.id, result };
}

function workerMain(init: WorkerInit): void {
  const port = parentPort;
  if (port === null) return;
  const setup = makeSetup(init.scenario, init.profile, init.settings);
  port.on("message", (job: Job | null) => {
    if (job === null) {
      port.close();
      return;
    }
    if (!setup.ok) {
      port.postMessage({ type: "error", id: job.id, message: setup.error } satisfies JobMessage);
      return;
    }
    try {
      port.postMessage(runJob(setup.value, job, (m) => port.postMessage(m)));
    } catch (e) {
      port.postMessage({ type: "error", id: job.id, message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies JobMessage);
    }
  });
}

function isWorkerInit(d: unknown): d is WorkerInit {
  return typeof d === "object" && d !== null && (d as { kind?: unknown }).kind === WORKER_KIND;
}

if (!isMainThread && isWorkerInit(workerData)) workerMain(workerData);

/**
 * How to start a worker running this module: the built bundle directly; the TypeScript source through a small
 * bootstrap that registers tsx's ESM hooks in the worker (hooks registered with `--import` on the main thread do not
 * reach workers on Node 20) and imports this file, with the `@dmasim/source` condition for the sibling packages.
 */
function workerSpec(): { script: URL | string; eval: boolean; execArgv: string[] } {
  const self = new URL(import.meta.url);
  if (!self.pathname.endsWith(".ts")) return { script: self, eval: false, execArgv: [] };
  const api = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const code = [
    `import(${JSON.stringify(api)})`,
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(self.href)}); })`,
    `.catch((e) => { setImmediate(() => { throw e; }); });`,
  ].join("");
  return { script: code, eval: true, execArgv: ["--conditions=@dmasim/source"] };
}

/** A started worker. */
export interface ExplorerWorker {
  run(job: Job, onProgress: (m: JobMessage) => void): Promise<JobMessage>;
  close(): Promise<void>;
}

/** Starts a worker for a scenario and profile. */
export function startWorker(scenario: Scenario, profile: ProfileName, settings: ChoiceSettings): ExplorerWorker {
  const spec = workerSpec();
  const init: WorkerInit = { kind: WORKER_KIND, scenario, profile, settings };
  const w = new Worker(spec.script, { workerData: init, execArgv: spec.execArgv, eval: spec.eval });
  let pending: { resolve: (m: JobMessage) => void; reject: (e: Error) => void; progress: (m: JobMessage) => void } | null = null;
  w.on("message", (m: JobMessage) => {
    if (pending === null) return;
    if (m.type === "progress") return pending.progress(m);
    const p = pending;
    pending = null;
    p.resolve(m);
  });
  w.on("error", (e) => {
    const p = pending;
    pending = null;
    p?.reject(e);
  });
  return {
    run: (job, onProgress) =>
      new Promise((resolve, reject) => {
        pending = { resolve, reject, progress: onProgress };
        w.postMessage(job);
      }),
    close: async () => {
      await w.terminate();
    },
  };
}
