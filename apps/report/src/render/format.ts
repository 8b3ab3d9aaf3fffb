/**
 * Field formatting shared by the text, Markdown and HTML renderers, so the three show a device the same way.
 */
import type { DeviceResult, DmaResult, InjectBudget } from "../result";

/** `0x100, 0x101` or `-`. */
export function formatStreamIds(ids: readonly number[]): string {
  return ids.length === 0 ? "-" : ids.map((i) => `0x${i.toString(16)}`).join(", ");
}

/** `DMA` group number and type: `1 (DMA)`, or `-`. */
export function formatGroup(d: Pick<DeviceResult, "iommuGroup" | "domainType">): string {
  if (d.iommuGroup === null) return d.domainType ?? "-";
  return d.domainType === null ? String(d.iommuGroup) : `${d.iommuGroup} (${d.domainType})`;
}

/** One DMA: `alloc-coherent ok`, `map-single fault 0x10`. */
export function formatDmaOne(d: DmaResult): string {
  return d.event === undefined ? `${d.op} ${d.outcome}` : `${d.op} ${d.outcome} 0x${d.event.toString(16)}`;
}

/** All DMA of a device, or `-`. */
export function formatDma(dma: readonly DmaResult[]): string {
  return dma.length === 0 ? "-" : dma.map(formatDmaOne).join(", ");
}

/** The worst DMA outcome of a device (for colouring): fault > untranslated > failed > ok, or null without DMA. */
export function worstDma(dma: readonly DmaResult[]): DmaResult["outcome"] | null {
  const order: DmaResult["outcome"][] = ["fault", "untranslated", "failed", "ok"];
  for (const o of order) if (dma.some((d) => d.outcome === o)) return o;
  return null;
}

/**
 * What a device's cell across profiles shows, as one comparable string (a change between neighbouring profiles is
 * highlighted when these differ).
 */
export function deviceCellKey(d: DeviceResult | undefined): string {
  if (d === undefined) return "absent";
  return [d.driver ?? "-", d.dmaOps, d.iommu ?? "-", formatGroup(d), formatStreamIds(d.streamIds), String(d.deferrals), formatDma(d.dma), String(d.leaks.length)].join("|");
}

/** The devices of several runs, by name, in order of first appearance. */
export function deviceNamesAcross(runs: readonly { readonly devices: readonly DeviceResult[] }[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    for (const d of r.devices) {
      if (!seen.has(d.name)) {
        seen.add(d.name);
        out.push(d.name);
      }
    }
  }
  return out;
}

/**
 * Whether a device is worth a row in the cross-profile table: it has a driver, an IOMMU, DMA, deferrals or leaks
 * under some profile, or differs between profiles.
 */
export function interestingDevice(cells: readonly (DeviceResult | undefined)[]): boolean {
  const keys = new Set(cells.map(deviceCellKey));
  if (keys.size > 1) return true;
  return cells.some((d) => d !== undefined && (d.driver !== null || d.iommu !== null || d.dma.length > 0 || d.deferrals > 0 || d.leaks.length > 0 || d.iommuGroup !== null));
}

/**
 * The command that replays a counterexample: `dmasim run SCENARIO --profile P --choices 0,2,1` (no `--choices` when
 * the list is empty: the scenario's own order). A scenario name with characters a shell treats specially is quoted.
 */
export function replayCommand(scenario: string, profile: string, choices: readonly number[], inject: InjectBudget | null = null): string {
  const quote = (s: string): string => (/^[A-Za-z0-9._\/:+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
  const injected = inject === null ? "" : ` --inject enomem=${inject.enomem},defer=${inject.defer}`;
  return `dmasim run ${quote(scenario)} --profile ${quote(profile)}${choices.length === 0 ? "" : ` --choices ${choices.join(",")}`}${injected}`;
}
