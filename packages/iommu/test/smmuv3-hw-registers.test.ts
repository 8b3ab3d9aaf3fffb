/**
 * Register reset values and side effects (smmuv3-model.md §1.2, §1.5, §1.6), and Linux's bring-up sequence
 * (`arm_smmu_device_reset`, §1.4) driven through MMIO.
 */
import { describe, expect, it } from "vitest";
import { CMD_OP, GERROR, SMMU_REG } from "@dmasim/iommu/smmuv3-hw";
import { CMDQ_PA, EVTQ_PA, SmmuTestBoard } from "../src/smmuv3-hw/test-support";

const R = SMMU_REG;

describe("reset values (QEMU, §1.2)", () => {
  it("reads the ID registers of QEMU's virt SMMUv3", () => {
    const b = new SmmuTestBoard();
    expect([R.IDR0, R.IDR1, R.IDR2, R.IDR3, R.IDR4, R.IDR5, R.IIDR, R.AIDR].map((o) => b.r32(o))).toEqual([
      0x0d44101a, 0x02730010, 0, 0x1404, 0, 0x74, 0, 1,
    ]);
  });

  it("starts disabled with GBPA = 0x1000 and both queues at LOG2SIZE 19", () => {
    const b = new SmmuTestBoard();
    expect([R.CR0, R.CR0ACK, R.CR1, R.CR2, R.IRQ_CTRL, R.GERROR, R.GERRORN].map((o) => b.r32(o))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(b.r32(R.GBPA)).toBe(0x1000);
    expect(b.r64(R.CMDQ_BASE)).toBe(19n);
    expect(b.r64(R.EVENTQ_BASE)).toBe(19n);
    expect([R.CMDQ_PROD, R.CMDQ_CONS, R.EVENTQ_PROD, R.EVENTQ_CONS].map((o) => b.r32(o))).toEqual([0, 0, 0, 0]);
  });

  it("reports MMU-600 identification bytes at 0xfd0..0xffc", () => {
    const b = new SmmuTestBoard();
    const ids = Array.from({ length: 12 }, (_, i) => b.r32(0xfd0 + 4 * i));
    expect(ids).toEqual([0x04, 0, 0, 0, 0x84, 0xb4, 0xf0, 0x10, 0x0d, 0xf0, 0x05, 0xb1]);
  });

  it("derives the ID registers from the configuration", () => {
    const b = new SmmuTestBoard({ sidBits: 8, twoLevelStreamTable: false, rangeInvalidation: false, oas: 48, gran16k: false, ssidBits: 5, ats: true });
    expect(b.r32(R.IDR0)).toBe((0x0d44101a & ~(1 << 27)) | (1 << 10));
    expect(b.r32(R.IDR1)).toBe(0x02730008 | (5 << 6));
    expect(b.r32(R.IDR3)).toBe(0x1004);
    expect(b.r32(R.IDR5)).toBe(0x55);
  });

  it("rejects an impossible configuration", () => {
    expect(() => new SmmuTestBoard({ oas: 45 })).toThrow(/oas 45/);
    expect(() => new SmmuTestBoard({ sidBits: 33 })).toThrow(/sidBits/);
  });
});

describe("register side effects (§1.5)", () => {
  it("acknowledges CR0 at once, masking reserved bits (QEMU: data & ~0xFFFFFC20)", () => {
    const b = new SmmuTestBoard();
    b.w32(R.CR0, 0xffffffff);
    expect(b.r32(R.CR0)).toBe(0xffffffff);
    expect(b.r32(R.CR0ACK)).toBe(0x3df);
    b.w32(R.CR0, 0xd);
    expect(b.r32(R.CR0ACK)).toBe(0xd);
  });

  it("stores CR1 and CR2", () => {
    const b = new SmmuTestBoard();
    b.w32(R.CR1, 0xd75);
    b.w32(R.CR2, 0x6);
    expect([b.r32(R.CR1), b.r32(R.CR2)]).toEqual([0xd75, 0x6]);
  });

  it("ignores a GBPA write without Update, and completes an update at once (arm_smmu_update_gbpa)", () => {
    const b = new SmmuTestBoard();
    b.w32(R.GBPA, 1 << 20);
    expect(b.r32(R.GBPA)).toBe(0x1000);
    // Linux: poll Update == 0, write (reg & ~clr) | set | Update, poll Update == 0.
    expect(b.r32(R.GBPA) >>> 31).toBe(0);
    b.w32(R.GBPA, (b.r32(R.GBPA) | (1 << 20) | 0x80000000) >>> 0);
    expect(b.r32(R.GBPA)).toBe(0x101000);
  });

  it("mirrors IRQ_CTRL in IRQ_CTRLACK", () => {
    const b = new SmmuTestBoard();
    b.w32(R.IRQ_CTRL, 0x5);
    expect(b.r32(R.IRQ_CTRLACK)).toBe(0x5);
  });

  it("aliases page 1 onto page 0 (EVENTQ_PROD/CONS at 0x100a8/0x100ac)", () => {
    const b = new SmmuTestBoard();
    b.w32(0x100ac, 0x80000003);
    expect(b.r32(R.EVENTQ_CONS)).toBe(0x80000003);
    expect(b.r32(0x100ac)).toBe(0x80000003);
    b.w32(R.EVENTQ_PROD, 7);
    expect(b.r32(0x100a8)).toBe(7);
  });

  it("implements 64-bit access only for the 64-bit registers (others RAZ/WI, as QEMU)", () => {
    const b = new SmmuTestBoard();
    b.w64(R.STRTAB_BASE, 0x4000_0000_4001_0000n);
    expect(b.r64(R.STRTAB_BASE)).toBe(0x4000_0000_4001_0000n);
    expect([b.r32(R.STRTAB_BASE), b.r32(R.STRTAB_BASE + 4)]).toEqual([0x40010000, 0x40000000]);
    b.w64(R.CR0, 0xdn);
    expect(b.r32(R.CR0)).toBe(0);
    expect(b.r64(R.CR0)).toBe(0n);
    b.w64(R.GERROR_IRQ_CFG0, 0x1234_5678_9abc_def0n);
    expect(b.r64(R.GERROR_IRQ_CFG0)).toBe(0x1234_5678_9abc_def0n);
  });

  it("clamps a queue's LOG2SIZE to IDR1 and latches it on the low-half write", () => {
    const b = new SmmuTestBoard({ cmdqLog2Size: 8 });
    b.w64(R.CMDQ_BASE, 0x40100000n | 31n);
    expect(b.smmu.registers().cmdq.log2size).toBe(8);
    b.w32(R.EVENTQ_BASE, 0x40200000 | 5);
    expect(b.smmu.registers().eventq.log2size).toBe(5);
  });

  it("latches 2-level mode on FMT = 1 for good (QEMU), or follows FMT (spec)", () => {
    const q = new SmmuTestBoard();
    q.w32(R.STRTAB_BASE_CFG, 0x10210);
    q.w32(R.STRTAB_BASE_CFG, 0x8);
    expect(q.smmu.registers()).toMatchObject({ strtabBaseCfg: 0x8, twoLevel: true, sidSplit: 8 });
    const s = new SmmuTestBoard({ compat: "spec" });
    s.w32(R.STRTAB_BASE_CFG, 0x10210);
    expect(s.smmu.registers()).toMatchObject({ twoLevel: true, sidSplit: 8 });
    s.w32(R.STRTAB_BASE_CFG, 0x8);
    expect(s.smmu.registers().twoLevel).toBe(false);
  });

  it("reads unimplemented offsets as zero and ignores writes to them and to ID registers", () => {
    const b = new SmmuTestBoard();
    b.w32(0xc0, 0xffffffff); // PRIQ_BASE: no PRI
    b.w32(R.IDR0, 0);
    expect([b.r32(0xc0), b.r32(0x100), b.r32(0x1fffc), b.r32(R.IDR0)]).toEqual([0, 0, 0, 0x0d44101a]);
  });
});

describe("GERROR / GERRORN (§1.6)", () => {
  it("toggles only inactive bits, pulses the IRQ when enabled, and is acknowledged by GERRORN = GERROR", () => {
    const b = new SmmuTestBoard();
    b.bringUp({ strtabBase: 0x40010000, strtabCfg: 0x6 });
    b.submit({ opcode: 0x7f });
    expect(b.r32(R.GERROR)).toBe(GERROR.CMDQ_ERR);
    expect(b.irqs).toEqual(["gerror"]);
    // Still active: a second error does not toggle it back or pulse again.
    b.submit({ opcode: CMD_OP.SYNC });
    expect(b.r32(R.GERROR)).toBe(GERROR.CMDQ_ERR);
    expect(b.irqs).toEqual(["gerror"]);
    // arm_smmu_gerror_handler: active = GERROR ^ GERRORN, masked with 0x1fd.
    expect((b.r32(R.GERROR) ^ b.r32(R.GERRORN)) & 0x1fd).toBe(GERROR.CMDQ_ERR);
    // Acknowledging without fixing the command: consumption restarts, hits it again, and raises CMDQ_ERR anew.
    b.w32(R.GERRORN, b.r32(R.GERROR));
    expect(b.r32(R.GERROR) ^ b.r32(R.GERRORN)).toBe(GERROR.CMDQ_ERR);
    expect(b.r32(R.GERROR)).toBe(0);
    expect(b.irqs).toEqual(["gerror", "gerror"]);
    // __arm_smmu_cmdq_skip_err: overwrite the faulting entry with CMD_SYNC, then acknowledge.
    const cons = b.r32(R.CMDQ_CONS) & 0xff;
    b.memory.write32(CMDQ_PA + 16 * cons, 0x46);
    b.w32(R.GERRORN, b.r32(R.GERROR));
    expect(b.r32(R.GERROR) ^ b.r32(R.GERRORN)).toBe(0);
    expect(b.r32(R.CMDQ_CONS) & 0xff).toBe(b.r32(R.CMDQ_PROD));
    expect(b.traced("smmu-gerror").map((e) => [e.change, e.bits])).toEqual([
      ["raised", 1],
      ["acknowledged", 1],
      ["raised", 1],
      ["acknowledged", 1],
    ]);
  });

  it("does not pulse the GERROR IRQ when IRQ_CTRL.GERROR_IRQEN = 0", () => {
    const b = new SmmuTestBoard();
    b.bringUp({ strtabBase: 0x40010000, strtabCfg: 0x6 });
    b.w32(R.IRQ_CTRL, 0x4);
    b.submit({ opcode: 0x7f });
    expect(b.r32(R.GERROR)).toBe(1);
    expect(b.irqs).toEqual([]);
  });
});

describe("Linux bring-up (arm_smmu_device_reset, §1.4)", () => {
  it("accepts every step with Linux's 2-level stream table configuration 0x10210", () => {
    const b = new SmmuTestBoard();
    const poll = (off: number, want: number): void => expect(b.r32(off)).toBe(want);
    // 1. SMMUEN already set (kexec): set GBPA.ABORT with the update protocol.
    b.w32(R.CR0, 0x1);
    if (b.r32(R.CR0) & 1) {
      poll(R.GBPA, 0x1000);
      b.w32(R.GBPA, (b.r32(R.GBPA) | (1 << 20) | 0x80000000) >>> 0);
      expect(b.r32(R.GBPA) >>> 31).toBe(0);
    }
    // 2. Disable, poll CR0ACK.
    b.w32(R.CR0, 0);
    poll(R.CR0ACK, 0);
    // 3. CR1, CR2.
    b.w32(R.CR1, 0xd75);
    b.w32(R.CR2, 0x6);
    // 4. Stream table: 256 L1 descriptors, SPLIT 8, LOG2SIZE 16.
    b.w64(R.STRTAB_BASE, 0x40010000n | (1n << 62n));
    b.w32(R.STRTAB_BASE_CFG, 0x10210);
    // 5. Command queue, CMDQEN.
    b.w64(R.CMDQ_BASE, BigInt(CMDQ_PA) | 8n | (1n << 62n));
    b.w32(R.CMDQ_PROD, 0);
    b.w32(R.CMDQ_CONS, 0);
    b.w32(R.CR0, 0x8);
    poll(R.CR0ACK, 0x8);
    // 6. CFGI_ALL + SYNC, TLBI_NSNH_ALL + SYNC; CMD_SYNC completes when CONS catches up with PROD.
    b.submit({ opcode: CMD_OP.CFGI_STE_RANGE, range: 31 }, { opcode: CMD_OP.SYNC, cs: 2 });
    poll(R.CMDQ_CONS, 2);
    b.submit({ opcode: CMD_OP.TLBI_NSNH_ALL }, { opcode: CMD_OP.SYNC, cs: 2 });
    poll(R.CMDQ_CONS, 4);
    // 7. Event queue (PROD/CONS through page 1), EVENTQEN.
    b.w64(R.EVENTQ_BASE, BigInt(EVTQ_PA) | 7n | (1n << 62n));
    b.w32(0x100a8, 0);
    b.w32(0x100ac, 0);
    b.w32(R.CR0, 0xc);
    poll(R.CR0ACK, 0xc);
    // 8. IRQs.
    b.w32(R.IRQ_CTRL, 0);
    poll(R.IRQ_CTRLACK, 0);
    b.w32(R.IRQ_CTRL, 0x5);
    poll(R.IRQ_CTRLACK, 0x5);
    // 9. SMMUEN.
    b.w32(R.CR0, 0xd);
    poll(R.CR0ACK, 0xd);
    expect(b.smmu.registers()).toMatchObject({ twoLevel: true, sidSplit: 8, gbpa: 0x101000, gerror: 0 });
    expect(b.traced("smmu-cmd").map((c) => c.name)).toEqual(["CMD_CFGI_ALL", "CMD_SYNC", "CMD_TLBI_NSNH_ALL", "CMD_SYNC"]);
    expect(b.traced("smmu-reg-write").map((w) => w.reg)).toEqual([
      "CR0", "GBPA", "CR0", "CR1", "CR2", "STRTAB_BASE", "STRTAB_BASE_CFG", "CMDQ_BASE", "CR0", "EVENTQ_BASE", "CR0", "IRQ_CTRL", "IRQ_CTRL", "CR0",
    ]);
  });
});
