/**
 * The DMA API's mapping book across many pages: pages whose mappings are all gone are kept (as empty entries) or
 * dropped, and either way the book lists exactly the live mappings and finds every one of them again on unmap.
 */
import { describe, expect, it } from "vitest";
import { DRIVER_CORE_ERAS, DriverCore, Trace } from "@dmasim/driver-core";
import { FrameAllocator, PhysicalMemory } from "@dmasim/machine";
import { liveDmaMappings } from "./device-dma";
import { DMA_ERAS } from "./era";
import type { DmaEvent } from "./events";
import { DmaSubsystem } from "./subsystem";

function directKernel(): { dma: DmaSubsystem; trace: Trace<DmaEvent>; core: DriverCore } {
  const trace = new Trace<DmaEvent>();
  const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace: new Trace() });
  const memory = new PhysicalMemory();
  memory.addRam({ name: "ram", base: 0x40000000, size: 0x1000000 });
  const frames = new FrameAllocator(memory, { base: 0x40000000, size: 0x1000000 });
  const dma = new DmaSubsystem({ era: DMA_ERAS["v6.1"], trace, memory, frames, swiotlb: false });
  return { dma, trace, core };
}

describe("DMA API mapping book", () => {
  it("stays exact when 20 pages are mapped, half unmapped, unmapped again, remapped and emptied", () => {
    const { dma, trace, core } = directKernel();
    const dev = core.deviceInitialize({ name: "d" });
    const found = (): boolean[] =>
      trace.records.flatMap((e) => (e.type === "dma-unmap" ? [e.found] : []));
    // dma-direct without dma-ranges: the bus address is the physical address.
    const addrs = Array.from({ length: 20 }, (_, i) => dma.dmaMapSingle(dev, 0x40100000 + i * 0x1000, 64, "to-device"));
    expect(addrs).toEqual(Array.from({ length: 20 }, (_, i) => 0x40100000 + i * 0x1000));
    for (let i = 0; i < 20; i += 2) dma.dmaUnmapSingle(dev, addrs[i] as number, 64, "to-device");
    expect(liveDmaMappings(dev).map((m) => m.dmaAddr)).toEqual(addrs.filter((_, i) => i % 2 === 1));
    for (let i = 0; i < 20; i += 2) dma.dmaUnmapSingle(dev, addrs[i] as number, 64, "to-device");
    expect(found()).toEqual([...Array<boolean>(10).fill(true), ...Array<boolean>(10).fill(false)]);
    // A page emptied earlier takes a mapping again and gives it back; then the book is empty.
    const again = dma.dmaMapSingle(dev, 0x40100000, 64, "to-device");
    expect(liveDmaMappings(dev).length).toBe(11);
    for (let i = 1; i < 20; i += 2) dma.dmaUnmapSingle(dev, addrs[i] as number, 64, "to-device");
    dma.dmaUnmapSingle(dev, again, 64, "to-device");
    expect(found().slice(20)).toEqual(Array<boolean>(11).fill(true));
    expect(liveDmaMappings(dev)).toEqual([]);
  });
});
