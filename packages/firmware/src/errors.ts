/**
 * One error shape for every firmware parser in this package. Parsers never throw on input: they return a
 * {@link FirmwareResult}, and a failure names the byte offset (and, for the device tree, the node path when it is
 * known) where the blob stopped making sense.
 */

/** Which parser produced the error. */
export type FirmwareErrorKind = "fdt" | "iort";

/**
 * Why a blob was rejected.
 *
 * - `truncated`: a read would go past the end of the bytes (or the header's declared size).
 * - `bad-magic`: the FDT magic `0xd00dfeed` or the ACPI signature `IORT` is missing.
 * - `bad-version`: an FDT version this parser does not read (it reads 16 and 17).
 * - `bad-checksum`: the ACPI table bytes do not sum to 0 mod 256.
 * - `bad-offset`: an offset field points outside its block or at something that is not what it should be.
 * - `bad-length`: a length field is impossible (too small for its structure, or past its container).
 * - `bad-token`: an FDT structure-block token that is not BEGIN_NODE/END_NODE/PROP/NOP/END where one is expected.
 * - `bad-string`: a name or string that is not NUL-terminated inside its block.
 * - `bad-value`: a field whose value cannot be represented (a 64-bit value above 2^53) or is out of range.
 * - `too-deep` / `too-many`: the blob exceeds a structural cap (depth, node or property count).
 * - `loop`: a reference cycle (IORT output references that lead back to a node already on the path).
 * - `dangling-phandle`: a phandle (or IORT reference) that names nothing.
 * - `bad-cells`: a cell-count property (`#address-cells`, `#iommu-cells`, ...) that is missing, absurd, or does not
 *   divide the property it describes.
 */
export type FirmwareErrorCode =
  | "truncated"
  | "bad-magic"
  | "bad-version"
  | "bad-checksum"
  | "bad-offset"
  | "bad-length"
  | "bad-token"
  | "bad-string"
  | "bad-value"
  | "too-deep"
  | "too-many"
  | "loop"
  | "dangling-phandle"
  | "bad-cells";

/** A typed parse error: where (byte offset into the blob, node path if known) and why. */
export interface FirmwareError {
  readonly kind: FirmwareErrorKind;
  readonly code: FirmwareErrorCode;
  /** Byte offset into the blob the error is about (for discovery-time errors, the property's value offset or -1). */
  readonly offset: number;
  /** Device-tree path (or IORT node description) where known. */
  readonly path?: string;
  readonly message: string;
}

/** The result of every parser and fallible reader in this package. */
export type FirmwareResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FirmwareError };

/** Builds a {@link FirmwareError}; `path` is left out when undefined (exact optional properties). */
export function firmwareError(
  kind: FirmwareErrorKind,
  code: FirmwareErrorCode,
  offset: number,
  message: string,
  path?: string,
): FirmwareError {
  return path === undefined ? { kind, code, offset, message } : { kind, code, offset, path, message };
}

/** Shorthand for a successful result. */
export function ok<T>(value: T): FirmwareResult<T> {
  return { ok: true, value };
}

/** Shorthand for a failed result. */
export function fail<T>(error: FirmwareError): FirmwareResult<T> {
  return { ok: false, error };
}

/**
 * One line for a CLI: `board.dtb: offset 0x1c4 (/soc/iommu@15000000): bad-length: property ...`.
 *
 * @example
 * formatFirmwareError("virt.dtb", err) // "virt.dtb: offset 0x48 (/pcie@10000000): bad-length: ..."
 */
export function formatFirmwareError(file: string, err: FirmwareError): string {
  const where = err.offset >= 0 ? `offset 0x${err.offset.toString(16)}` : "offset ?";
  const path = err.path === undefined ? "" : ` (${err.path})`;
  return `${file}: ${where}${path}: ${err.code}: ${err.message}`;
}
