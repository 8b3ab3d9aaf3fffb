/**
 * The DMA API of a v6.1 arm64 kernel without an IOMMU: a device with a 32-bit DMA mask maps a buffer above 4 GiB, so
 * dma-direct bounces it through swiotlb; the device's write lands in the bounce slot and reaches the CPU's buffer
 * only at unmap. Run: `npx tsx examples/dma-mapping-swiotlb.ts`.
 */
import { DRIVER_CORE_ERAS, DriverCore, Trace, makePlatformBus } from "@dmasim/driver-core";
import { DMA_ERAS, DmaSubsystem, dmaBitMask, dmaOpsKind } from "@dmasim/dma-mapping";
import { FrameAllocator, PhysicalMemory } from "@dmasim/machine";

const memory = new PhysicalMemory();
memory.addRam({ name: "ram", base: 0x4000_0000, size: 0x4000_0000 });
memory.addRam({ name: "high", base: 0x1_0000_0000, size: 0x100_0000 }); // above what a 32-bit mask reaches
const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace: new Trace() });
const bus = core.busRegister(makePlatformBus());
if (!bus.ok) throw new Error("platform bus");
const frames = new FrameAllocator(memory, { base: 0x4000_0000, size: 0x4000_0000 });
const dma = new DmaSubsystem({ era: DMA_ERAS["v6.1"], trace: new Trace(), memory, frames, swiotlb: { size: 0x10_0000 } });

const dev = core.deviceInitialize({ name: "10000000.dma-master", bus: bus.value });
dma.deviceInit(dev);
dma.dmaSetMask(dev, dmaBitMask(32));
const buf = 0x1_0000_3000;
const handle = dma.dmaMapSingle(dev, buf, 64, "from-device");
console.log(`ops ${dmaOpsKind(dev)}, buffer 0x${buf.toString(16)} mapped at bus address 0x${handle.toString(16)}`);
memory.write32(handle, 0x600dda7a); // the device writes through the address it was given
console.log(`before unmap: buffer holds 0x${memory.read32(buf).toString(16)}`);
dma.dmaUnmapSingle(dev, handle, 64, "from-device"); // swiotlb copies the slot back to the buffer
console.log(`after unmap:  buffer holds 0x${memory.read32(buf).toString(16)}`);
