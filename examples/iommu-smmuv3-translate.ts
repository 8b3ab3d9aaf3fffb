/**
 * Program the SMMUv3 hardware model the way the arm-smmu-v3 driver does — registers through MMIO, a linear stream
 * table, a stage-1 STE and CD written into simulated RAM, page tables built by io-pgtable-arm, commands through the
 * command queue — then translate a device's DMA: a mapped IOVA reaches its page, an unmapped one faults.
 * Run: `npx tsx examples/iommu-smmuv3-translate.ts`.
 */
import { FrameAllocator, MmioSpace, PhysicalMemory } from "@dmasim/machine";
import { IommuProt, allocIoPgtable, ioPgtableEras } from "@dmasim/iommu";
import { CMD_OP, SMMU_MMIO_SIZE, SMMU_REG, createSmmuV3, encodeCommand } from "@dmasim/iommu/smmuv3-hw";

const SMMU = 0x0905_0000, STRTAB = 0x4000_0000, CD = 0x4000_1000, CMDQ = 0x4001_0000, EVTQ = 0x4002_0000;
const SID = 8, ASID = 1, Q_LOG2 = 8;

const memory = new PhysicalMemory();
memory.addRam({ name: "dram", base: 0x4000_0000, size: 0x4000_0000 });
const frames = new FrameAllocator(memory, { base: 0x4100_0000, size: 0x0100_0000 });
const smmu = createSmmuV3({ name: "9050000.smmuv3", memory });
const mmio = new MmioSpace();
mmio.register("smmuv3", SMMU, SMMU_MMIO_SIZE, smmu);
const writel = (off: number, v: number) => mmio.write32(SMMU + off, v);

let prod = 0; // software's CMDQ_PROD: write the command into the queue in RAM, then publish it
const cmd = (c: Parameters<typeof encodeCommand>[0]) => {
  encodeCommand(c).forEach((w, i) => memory.write32(CMDQ + 16 * (prod & ((1 << Q_LOG2) - 1)) + 4 * i, w));
  prod = (prod + 1) & ((2 << Q_LOG2) - 1);
  writel(SMMU_REG.CMDQ_PROD, prod);
};

// arm_smmu_device_reset: tables and queues, then SMMUEN | EVTQEN | CMDQEN.
writel(SMMU_REG.CR0, 0);
mmio.write64(SMMU + SMMU_REG.STRTAB_BASE, BigInt(STRTAB) | (1n << 62n));
writel(SMMU_REG.STRTAB_BASE_CFG, 5); // linear, 32 STEs
mmio.write64(SMMU + SMMU_REG.CMDQ_BASE, BigInt(CMDQ) | BigInt(Q_LOG2) | (1n << 62n));
writel(SMMU_REG.CR0, 0x8);
mmio.write64(SMMU + SMMU_REG.EVENTQ_BASE, BigInt(EVTQ) | BigInt(Q_LOG2) | (1n << 62n));
writel(SMMU_REG.CR0, 0xd);

// io-pgtable-arm: a 48-bit stage-1 table, IOVA 0x1000_0000 -> PA 0x4800_0000.
const tlb = { tlbFlushAll: () => cmd({ opcode: CMD_OP.TLBI_NH_ASID, asid: ASID }), tlbFlushWalk: () => {}, tlbAddPage: () => {} };
const pgt = allocIoPgtable(
  "ARM_64_LPAE_S1",
  { pgsizeBitmap: 0x4020_1000, ias: 48, oas: 44, quirks: 0, coherentWalk: true, era: ioPgtableEras["v6.1"] },
  { memory, frames, tlb },
);
if (!pgt.ok) throw new Error(pgt.error.message);
pgt.value.map(0x1000_0000, 0x4800_0000, 0x1000, IommuProt.IOMMU_READ | IommuProt.IOMMU_WRITE);

// arm_smmu_write_ctx_desc + arm_smmu_write_strtab_ent: CD (TCR, TTB0, MAIR), then a stage-1 STE pointing at it.
const { tcr, ttbr, mair } = pgt.value.cfg.s1;
const cd0 = BigInt(tcr.tsz) | (BigInt(tcr.tg) << 6n) | (BigInt(tcr.irgn) << 8n) | (BigInt(tcr.orgn) << 10n) |
  (BigInt(tcr.sh) << 12n) | (1n << 30n) | (1n << 31n) | (BigInt(tcr.ips) << 32n) | (1n << 41n) | (7n << 45n) | (BigInt(ASID) << 48n);
memory.write64(CD + 8, BigInt(ttbr));
memory.write64(CD + 24, BigInt(mair));
memory.write64(CD, cd0); // EPD1 | V | AA64 | R | A | ASET, valid last
memory.write64(STRTAB + 64 * SID + 8, 0xd6n); // S1DSS = SSID0, CD fetch cacheable
memory.write64(STRTAB + 64 * SID, 0xbn | BigInt(CD)); // V | Config = stage-1 translate
cmd({ opcode: CMD_OP.CFGI_STE, sid: SID, leaf: true });
cmd({ opcode: CMD_OP.SYNC });

for (const iova of [0x1000_0042, 0x2000_0000]) {
  const t = smmu.translate({ streamId: SID, iova, access: "write", size: 4 });
  const what = t.kind === "abort" ? `abort ${t.reason} (event 0x${t.eventId?.toString(16)})` : `${t.kind} PA 0x${t.pa.toString(16)}`;
  console.log(`SID ${SID} write IOVA 0x${iova.toString(16)}: ${what}`);
  if (t.kind === "translated") memory.write32(t.pa, 0xc0ffee);
}
console.log(`PA 0x48000042 holds 0x${memory.read32(0x4800_0042).toString(16)}`);
