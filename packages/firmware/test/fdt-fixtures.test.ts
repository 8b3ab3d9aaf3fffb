import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DeviceTree, parseFdt, writeFdt } from "@dmasim/firmware";
import { dtbFixtures, hasTool, run } from "./fixtures";

const dtc = hasTool("dtc");
const tmp = mkdtempSync(join(tmpdir(), "fdt-fixtures-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(dtbFixtures())("$name", ({ name, path, bytes }) => {
  it("parses, and writeFdt(parseFdt(b)) re-parses to the same tree", () => {
    const t = parseFdt(bytes);
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    const again = parseFdt(writeFdt(t.value));
    expect(again).toEqual(t);
  });

  it.skipIf(!dtc)("dtc decompiles the original and the re-written blob identically", () => {
    const t = parseFdt(bytes);
    if (!t.ok) throw new Error(t.error.message);
    const out = join(tmp, `re-${name}`);
    writeFileSync(out, writeFdt(t.value));
    expect(run("dtc", ["-q", "-I", "dtb", "-O", "dts", out])).toBe(run("dtc", ["-q", "-I", "dtb", "-O", "dts", path]));
  });

  it("indexes (paths, phandles, labels) without error", () => {
    const dt = DeviceTree.parse(bytes);
    expect(dt.ok).toBe(true);
  });
});
