/**
 * The default domain type and TLB invalidation policy: Kconfig (`CONFIG_IOMMU_DEFAULT_{DMA_STRICT,DMA_LAZY,
 * PASSTHROUGH}`), the `iommu.passthrough=` and `iommu.strict=` early parameters, and what `iommu_subsys_init`
 * prints about them.
 *
 * @see drivers/iommu/iommu.c iommu_subsys_init, iommu_set_def_domain_type, iommu_dma_setup,
 *   iommu_domain_type_str
 * @see drivers/iommu/Kconfig IOMMU_DEFAULT_DMA_STRICT, IOMMU_DEFAULT_DMA_LAZY, IOMMU_DEFAULT_PASSTHROUGH
 */
import type { IommuEra } from "./era";
import { IommuDomainType } from "./iommu-ops";

/**
 * The `iommu.*` early parameters given on the command line (absent = not given).
 *
 * @see drivers/iommu/iommu.c iommu_set_def_domain_type, iommu_dma_setup
 */
export interface IommuCmdline {
  /** `iommu.passthrough=1|0`. */
  readonly passthrough?: boolean;
  /** `iommu.strict=1|0` (v4.19+). */
  readonly strict?: boolean;
}

/**
 * The Kconfig choice: `defaultDomain` "identity" is CONFIG_IOMMU_DEFAULT_PASSTHROUGH, "DMA" / "DMA-FQ" the
 * translated choices; `strictDefault` is `IS_ENABLED(CONFIG_IOMMU_DEFAULT_DMA_STRICT)` (Debian 6.1: true).
 */
export interface IommuKconfig {
  readonly defaultDomain: "DMA" | "DMA-FQ" | "identity";
  readonly strictDefault: boolean;
}

/**
 * What {@link computeDefaults} settles.
 *
 * @see drivers/iommu/iommu.c iommu_subsys_init
 */
export interface IommuDefaults {
  readonly defDomainType: number;
  readonly dmaStrict: boolean;
  /** "Translated", "Passthrough", ... (`iommu_domain_type_str`). */
  readonly typeName: string;
  /** The lines `iommu_subsys_init` prints (without the "iommu: " prefix), exact spacing included. */
  readonly logLines: readonly string[];
}

/** `iommu_domain_type_str`. */
function typeStr(type: number): string {
  switch (type) {
    case IommuDomainType.BLOCKED:
      return "Blocked";
    case IommuDomainType.IDENTITY:
      return "Passthrough";
    case IommuDomainType.UNMANAGED:
      return "Unmanaged";
    case IommuDomainType.DMA:
    case IommuDomainType.DMA_FQ:
      return "Translated";
    default:
      return "Unknown";
  }
}

/**
 * `iommu_def_domain_type` and `iommu_dma_strict` as the era computes them. 6.1: the command line wins over Kconfig;
 * translated + lazy becomes DMA-FQ; the two info lines end with a space when nothing came from the command line
 * (the format is `"%s %s\n"`), as the real boots show. v4.12: DMA unless `iommu.passthrough=1`, nothing printed.
 * v4.7: always DMA.
 */
export function computeDefaults(era: IommuEra, kconfig: IommuKconfig, cmdline: IommuCmdline): IommuDefaults {
  if (era.defaultDomainPolicy === "always-dma") {
    return { defDomainType: IommuDomainType.DMA, dmaStrict: true, typeName: "Translated", logLines: [] };
  }
  if (era.defaultDomainPolicy === "def-domain-type") {
    const type = cmdline.passthrough === true ? IommuDomainType.IDENTITY : IommuDomainType.DMA;
    return { defDomainType: type, dmaStrict: true, typeName: typeStr(type), logLines: [] };
  }
  const cmdDmaApi = cmdline.passthrough !== undefined;
  const passthrough = cmdDmaApi ? cmdline.passthrough === true : kconfig.defaultDomain === "identity";
  const cmdStrict = cmdline.strict !== undefined;
  const dmaStrict = cmdStrict ? cmdline.strict === true : kconfig.strictDefault;
  let type: number = passthrough ? IommuDomainType.IDENTITY : IommuDomainType.DMA;
  if (!passthrough && !dmaStrict) type = IommuDomainType.DMA_FQ;
  const lines: string[] = [];
  if (era.subsysInitLog !== "none") {
    lines.push(`Default domain type: ${typeStr(type)} ${cmdDmaApi ? "(set via kernel command line)" : ""}`);
    if (era.subsysInitLog === "type-and-policy" && !passthrough) {
      lines.push(`DMA domain TLB invalidation policy: ${dmaStrict ? "strict" : "lazy"} mode ${cmdStrict ? "(set via kernel command line)" : ""}`);
    }
  }
  return { defDomainType: type, dmaStrict, typeName: typeStr(type), logLines: lines };
}
