import { describe, expect, it } from "vitest";
import type { QueueState } from "./queues";
import {
  queueBaseAddress,
  queueEmpty,
  queueEntryAddress,
  queueFull,
  queueIncrement,
  queueIndex,
  queueSpace,
  queueWrap,
  wrapIndexMask,
} from "./queues";

describe("queue pointer arithmetic (smmuv3-model.md §3.1)", () => {
  it("splits a value into index [QS-1:0] and wrap bit QS", () => {
    expect(wrapIndexMask(3)).toBe(0xf);
    expect([queueIndex(0xd, 3), queueWrap(0xd, 3)]).toEqual([5, 1]);
    expect([queueIndex(0x80000005, 3), queueWrap(0x80000005, 3)]).toEqual([5, 0]);
  });

  it("is empty when index and wrap match, full when the index matches and the wrap differs", () => {
    expect(queueEmpty(0, 0, 3)).toBe(true);
    expect(queueEmpty(8, 8, 3)).toBe(true);
    expect(queueEmpty(8, 0, 3)).toBe(false);
    expect(queueFull(8, 0, 3)).toBe(true);
    expect(queueFull(0, 8, 3)).toBe(true);
    expect(queueFull(7, 0, 3)).toBe(false);
    // Bits above the wrap bit (CONS.ERR, PROD.OVFLG) do not count.
    expect(queueEmpty(0x80000003, 3, 3)).toBe(true);
    expect(queueEmpty(3, 0x01000003, 3)).toBe(true);
  });

  it("increments within QS+1 bits, flipping the wrap bit at the end and keeping higher bits", () => {
    expect(queueIncrement(6, 3)).toBe(7);
    expect(queueIncrement(7, 3)).toBe(8);
    expect(queueIncrement(15, 3)).toBe(0);
    expect(queueIncrement(0x0100000f, 3)).toBe(0x01000000);
    expect(queueIncrement(0x80000007, 3)).toBe(0x80000008);
    expect(queueIncrement(2 ** 20 - 1, 19)).toBe(0);
  });

  it("walks a full lap: 2^QS increments from empty make it full, 2^(QS+1) make it empty again", () => {
    let prod = 0;
    for (let i = 0; i < 4; i++) prod = queueIncrement(prod, 2);
    expect(queueFull(prod, 0, 2)).toBe(true);
    for (let i = 0; i < 4; i++) prod = queueIncrement(prod, 2);
    expect(queueEmpty(prod, 0, 2)).toBe(true);
  });

  it("computes Linux's free space (queue_has_space)", () => {
    expect(queueSpace(0, 0, 3)).toBe(8);
    expect(queueSpace(5, 2, 3)).toBe(5);
    expect(queueSpace(8 | 1, 3, 3)).toBe(2);
    expect(queueSpace(8, 0, 3)).toBe(0);
  });

  it("addresses entries from the base, QEMU masking [51:6], the spec [51:5] aligned to the queue size", () => {
    const q: QueueState = { baseLo: 0x40100020 | 4, baseHi: 0x4000_0000 | 0x1, log2size: 4, prod: 0, cons: 0 };
    expect(queueBaseAddress(q, 16, true)).toBe(0x1_4010_0000);
    expect(queueBaseAddress(q, 16, false)).toBe(0x1_4010_0000);
    const small: QueueState = { ...q, baseLo: 0x40100020, log2size: 0 };
    expect(queueBaseAddress(small, 32, false)).toBe(0x1_4010_0020);
    expect(queueBaseAddress(small, 32, true)).toBe(0x1_4010_0000);
    expect(queueEntryAddress(0x40100000, 0x13, 4, 16)).toBe(0x40100030);
  });
});
