import { describe, expect, it } from "vitest";
import { Errno, errnoName, KernelError, parseErrno, toKernelError } from "./errno";

describe("errno as data", () => {
  it("has the kernel's numbers (errno-base.h, errno.h, linux/errno.h)", () => {
    expect(Errno).toMatchObject({ EPERM: 1, ENOENT: 2, ENXIO: 6, ENOMEM: 12, EBUSY: 16, ENODEV: 19, EINVAL: 22 });
    expect(Errno.EOPNOTSUPP).toBe(95);
    expect(Errno.ETIMEDOUT).toBe(110);
    expect(Errno.EPROBE_DEFER).toBe(517);
  });

  it("names return values the way kernel logs read them", () => {
    expect(errnoName(-517)).toBe("-EPROBE_DEFER");
    expect(errnoName(-19)).toBe("-ENODEV");
    expect(errnoName(0)).toBe("0");
    expect(errnoName(-9999)).toBe("-9999");
    expect(errnoName(517)).toBe("EPROBE_DEFER"); // modern really_probe's positive probe errors
    expect(errnoName(1)).toBe("EPERM");
    expect(errnoName(4242)).toBe("4242");
  });

  it("parses names, signed names and numbers, and rejects the rest with a reason", () => {
    expect(parseErrno("-EPROBE_DEFER")).toEqual({ ok: true, value: -517 });
    expect(parseErrno("EPROBE_DEFER")).toEqual({ ok: true, value: -517 });
    expect(parseErrno("0")).toEqual({ ok: true, value: 0 });
    expect(parseErrno("-22")).toEqual({ ok: true, value: -22 });
    expect(parseErrno(" -ENOMEM ")).toEqual({ ok: true, value: -12 });
    const bad = parseErrno("EWHATEVER");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toContain("EWHATEVER");
    expect(parseErrno("22").ok).toBe(false);
    expect(parseErrno("").ok).toBe(false);
    expect(parseErrno("-1e3").ok).toBe(false);
    expect(parseErrno("constructor").ok).toBe(false);
  });

  it("keeps exceptions for model bugs", () => {
    const e = new KernelError("x", "boom", { device: "d" });
    expect(toKernelError(e)).toBe(e);
    const wrapped = toKernelError(new Error("other"));
    expect(wrapped.code).toBe("unexpected");
    expect(wrapped.cause).toBeInstanceOf(Error);
  });
});
