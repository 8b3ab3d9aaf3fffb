/**
 * `pnpm conformance` (root) / `pnpm --filter @dmasim/report conformance`: the live comparison of the model with
 * Debian's arm64 6.1 kernel under QEMU over every conformance topology, DT and ACPI. Flags and exit status:
 * `src/conformance/live-suite.ts`. Needs several minutes and Debian packages, so it is not part of `pnpm test`.
 */
import { conformanceSuiteMain } from "../src/conformance/live-suite";

process.exitCode = await conformanceSuiteMain(process.argv.slice(2));
