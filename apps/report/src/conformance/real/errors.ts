/**
 * Why preparing or booting the real kernel failed. Every failure of the runner is one of these, carrying what a
 * user needs to fix it; {@link formatOracleError} renders it as one line naming what failed.
 */

/** A failure of the real-kernel runner. */
export type OracleError =
  | { readonly kind: "apt-unavailable"; readonly message: string }
  | { readonly kind: "host-install-failed"; readonly packages: readonly string[]; readonly message: string }
  | { readonly kind: "tool-missing"; readonly tool: string; readonly message: string }
  | { readonly kind: "package-not-found"; readonly pkg: string; readonly message: string }
  | { readonly kind: "download-failed"; readonly pkg: string; readonly message: string }
  | { readonly kind: "unpack-failed"; readonly file: string; readonly message: string }
  | { readonly kind: "module-missing"; readonly module: string; readonly message: string }
  | { readonly kind: "module-parse"; readonly file: string; readonly message: string }
  | { readonly kind: "bad-qemu-args"; readonly message: string }
  | { readonly kind: "qemu-missing"; readonly message: string }
  | { readonly kind: "boot-timeout"; readonly name: string; readonly seconds: number; readonly log: string }
  | { readonly kind: "kernel-panic"; readonly name: string; readonly line: string; readonly log: string }
  | {
      /** QEMU exited but `/init` never printed its `done` marker. */
      readonly kind: "boot-incomplete";
      readonly name: string;
      readonly exitCode: number | null;
      readonly lastLine: string;
      readonly log: string;
    }
  | { readonly kind: "io"; readonly path: string; readonly message: string };

/** A result of the runner: the value, or the typed failure. */
export type OracleResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: OracleError };

/** Shorthand for a failed {@link OracleResult}. */
export function oracleFail<T>(error: OracleError): OracleResult<T> {
  return { ok: false, error };
}

/** One line naming what failed (no stack trace), for the CLI and the conformance script. */
export function formatOracleError(e: OracleError): string {
  switch (e.kind) {
    case "apt-unavailable":
      return `apt-get is not available: ${e.message}`;
    case "host-install-failed":
      return `could not install host packages ${e.packages.join(", ")}: ${e.message}`;
    case "tool-missing":
      return `required tool ${e.tool} is missing: ${e.message}`;
    case "package-not-found":
      return `Debian package ${e.pkg} not found: ${e.message}`;
    case "download-failed":
      return `download of ${e.pkg} failed: ${e.message}`;
    case "unpack-failed":
      return `could not unpack ${e.file}: ${e.message}`;
    case "module-missing":
      return `kernel module ${e.module} not found: ${e.message}`;
    case "module-parse":
      return `cannot read module ${e.file}: ${e.message}`;
    case "bad-qemu-args":
      return `bad QEMU arguments: ${e.message}`;
    case "qemu-missing":
      return `qemu-system-aarch64 is missing: ${e.message}`;
    case "boot-timeout":
      return `boot ${e.name} did not finish within ${e.seconds} s (QEMU killed; console log: ${e.log})`;
    case "kernel-panic":
      return `boot ${e.name}: kernel panicked before /init finished: ${e.line} (console log: ${e.log})`;
    case "boot-incomplete":
      return `boot ${e.name}: QEMU exited (code ${e.exitCode ?? "none"}) before /init finished; last line: ${e.lastLine} (console log: ${e.log})`;
    case "io":
      return `${e.path}: ${e.message}`;
  }
}
