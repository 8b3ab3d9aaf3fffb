/**
 * IOMMU discovery from the device tree, the parsing half of `of_iommu_configure`: which nodes are IOMMU masters,
 * which provider each `iommus` entry names, what model that provider is, and the IDs in the specifier. What the
 * IOMMU driver then does with them (`of_xlate`, fwspec) belongs to the IOMMU layer.
 *
 * @see drivers/iommu/of_iommu.c of_iommu_configure, of_iommu_configure_dev, of_iommu_xlate
 * @see Documentation/devicetree/bindings/iommu/iommu.txt
 */
import type { DeviceTree } from "./device-tree";
import { compatibleOf, fdtGetProp, isAvailable } from "./fdt-read";
import type { FdtNode } from "./fdt-tree";
import type { PhandleListEnd } from "./of-phandle";
import { ofParsePhandleList } from "./of-phandle";

/** IOMMU models a provider node can be. */
export type IommuModel =
  | "smmu-v3"
  | "smmu-v2"
  | "smmu-v1"
  | "mmu-500"
  | "exynos-sysmmu"
  | "rockchip"
  | "mediatek"
  | "apple-dart"
  | "renesas-ipmmu"
  | "nvidia-smmu"
  | "qcom"
  | "unknown";

/** What a provider node is. */
export interface IommuProviderClass {
  readonly model: IommuModel;
  /** True only for models dmasim simulates (the SMMUv3). Others are reported, never dropped. */
  readonly modelled: boolean;
  /** The node's `compatible` list, in order. */
  readonly compatible: readonly string[];
}

type Matcher = string | RegExp;

/**
 * Models in priority order. The Arm architectural compatibles come first because they decide which Linux driver
 * binds (arm-smmu-v3 matches only `arm,smmu-v3`, arm-smmu matches the generic v1/v2/MMU-500 strings even when a
 * vendor string precedes them, e.g. `"qcom,sdm845-smmu-500", "arm,mmu-500"`); Tegra's MMU-500 integration is
 * reported as `nvidia-smmu` because its driver programs several instances in lockstep.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_of_match
 * @see drivers/iommu/arm/arm-smmu/arm-smmu.c arm_smmu_of_match
 */
const MODEL_TABLE: readonly (readonly [IommuModel, readonly Matcher[]])[] = [
  ["smmu-v3", ["arm,smmu-v3"]],
  ["nvidia-smmu", ["nvidia,smmu-500", /^nvidia,tegra\d+-smmu$/, /^nvidia,tegra\d+-mc$/]],
  ["mmu-500", ["arm,mmu-500"]],
  ["smmu-v2", ["arm,smmu-v2", "qcom,smmu-v2", "cavium,smmu-v2"]],
  ["smmu-v1", ["arm,smmu-v1", "arm,mmu-400", "arm,mmu-401"]],
  ["exynos-sysmmu", ["samsung,exynos-sysmmu", /^samsung,sysmmu-v\d+$/]],
  ["rockchip", ["rockchip,iommu", /^rockchip,rk\d+-iommu$/]],
  ["mediatek", [/^mediatek,mt\d+-m4u$/, /^mediatek,mt\d+-iommu/]],
  ["apple-dart", [/^apple,t\d+x?\d*-dart$/]],
  ["renesas-ipmmu", [/^renesas,ipmmu-/, /^renesas,rcar-gen\d+-ipmmu-vmsa$/]],
  ["qcom", ["qcom,msm-iommu-v1", "qcom,msm-iommu-v2", "qcom,apq8064-iommu"]],
];

/** Models dmasim simulates. */
const MODELLED: ReadonlySet<IommuModel> = new Set<IommuModel>(["smmu-v3"]);

function matches(m: Matcher, s: string): boolean {
  return typeof m === "string" ? m === s : m.test(s);
}

/**
 * Classifies an IOMMU provider node by its `compatible` list.
 */
export function classifyIommuProvider(node: FdtNode): IommuProviderClass {
  const compatible = compatibleOf(node);
  for (const [model, matchers] of MODEL_TABLE) {
    if (compatible.some((c) => matchers.some((m) => matches(m, c)))) {
      return { model, modelled: MODELLED.has(model), compatible };
    }
  }
  return { model: "unknown", modelled: false, compatible };
}

/**
 * One `iommus` entry of a master.
 *
 * @see drivers/iommu/of_iommu.c of_iommu_xlate
 */
export interface OfIommuSpec {
  /** Index in the `iommus` list. */
  readonly index: number;
  readonly providerPath: string;
  readonly provider: IommuProviderClass;
  /** `of_device_is_available(provider)`: Linux's `of_iommu_xlate` returns NO_IOMMU for a disabled provider. */
  readonly providerAvailable: boolean;
  readonly phandle: number;
  /** The provider's `#iommu-cells`. */
  readonly iommuCells: number;
  /** The specifier cells. */
  readonly args: readonly number[];
  /**
   * The IDs the specifier names: none for 0 cells (the provider serves one master), `streamId` for 1 cell,
   * `streamId` + SMR `mask` for 2 cells (arm,smmu binding); longer specifiers are left in `args`.
   */
  readonly ids: { readonly streamId?: number; readonly mask?: number };
}

/**
 * A node with an `iommus` property.
 *
 * @see drivers/iommu/of_iommu.c of_iommu_configure
 */
export interface OfIommuMaster {
  readonly path: string;
  readonly node: FdtNode;
  readonly available: boolean;
  readonly specs: readonly OfIommuSpec[];
  /** Why the walk of `iommus` stopped (`end` for a well-formed list). */
  readonly end: PhandleListEnd;
}

/**
 * The `iommus` entries of one node, parsed as `of_iommu_configure_dev` reads them (it stops at the first entry
 * `of_parse_phandle_with_args` rejects).
 *
 * @see drivers/iommu/of_iommu.c of_iommu_configure_dev
 */
export function ofIommuSpecs(dt: DeviceTree, node: FdtNode): { specs: OfIommuSpec[]; end: PhandleListEnd } {
  const list = ofParsePhandleList(dt, node, "iommus", "#iommu-cells");
  const specs = list.entries.map((e): OfIommuSpec => {
    const [a0, a1] = e.args;
    const ids = e.cellCount === 1 && a0 !== undefined ? { streamId: a0 } : e.cellCount === 2 && a0 !== undefined && a1 !== undefined ? { streamId: a0, mask: a1 } : {};
    return {
      index: e.index,
      providerPath: dt.pathOf(e.provider),
      provider: classifyIommuProvider(e.provider),
      providerAvailable: isAvailable(e.provider),
      phandle: e.phandle,
      iommuCells: e.cellCount,
      args: e.args,
      ids,
    };
  });
  return { specs, end: list.end };
}

/**
 * Every node with an `iommus` property, in document order: by default only available ones (Linux creates no
 * platform device for a disabled node), all of them with `includeUnavailable`.
 *
 * @see drivers/iommu/of_iommu.c of_iommu_configure
 */
export function ofIommuMasters(dt: DeviceTree, options: { readonly includeUnavailable?: boolean } = {}): OfIommuMaster[] {
  const out: OfIommuMaster[] = [];
  for (const node of dt.nodes) {
    if (fdtGetProp(node, "iommus") === undefined) continue;
    const available = isAvailable(node);
    if (!available && options.includeUnavailable !== true) continue;
    const { specs, end } = ofIommuSpecs(dt, node);
    out.push({ path: dt.pathOf(node), node, available, specs, end });
  }
  return out;
}

/** A node with `#iommu-cells`: an IOMMU provider. */
export interface OfIommuProvider {
  readonly path: string;
  readonly node: FdtNode;
  readonly available: boolean;
  readonly iommuCells: number | undefined;
  readonly provider: IommuProviderClass;
}

/** Every IOMMU provider (node with `#iommu-cells`) in document order. */
export function ofIommuProviders(dt: DeviceTree): OfIommuProvider[] {
  const out: OfIommuProvider[] = [];
  for (const node of dt.nodes) {
    const cells = fdtGetProp(node, "#iommu-cells");
    if (cells === undefined) continue;
    const n = cells.value.length >= 4 ? new DataView(cells.value.buffer, cells.value.byteOffset, 4).getUint32(0) : undefined;
    out.push({ path: dt.pathOf(node), node, available: isAvailable(node), iommuCells: n, provider: classifyIommuProvider(node) });
  }
  return out;
}
