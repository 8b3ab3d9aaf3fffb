import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBootCmd } from "./boot-cmd";

const DIR = resolve(import.meta.dirname, "../../../../../fixtures/qemu-boots");
const CMDS = readdirSync(DIR)
  .filter((f) => f.endsWith(".cmd"))
  .sort();

describe.each(CMDS)("%s", (file) => {
  const text = readFileSync(`${DIR}/${file}`, "utf8");
  it("parses with the firmware its name says, rc 0 and the wall time", () => {
    const r = parseBootCmd(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.command.firmware).toBe(file.startsWith("acpi") ? "acpi" : "dt");
    expect(r.value.rc).toBe(0);
    expect(r.value.wallSeconds).toBe(Number(/wall=([0-9.]+)s/.exec(text)?.[1]));
    expect(r.value.command.devices.length).toBe(text.split(" -device ").length - 1);
    expect(r.value.command.machine.iommu).toBe("smmuv3");
  });
});

describe("bad .cmd text", () => {
  it("is a typed error, not an exception", () => {
    expect(parseBootCmd("rc=0 wall=1s")).toEqual({ ok: false, error: { kind: "no-qemu", message: "no qemu-system-* command found" } });
    expect(parseBootCmd("qemu-system-aarch64 -M 'virt")).toEqual({ ok: false, error: { kind: "unterminated-quote", offset: 23 } });
  });
});
