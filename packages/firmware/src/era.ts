/**
 * Which kernel's firmware-parsing rules to apply where they changed between the generations dmasim composes.
 * `"v4.12"` stands for every generation up to v4.12 (v4.7, v4.8 read the same way where they read at all);
 * `"v6.1"` for v6.1. Each function that takes it documents what differs and cites the change.
 */
export type FirmwareEra = "v4.12" | "v6.1";

/** The default era: the newest modelled kernel. */
export const DEFAULT_FIRMWARE_ERA: FirmwareEra = "v6.1";
