/**
 * The `dmasim` executable as a process (the source entry through tsx, as `pnpm start` runs the bundle): exit
 * statuses reach the shell, errors are one line on stderr, and a reader that goes away early (`| head`) or an
 * output that cannot be written ends the run with no stack trace.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const TSX = resolve(import.meta.dirname, "../../../node_modules/.bin/tsx");
const BIN = resolve(import.meta.dirname, "../src/bin.ts");
const dir = mkdtempSync(join(tmpdir(), "dmasim-bin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dmasim(args: readonly string[], shellTail = ""): { status: number | null; stdout: string; stderr: string } {
  const quoted = [TSX, "--conditions=@dmasim/source", BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const r = spawnSync("bash", ["-c", `${quoted}${shellTail}`], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the dmasim process", () => {
  it("--version, exit 0", () => {
    expect(dmasim(["--version"])).toEqual({ status: 0, stdout: "0.1.0\n", stderr: "" });
  });

  it("violations are exit 1, usage errors exit 2 with one line", () => {
    expect(dmasim(["run", "seed", "--profile", "v4.7"]).status).toBe(1);
    expect(dmasim(["frob"])).toEqual({ status: 2, stdout: "", stderr: "dmasim: unknown command 'frob' (commands: run, explore, boot, report, conformance; see dmasim --help)\n" });
  });

  it("a reader closing the pipe early is not an error: the run keeps its own exit status", () => {
    const r = dmasim(["run", "seed", "--format", "json"], " | head -c 1 >/dev/null; exit ${PIPESTATUS[0]}");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
  });

  it.runIf(process.platform === "linux")("output that cannot be written (/dev/full) is one line and exit 74", () => {
    const r = dmasim(["run", "seed"], " >/dev/full");
    expect(r.status).toBe(74);
    expect(r.stderr).toBe("dmasim: cannot write the output: ENOSPC: no space left on device, write\n");
  });
});
