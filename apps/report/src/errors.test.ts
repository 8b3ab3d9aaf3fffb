import { describe, expect, it } from "vitest";
import { formatInputError, formatInternalError, fromPlatformError } from "./errors";

describe("error lines", () => {
  it("an input error is `dmasim: FILE: field: message` without the null parts, folded to one line", () => {
    expect(formatInputError({ file: "board.dtb", field: "/soc/iommu@0: reg", message: "expected 4 cells" })).toBe("dmasim: board.dtb: /soc/iommu@0: reg: expected 4 cells");
    expect(formatInputError({ file: null, field: null, message: "first\n  second" })).toBe("dmasim: first; second");
  });

  it("a platform error with a byte offset names it in hex with its field", () => {
    expect(fromPlatformError("IORT.bin", { field: "node[2].mappings", offset: 0x94, message: "past the end" })).toEqual({ file: "IORT.bin", field: "offset 0x94 (node[2].mappings)", message: "past the end" });
  });

  it("a bug is one line asking for a report", () => {
    expect(formatInternalError(new TypeError("x is undefined\n    at f (a.ts:1)"))).toBe(
      "dmasim: internal error: TypeError: x is undefined; at f (a.ts:1) (this is a bug in dmasim, please report it with the command line that caused it)",
    );
  });
});
