/**
 * arm64's `dummy_dma_ops` (v4.7–v4.14): what `get_dma_ops` returns for a device nobody configured. Every call fails:
 * alloc returns NULL, map returns the error cookie, `mapping_error` always says yes, `dma_supported` always no (so
 * `dma_set_mask` fails with -EIO).
 *
 * @see arch/arm64/mm/dma-mapping.c dummy_dma_ops
 */
import { makeDmaMapOps, type DmaMapOps } from "./dma-map-ops";
import { DMA_MAPPING_ERROR } from "./types";

/**
 * The dummy ops (stateless, shared).
 *
 * @see arch/arm64/mm/dma-mapping.c dummy_dma_ops
 */
export const dummyDmaOps: DmaMapOps = makeDmaMapOps({
  name: "dummy_dma_ops",
  kind: "dummy",
  alloc: () => null,
  free: () => undefined,
  mapPage: () => DMA_MAPPING_ERROR,
  unmapPage: () => undefined,
  mapSg: () => 0,
  unmapSg: () => undefined,
  mappingError: () => true,
  dmaSupported: () => false,
});
