import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzipCpio, readCpioNewc, writeCpioNewc } from "./cpio";
import { initramfsEntries, ORACLE_DRIVER_MODULES } from "./initramfs";
import { initScript } from "./init-script";

describe("newc cpio", () => {
  it("writes the header fields, name and data padding of buffer-format.rst", () => {
    const bytes = writeCpioNewc([{ kind: "file", path: "/init", data: new TextEncoder().encode("abc"), mode: 0o755 }]);
    const text = new TextDecoder().decode(bytes.subarray(0, 120));
    expect(text.slice(0, 110)).toBe(
      "070701" + "00000001" + "000081ed" + "00000000" + "00000000" + "00000001" + "00000000" + "00000003" + "00000000" + "00000000" + "00000000" + "00000000" + "00000005" + "00000000",
    );
    expect(text.slice(110, 116)).toBe("init\0\0");
    expect(text.slice(116, 120)).toBe("abc\0");
    expect(new TextDecoder().decode(bytes.subarray(120, 126))).toBe("070701");
    expect(new TextDecoder().decode(bytes.subarray(120 + 110, 120 + 121))).toBe("TRAILER!!!\0");
    expect(bytes.length % 512).toBe(0);
  });

  it("encodes device nodes, symlinks and directories without root", () => {
    const entries = readCpioNewc(
      writeCpioNewc([
        { kind: "dir", path: "dev" },
        { kind: "char", path: "dev/console", major: 5, minor: 1 },
        { kind: "symlink", path: "bin/sh", target: "busybox" },
      ]),
    );
    expect(entries.ok && entries.value.map((e) => [e.name, e.mode.toString(8), e.rdevMajor, e.rdevMinor, new TextDecoder().decode(e.data)])).toEqual([
      ["dev", "40755", 0, 0, ""],
      ["dev/console", "20600", 5, 1, ""],
      ["bin/sh", "120777", 0, 0, "busybox"],
    ]);
  });

  it("reports a truncated or corrupt archive by offset", () => {
    const bytes = writeCpioNewc([{ kind: "file", path: "x", data: new Uint8Array(10) }]);
    expect(readCpioNewc(bytes.subarray(0, 50))).toEqual({ ok: false, error: { offset: 0, message: "truncated header" } });
    const bad = bytes.slice();
    bad[0] = 0x31;
    expect(readCpioNewc(bad)).toEqual({ ok: false, error: { offset: 0, message: "bad magic" } });
  });

  it("builds the oracle initramfs: dirs first, the device nodes, busybox, modules in order, an executable /init", () => {
    const mods = ORACLE_DRIVER_MODULES.map((name, i) => ({ name, data: new Uint8Array([i]) }));
    const init = initScript({ modules: ORACLE_DRIVER_MODULES });
    const gz = gzipCpio(writeCpioNewc(initramfsEntries(new Uint8Array([1, 2, 3]), mods, init)));
    const back = readCpioNewc(gunzipSync(gz));
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    const byName = new Map(back.value.map((e) => [e.name, e]));
    expect(byName.get("dev/console")).toMatchObject({ rdevMajor: 5, rdevMinor: 1, mode: 0o020600 });
    expect(byName.get("dev/null")).toMatchObject({ rdevMajor: 1, rdevMinor: 3, mode: 0o020666 });
    expect(byName.get("init")?.mode).toBe(0o100755);
    expect(new TextDecoder().decode(byName.get("init")?.data)).toBe(init);
    expect(back.value.filter((e) => e.name.startsWith("mods/")).map((e) => e.name)).toEqual(ORACLE_DRIVER_MODULES.map((m) => `mods/${m}.ko`));
    const firstFile = back.value.findIndex((e) => (e.mode & 0o170000) !== 0o040000);
    expect(back.value.slice(firstFile).every((e) => (e.mode & 0o170000) !== 0o040000)).toBe(true);
  });

  it("loads the modules in the recorded boots' insmod order", () => {
    const log = readFileSync(resolve(import.meta.dirname, "../../../../../fixtures/qemu-boots/dt-initrd.log"), "utf8");
    const recorded = [...log.matchAll(/^=== INIT: insmod (\S+)\r?$/gm)].map((m) => m[1]);
    expect(ORACLE_DRIVER_MODULES).toEqual(recorded);
    const script = initScript({ modules: ORACLE_DRIVER_MODULES });
    expect(script).toContain(`for m in ${recorded.join(" ")}; do`);
    expect(script.startsWith("#!/bin/busybox sh\n")).toBe(true);
    expect(script.trimEnd().endsWith("poweroff -f")).toBe(true);
  });
});
