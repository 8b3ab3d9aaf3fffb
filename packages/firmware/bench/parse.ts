/**
 * Parsing speed of @dmasim/firmware, against a plain DataView scan of the same bytes:
 * - parseFdt in MB/s on the largest fixture DTB (baseline: reading every big-endian word once);
 * - ns per iortNodeMapId (an RC -> SMMU walk on QEMU 7.2's IORT; baseline: reading every little-endian word of
 *   that table once), and ns per parseIort of it.
 *
 * Run: pnpm --filter @dmasim/firmware bench
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { iortNodeMapId, parseFdt, parseIort } from "@dmasim/firmware";

const fixtures = resolve(import.meta.dirname, "../../../fixtures");

/** Median over `rounds` batches of the time per call, in ns. */
function measure(fn: () => unknown, minBatchMs = 50, rounds = 15): number {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    if (performance.now() - t0 >= minBatchMs) break;
    n *= 2;
  }
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    per.push(((performance.now() - t0) * 1e6) / n);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)] as number;
}

let sink = 0;
function scan(bytes: Uint8Array, littleEndian: boolean): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let acc = 0;
  for (let i = 0; i + 4 <= bytes.length; i += 4) acc = (acc + dv.getUint32(i, littleEndian)) | 0;
  return acc;
}

// FDT
const dtbDir = resolve(fixtures, "dtb");
const largest = readdirSync(dtbDir)
  .filter((f) => f.endsWith(".dtb"))
  .sort((a, b) => statSync(resolve(dtbDir, b)).size - statSync(resolve(dtbDir, a)).size)[0] as string;
const dtb = new Uint8Array(readFileSync(resolve(dtbDir, largest)));
if (!parseFdt(dtb).ok) throw new Error(`${largest} does not parse`);
const parseNs = measure(() => parseFdt(dtb));
const fdtScanNs = measure(() => (sink ^= scan(dtb, false)));
const mbps = (ns: number) => dtb.length / 1e6 / (ns / 1e9);

// IORT
const iortBytes = new Uint8Array(readFileSync(resolve(fixtures, "iort/qemu72-acpi-initrd.IORT.bin")));
const parsed = parseIort(iortBytes);
if (!parsed.ok) throw new Error("IORT does not parse");
const iort = parsed.value;
const rc = iort.nodes.findIndex((n) => n.type === "root-complex");
let rid = 0;
const walkNs = measure(() => {
  rid = (rid + 1) & 0xff;
  const r = iortNodeMapId(iort, rc, rid, "iommu");
  sink ^= r.id;
});
const iortParseNs = measure(() => parseIort(iortBytes));
const iortScanNs = measure(() => (sink ^= scan(iortBytes, true)));

const rows = [
  ["parseFdt", `${largest} (${dtb.length} B)`, `${mbps(parseNs).toFixed(1)} MB/s (${(parseNs / 1e3).toFixed(0)} us)`, `DataView scan ${mbps(fdtScanNs).toFixed(0)} MB/s`, `${(parseNs / fdtScanNs).toFixed(1)}x scan time`],
  ["iortNodeMapId", `RC -> SMMUv3, ${iortBytes.length} B table`, `${walkNs.toFixed(0)} ns/walk`, `DataView scan ${iortScanNs.toFixed(0)} ns`, `${(walkNs / iortScanNs).toFixed(2)}x scan time`],
  ["parseIort", `${iortBytes.length} B`, `${(iortParseNs / 1e3).toFixed(2)} us`, `DataView scan ${iortScanNs.toFixed(0)} ns`, `${(iortParseNs / iortScanNs).toFixed(1)}x scan time`],
];
for (const r of rows) console.log(r.join("  |  "));
if (sink === 0x7fffffff) console.log("");
