/**
 * `bootReal`'s outcomes, with a stand-in `qemu-system-aarch64` (a shell script replaying a recorded console) so the
 * classification, the time limit and the `.cmd`/`.log` files are checked without QEMU.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseBootCmd } from "../log/boot-cmd";
import { fetchArm64Package, resolveMetapackage } from "./apt-arm64";
import { oracleCacheDir, oracleLayout } from "./cache";
import { formatOracleError } from "./errors";
import { bootReal } from "./qemu-boot";

const FIXTURES = resolve(import.meta.dirname, "../../../../../fixtures/qemu-boots");
const dir = mkdtempSync(join(tmpdir(), "dmasim-boot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeQemu(sub: string, script: string): string {
  const path = join(dir, sub, "qemu-system-aarch64");
  mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

const assets = (qemu: string) => ({ qemu, kernel: "/k/vmlinuz", initramfs: "/k/initramfs.cpio.gz", efiFirmware: "/fw/QEMU_EFI.fd", logDir: join(dir, "logs") });

describe("bootReal", () => {
  it("a finished boot: the console in NAME.log, the command with rc and wall time in NAME.cmd", async () => {
    const qemu = fakeQemu("ok", `cat ${join(FIXTURES, "dt-initrd.log")}`);
    const r = await bootReal({ name: "ok", firmware: "dt", qemuArgs: "-device virtio-net-pci -device virtio-rng-pci" }, assets(qemu));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(readFileSync(r.value.logPath, "utf8")).toBe(readFileSync(join(FIXTURES, "dt-initrd.log"), "utf8"));
    const cmd = parseBootCmd(readFileSync(r.value.cmdPath, "utf8"));
    expect(cmd.ok && [cmd.value.rc, cmd.value.command.devices.map((d) => d.arg), cmd.value.command.kernel]).toEqual([0, ["virtio-net-pci,romfile=", "virtio-rng-pci"], "/k/vmlinuz"]);
    expect(cmd.ok && cmd.value.wallSeconds !== null && cmd.value.wallSeconds < 30).toBe(true);
    expect(r.value.cmdText.startsWith("timeout 120 ")).toBe(true);
  });

  it("a panic before /init finished is an error quoting the panic line", async () => {
    const qemu = fakeQemu("panic", `cat ${join(FIXTURES, "dt-noinitrd.log")}`);
    const r = await bootReal({ name: "panic", firmware: "dt", qemuArgs: "" }, assets(qemu));
    expect(r.ok ? "ok" : formatOracleError(r.error)).toBe(
      `boot panic: kernel panicked before /init finished: Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) (console log: ${join(dir, "logs", "panic.log")})`,
    );
  });

  it("a boot that does not finish is killed at the time limit and named", async () => {
    const qemu = fakeQemu("hang", "echo '[    0.000000] Booting Linux'; sleep 60");
    const t0 = Date.now();
    const r = await bootReal({ name: "hang", firmware: "acpi", qemuArgs: "", timeoutSeconds: 1 }, assets(qemu));
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.ok ? "ok" : formatOracleError(r.error)).toBe(`boot hang did not finish within 1 s (QEMU killed; console log: ${join(dir, "logs", "hang.log")})`);
    expect(readFileSync(join(dir, "logs", "hang.cmd"), "utf8")).toMatch(/\nrc=124 wall=1\.\d{9}s\n$/);
  });

  it("QEMU exiting early and QEMU missing are errors naming them", async () => {
    const qemu = fakeQemu("early", "echo 'qemu-system-aarch64: -device nvme: missing serial'; exit 1");
    const early = await bootReal({ name: "early", firmware: "dt", qemuArgs: "-device nvme" }, assets(qemu));
    expect(early.ok ? "ok" : formatOracleError(early.error)).toMatch(/^boot early: QEMU exited \(code 1\) before \/init finished; last line: qemu-system-aarch64: -device nvme: missing serial/);
    const missing = await bootReal({ name: "missing", firmware: "dt", qemuArgs: "" }, assets(join(dir, "nowhere", "qemu-system-aarch64")));
    expect(missing.ok ? "ok" : missing.error.kind).toBe("qemu-missing");
  });
});

describe("arm64 packages (when the oracle's apt lists are cached)", () => {
  const layout = oracleLayout(oracleCacheDir());
  const have = existsSync(layout.aptLists);
  it.skipIf(!have)(`a missing package is a typed error naming it${have ? "" : " (skipped: no arm64 apt lists in the oracle cache; run pnpm conformance once)"}`, async () => {
    const meta = await resolveMetapackage(layout, "dmasim-no-such-package", "linux-image-");
    expect(meta.ok ? "ok" : meta.error.kind).toBe("package-not-found");
    const resolved = await resolveMetapackage(layout, "linux-image-arm64", "linux-image-");
    expect(resolved.ok && /^linux-image-6\.1\.0-\d+-arm64$/.test(resolved.value)).toBe(true);
  });
  it.skipIf(!have)("an unknown package to download is package-not-found", async () => {
    const r = await fetchArm64Package({ ...layout, debs: join(dir, "debs") }, { name: "dmasim-no-such-package" });
    expect(r.ok ? "ok" : r.error).toMatchObject({ kind: "package-not-found", pkg: "dmasim-no-such-package" });
  });
});
