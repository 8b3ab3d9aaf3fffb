/**
 * Scenarios as data, mirroring DESIGN.md's scenario file. The types are derived from the zod schemas of
 * `scenario/schema.ts` (one definition for the file format and for what `boot` reads). Nothing here knows a
 * scenario by name: `boot` interprets the data through the modelled kernel.
 */
export type {
  ChildDeviceSpec,
  DmaDirectionName,
  DmaOpSpec,
  ProbeAttemptSpec,
  Scenario,
  ScenarioAction,
  ScenarioBoard,
  ScenarioDriverSpec,
  UntilCondition,
} from "../scenario/schema";
