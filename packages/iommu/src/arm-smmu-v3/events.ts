/**
 * Trace events of the arm-smmu-v3 driver (the kernel side; the hardware model traces its own `smmu-*` events).
 * Plain JSON objects, devices named by their kernel names.
 */

/**
 * What an STE was written as.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_write_strtab_ent
 */
export type ArmSmmuSteConfig = "abort" | "bypass" | "s1-trans";

/** Everything the driver traces besides its log lines. */
export type ArmSmmuV3Event =
  | {
      /** An STE written into the stream table (`arm_smmu_write_strtab_ent`), after its last CFGI_STE + SYNC. */
      readonly type: "arm-smmu-ste";
      readonly smmu: string;
      readonly sid: number;
      /** Physical address of the 64-byte STE. */
      readonly addr: number;
      readonly config: ArmSmmuSteConfig;
      /** The master whose domain it carries (null for the no-domain abort/bypass STE). */
      readonly device: string | null;
      /** The core's domain number, -1 without a domain. */
      readonly domain: number;
    }
  | {
      /** A context descriptor written (`arm_smmu_write_ctx_desc`). */
      readonly type: "arm-smmu-cd";
      readonly smmu: string;
      readonly domain: number;
      readonly ssid: number;
      readonly addr: number;
      readonly asid: number;
      /** TTB0 (page-table root). */
      readonly ttbr: number;
    }
  | {
      /** One record read from the event queue by `arm_smmu_evtq_thread`, decoded. */
      readonly type: "arm-smmu-evt";
      readonly smmu: string;
      readonly id: number;
      readonly sid: number;
      readonly ssid: number | null;
      /** EVTQ_2_ADDR: the input address of the faulting transaction. */
      readonly inputAddr: number;
      /** EVTQ_1_RnW: true for a read. */
      readonly read: boolean;
      /** EVTQ_1_S2: the fault was at stage 2. */
      readonly stage2: boolean;
      /** The master the StreamID belongs to (`arm_smmu_find_master`), if any. */
      readonly device: string | null;
      /** What `arm_smmu_handle_evt` returned (0 = a fault handler took it; the record was then not printed). */
      readonly handled: number;
      /** Whether the four dwords were logged (false when handled or rate-limited). */
      readonly logged: boolean;
    }
  | {
      /** `arm_smmu_gerror_handler` acknowledged global errors. */
      readonly type: "arm-smmu-gerror";
      readonly smmu: string;
      readonly active: number;
    };

/** The `type` strings of {@link ArmSmmuV3Event}. */
export type ArmSmmuV3EventType = ArmSmmuV3Event["type"];
