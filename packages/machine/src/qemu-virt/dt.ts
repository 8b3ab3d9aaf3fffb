/**
 * The device tree QEMU 7.2 generates for the `virt` machine, built by calling the libfdt-like editor in the order
 * `machvirt_init` and `arm_load_dtb` do, so nodes, properties, their order and the phandles (0x8000 upward in
 * allocation order) come out as in QEMU's `dumpdtb`.
 *
 * @see hw/arm/virt.c create_fdt, fdt_add_timer_nodes, fdt_add_cpu_nodes, virt_flash_fdt, fdt_add_gic_node,
 *      fdt_add_its_gic_node, fdt_add_v2m_gic_node, fdt_add_pmu_nodes, create_uart, create_rtc, create_pcie,
 *      create_pcie_irq_map, create_smmu, create_gpio_devices, create_virtio_devices, create_fw_cfg;
 *      hw/core/platform-bus.c; hw/arm/boot.c arm_load_dtb, fdt_add_memory_node, fdt_add_psci_node
 */
import { fdtStringList, type FdtTree } from "@dmasim/firmware";
import { QemuFdt } from "./fdt-builder";
import { NUM_VIRTIO_TRANSPORTS, VirtIrqmap, VirtMemmap } from "./memmap";
import type { QemuVirtMachine } from "./board";

/**
 * Inputs of the DT that are not hardware: the random seeds QEMU puts in `/chosen`, and a direct kernel boot's.
 *
 * @see hw/arm/virt.c create_fdt
 */
export interface QemuVirtDtOptions {
  /** `/chosen/rng-seed` (32 bytes; QEMU draws them at random — default zeros). */
  readonly rngSeed?: Uint8Array;
  /** `/chosen/kaslr-seed` (8 bytes, big-endian as in the DTB; default zeros). */
  readonly kaslrSeed?: Uint8Array;
  /** `-append` with `-kernel`: `/chosen/bootargs`. */
  readonly bootargs?: string;
  /** `-initrd` with `-kernel`: where QEMU's loader put it (`linux,initrd-start` / `-end`). */
  readonly initrd?: { readonly start: number; readonly end: number };
}

const SPI = 0;
const PPI = 1;
const EDGE_LO_HI = 1;
const LEVEL_HI = 4;

/**
 * Builds the `virt` machine's device tree.
 *
 * @see hw/arm/virt.c create_fdt
 */
export function buildQemuVirtDt(machine: QemuVirtMachine, options: QemuVirtDtOptions = {}): FdtTree {
  const { config, board } = machine;
  const m = VirtMemmap;
  const fdt = new QemuFdt();
  const hex = (n: number): string => n.toString(16);
  const reg = (path: string, ...ranges: { base: number; size: number }[]): void =>
    fdt.setSizedCells(path, "reg", ...ranges.flatMap((r) => [[2, r.base] as const, [2, r.size] as const]));

  // create_fdt
  fdt.setString("/", "compatible", "linux,dummy-virt");
  fdt.setCells("/", "#address-cells", 2);
  fdt.setCells("/", "#size-cells", 2);
  fdt.setString("/", "model", "linux,dummy-virt");
  fdt.addSubnode("/chosen");
  fdt.setProp("/chosen", "kaslr-seed", options.kaslrSeed ?? new Uint8Array(8));
  fdt.setProp("/chosen", "rng-seed", options.rngSeed ?? new Uint8Array(32));
  const clock = fdt.allocPhandle();
  fdt.addSubnode("/apb-pclk");
  fdt.setString("/apb-pclk", "compatible", "fixed-clock");
  fdt.setCells("/apb-pclk", "#clock-cells", 0);
  fdt.setCells("/apb-pclk", "clock-frequency", 24_000_000);
  fdt.setString("/apb-pclk", "clock-output-names", "clk24mhz");
  fdt.setCells("/apb-pclk", "phandle", clock);

  // PPIs: GICv2 lists the target CPUs in the flags.
  const ppiFlags = config.gic === 2 ? (((1 << Math.min(config.smp, 8)) - 1) << 8) | LEVEL_HI : LEVEL_HI;

  // fdt_add_timer_nodes
  fdt.addSubnode("/timer");
  fdt.setProp("/timer", "compatible", fdtStringList("arm,armv8-timer", "arm,armv7-timer"));
  fdt.setEmpty("/timer", "always-on");
  fdt.setCells("/timer", "interrupts", PPI, 13, ppiFlags, PPI, 14, ppiFlags, PPI, 11, ppiFlags, PPI, 10, ppiFlags);

  // fdt_add_cpu_nodes
  fdt.addSubnode("/cpus");
  fdt.setCells("/cpus", "#address-cells", 1);
  fdt.setCells("/cpus", "#size-cells", 0);
  const cpuPhandles = new Map<number, number>();
  for (let cpu = config.smp - 1; cpu >= 0; cpu--) {
    const path = `/cpus/cpu@${cpu}`;
    fdt.addSubnode(path);
    fdt.setString(path, "device_type", "cpu");
    fdt.setString(path, "compatible", `arm,${config.cpu}`);
    if (config.smp > 1) fdt.setString(path, "enable-method", "psci");
    fdt.setCells(path, "reg", (Math.floor(cpu / 8) << 8) | cpu % 8);
    const phandle = fdt.allocPhandle();
    cpuPhandles.set(cpu, phandle);
    fdt.setCells(path, "phandle", phandle);
  }
  for (let cpu = config.smp - 1; cpu >= 0; cpu--) {
    const map = `/cpus/cpu-map/socket${cpu}/cluster0/core0`;
    fdt.addPath(map);
    fdt.setCells(map, "cpu", cpuPhandles.get(cpu) ?? 0);
  }

  // virt_flash_fdt
  const flashSize = m.FLASH.size / 2;
  fdt.addSubnode("/flash@0");
  fdt.setString("/flash@0", "compatible", "cfi-flash");
  reg("/flash@0", { base: 0, size: flashSize }, { base: flashSize, size: flashSize });
  fdt.setCells("/flash@0", "bank-width", 4);

  // create_gic → fdt_add_gic_node, then the ITS or v2m frame
  const gic = fdt.allocPhandle();
  fdt.setCells("/", "interrupt-parent", gic);
  const intc = `/intc@${hex(m.GIC_DIST.base)}`;
  fdt.addSubnode(intc);
  fdt.setCells(intc, "#interrupt-cells", 3);
  fdt.setEmpty(intc, "interrupt-controller");
  fdt.setCells(intc, "#address-cells", 2);
  fdt.setCells(intc, "#size-cells", 2);
  fdt.setEmpty(intc, "ranges");
  if (config.gic === 3) {
    fdt.setString(intc, "compatible", "arm,gic-v3");
    fdt.setCells(intc, "#redistributor-regions", 1);
    reg(intc, m.GIC_DIST, m.GIC_REDIST);
  } else {
    fdt.setString(intc, "compatible", "arm,cortex-a15-gic");
    reg(intc, m.GIC_DIST, m.GIC_CPU);
  }
  fdt.setCells(intc, "phandle", gic);
  let msi = 0;
  if (config.gic === 3 && config.its) {
    msi = fdt.allocPhandle();
    const its = `${intc}/its@${hex(m.GIC_ITS.base)}`;
    fdt.addSubnode(its);
    fdt.setString(its, "compatible", "arm,gic-v3-its");
    fdt.setEmpty(its, "msi-controller");
    fdt.setCells(its, "#msi-cells", 1);
    reg(its, m.GIC_ITS);
    fdt.setCells(its, "phandle", msi);
  } else if (config.gic === 2) {
    msi = fdt.allocPhandle();
    const v2m = `${intc}/v2m@${hex(m.GIC_V2M.base)}`;
    fdt.addSubnode(v2m);
    fdt.setString(v2m, "compatible", "arm,gic-v2m-frame");
    fdt.setEmpty(v2m, "msi-controller");
    reg(v2m, m.GIC_V2M);
    fdt.setCells(v2m, "phandle", msi);
  }

  // fdt_add_pmu_nodes
  fdt.addSubnode("/pmu");
  fdt.setProp("/pmu", "compatible", fdtStringList("arm,armv8-pmuv3"));
  fdt.setCells("/pmu", "interrupts", PPI, 7, ppiFlags);

  // create_uart, create_rtc
  const uart = `/pl011@${hex(m.UART.base)}`;
  fdt.addSubnode(uart);
  fdt.setProp(uart, "compatible", fdtStringList("arm,pl011", "arm,primecell"));
  reg(uart, m.UART);
  fdt.setCells(uart, "interrupts", SPI, VirtIrqmap.UART, LEVEL_HI);
  fdt.setCells(uart, "clocks", clock, clock);
  fdt.setProp(uart, "clock-names", fdtStringList("uartclk", "apb_pclk"));
  fdt.setString("/chosen", "stdout-path", uart);
  const rtc = `/pl031@${hex(m.RTC.base)}`;
  fdt.addSubnode(rtc);
  fdt.setProp(rtc, "compatible", fdtStringList("arm,pl031", "arm,primecell"));
  reg(rtc, m.RTC);
  fdt.setCells(rtc, "interrupts", SPI, VirtIrqmap.RTC, LEVEL_HI);
  fdt.setCells(rtc, "clocks", clock);
  fdt.setString(rtc, "clock-names", "apb_pclk");

  createPcie(fdt, machine, gic, msi);

  // create_gpio_devices
  const gpio = `/pl061@${hex(m.GPIO.base)}`;
  const gpioPhandle = fdt.allocPhandle();
  fdt.addSubnode(gpio);
  reg(gpio, m.GPIO);
  fdt.setProp(gpio, "compatible", fdtStringList("arm,pl061", "arm,primecell"));
  fdt.setCells(gpio, "#gpio-cells", 2);
  fdt.setEmpty(gpio, "gpio-controller");
  fdt.setCells(gpio, "interrupts", SPI, VirtIrqmap.GPIO, LEVEL_HI);
  fdt.setCells(gpio, "clocks", clock);
  fdt.setString(gpio, "clock-names", "apb_pclk");
  fdt.setCells(gpio, "phandle", gpioPhandle);
  fdt.addSubnode("/gpio-keys");
  fdt.setString("/gpio-keys", "compatible", "gpio-keys");
  fdt.addSubnode("/gpio-keys/poweroff");
  fdt.setString("/gpio-keys/poweroff", "label", "GPIO Key Poweroff");
  fdt.setCells("/gpio-keys/poweroff", "linux,code", 116); // KEY_POWER
  fdt.setCells("/gpio-keys/poweroff", "gpios", gpioPhandle, 3, 0);

  // create_virtio_devices: highest transport first, so they read in address order.
  for (let i = NUM_VIRTIO_TRANSPORTS - 1; i >= 0; i--) {
    const base = m.MMIO.base + i * m.MMIO.size;
    const node = `/virtio_mmio@${hex(base)}`;
    fdt.addSubnode(node);
    fdt.setString(node, "compatible", "virtio,mmio");
    reg(node, { base, size: m.MMIO.size });
    fdt.setCells(node, "interrupts", SPI, VirtIrqmap.MMIO + i, EDGE_LO_HI);
    fdt.setEmpty(node, "dma-coherent");
  }

  // create_fw_cfg
  const fwcfg = `/fw-cfg@${hex(m.FW_CFG.base)}`;
  fdt.addSubnode(fwcfg);
  fdt.setString(fwcfg, "compatible", "qemu,fw-cfg-mmio");
  reg(fwcfg, m.FW_CFG);
  fdt.setEmpty(fwcfg, "dma-coherent");

  // platform_bus_add_all_fdt_nodes (machine_done)
  const pbus = `/platform-bus@${hex(m.PLATFORM_BUS.base)}`;
  fdt.addSubnode(pbus);
  fdt.setProp(pbus, "compatible", fdtStringList("qemu,platform", "simple-bus"));
  fdt.setCells(pbus, "#size-cells", 1);
  fdt.setCells(pbus, "#address-cells", 1);
  fdt.setCells(pbus, "ranges", 0, 0, m.PLATFORM_BUS.base, m.PLATFORM_BUS.size);
  fdt.setCells(pbus, "interrupt-parent", gic);

  // arm_load_dtb: memory, kernel command line / initrd, PSCI
  for (const ram of board.memory) {
    const node = `/memory@${hex(ram.base)}`;
    fdt.addSubnode(node);
    fdt.setString(node, "device_type", "memory");
    reg(node, ram);
  }
  if (options.bootargs !== undefined && options.bootargs !== "") fdt.setString("/chosen", "bootargs", options.bootargs);
  if (options.initrd !== undefined) {
    fdt.setSizedCells("/chosen", "linux,initrd-start", [2, options.initrd.start]);
    fdt.setSizedCells("/chosen", "linux,initrd-end", [2, options.initrd.end]);
  }
  fdt.addSubnode("/psci");
  fdt.setProp("/psci", "compatible", fdtStringList("arm,psci-1.0", "arm,psci-0.2", "arm,psci"));
  fdt.setString("/psci", "method", "hvc");
  fdt.setCells("/psci", "cpu_suspend", 0xc400_0001);
  fdt.setCells("/psci", "cpu_off", 0x8400_0002);
  fdt.setCells("/psci", "cpu_on", 0xc400_0003);
  fdt.setCells("/psci", "migrate", 0xc400_0005);
  return fdt.toTree();
}

/**
 * The PCIe host node: ECAM, windows, legacy interrupt map (4 slots × 4 pins swizzled onto SPIs 3–6), `msi-map`
 * to the ITS / v2m frame, and — with an SMMUv3 — the SMMU node and an identity `iommu-map` of all 0x10000 RIDs.
 * @see hw/arm/virt.c create_pcie, create_pcie_irq_map, create_smmu
 */
function createPcie(fdt: QemuFdt, machine: QemuVirtMachine, gic: number, msi: number): void {
  const hb = machine.board.pciHostBridges[0];
  if (hb === undefined) return;
  const node = `/${hb.name}`;
  fdt.addSubnode(node);
  fdt.setString(node, "compatible", "pci-host-ecam-generic");
  fdt.setString(node, "device_type", "pci");
  fdt.setCells(node, "#address-cells", 3);
  fdt.setCells(node, "#size-cells", 2);
  fdt.setCells(node, "linux,pci-domain", hb.segment);
  fdt.setCells(node, "bus-range", hb.busRange.first, hb.busRange.last);
  fdt.setEmpty(node, "dma-coherent");
  if (msi !== 0) fdt.setCells(node, "msi-map", 0, msi, 0, 0x1_0000);
  fdt.setSizedCells(node, "reg", [2, hb.ecam.base], [2, hb.ecam.size]);
  const ranges: (readonly [1 | 2, number])[] = [];
  for (const w of hb.windows) {
    const space = w.kind === "io" ? 0x0100_0000 : w.kind === "mem32" ? 0x0200_0000 : 0x0300_0000;
    ranges.push([1, space], [2, w.pciBase], [2, w.cpuBase], [2, w.size]);
  }
  fdt.setSizedCells(node, "ranges", ...ranges);
  fdt.setCells(node, "#interrupt-cells", 1);
  const map: number[] = [];
  for (let devfn = 0; devfn <= 0x18; devfn += 8) {
    for (let pin = 0; pin < 4; pin++) {
      map.push(devfn << 8, 0, 0, pin + 1, gic, 0, 0, SPI, VirtIrqmap.PCIE + ((pin + (devfn >> 3)) % 4), LEVEL_HI);
    }
  }
  fdt.setCells(node, "interrupt-map", ...map);
  fdt.setCells(node, "interrupt-map-mask", 0x1800, 0, 0, 7);
  const smmu = machine.board.smmus[0];
  if (machine.config.iommu === "smmuv3" && smmu !== undefined) {
    const iommu = fdt.allocPhandle();
    const s = `/${smmu.name}`;
    fdt.addSubnode(s);
    fdt.setProp(s, "compatible", fdtStringList("arm,smmu-v3"));
    fdt.setSizedCells(s, "reg", [2, smmu.base], [2, smmu.size]);
    const { eventq, priq, cmdqSync, gerror } = smmu.irqs;
    fdt.setCells(s, "interrupts", SPI, eventq, EDGE_LO_HI, SPI, priq, EDGE_LO_HI, SPI, cmdqSync, EDGE_LO_HI, SPI, gerror, EDGE_LO_HI);
    fdt.setProp(s, "interrupt-names", fdtStringList("eventq", "priq", "cmdq-sync", "gerror"));
    fdt.setEmpty(s, "dma-coherent");
    fdt.setCells(s, "#iommu-cells", 1);
    fdt.setCells(s, "phandle", iommu);
    fdt.setCells(node, "iommu-map", 0, iommu, 0, 0x1_0000);
  }
}
