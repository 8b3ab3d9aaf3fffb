/**
 * The topologies `pnpm conformance` boots on the real kernel (each under DT and under ACPI): the four the recorded
 * fixtures cover, and five more that stress grouping — more root ports, two PCIe-to-PCI bridges (alias collisions),
 * multifunction devices with and without ACS (multifunction root ports have ACS, virtio endpoints do not), and the
 * `iommu.passthrough=1` and `iommu.strict=0` default domains on bigger trees. Only devices `@dmasim/machine` models
 * (virtio-net-pci, virtio-rng-pci, e1000e, nvme, pcie-root-port, pcie-pci-bridge) are used.
 */

/** One topology. */
export interface ConformanceTopology {
  readonly name: string;
  readonly description: string;
  /** QEMU arguments (`-M virt,...` props, `-smp`, `-device`s). */
  readonly qemu: string;
  /** Extra kernel command line. */
  readonly cmdline?: string;
  /** Whether the recorded fixtures (`fixtures/qemu-boots/`) cover it. */
  readonly fromFixtures: boolean;
}

const TOPO_GIC3 = [
  "-M virt,gic-version=3",
  "-device virtio-net-pci,addr=0x1",
  "-device virtio-rng-pci,addr=0x2",
  "-device pcie-root-port,id=rp1,chassis=1,slot=1,addr=0x3",
  "-device e1000e,bus=rp1",
  "-device pcie-root-port,id=rp2,chassis=2,slot=2,addr=0x4",
  "-device pcie-pci-bridge,id=pbr,bus=rp2",
  "-device virtio-rng-pci,bus=pbr,addr=0x1",
  "-device virtio-rng-pci,bus=pbr,addr=0x2",
  "-device virtio-rng-pci,addr=0x5.0,multifunction=on",
  "-device virtio-rng-pci,addr=0x5.1",
  "-device pcie-root-port,id=rp3,chassis=3,slot=3,addr=0x6",
  "-device nvme,serial=deadbeef,bus=rp3",
].join(" ");

const ROOT_PORTS = [
  "-M virt,gic-version=3",
  "-device pcie-root-port,id=rp1,chassis=1,slot=1,addr=0x1",
  "-device e1000e,bus=rp1",
  "-device pcie-root-port,id=rp2,chassis=2,slot=2,addr=0x2",
  "-device nvme,serial=beef0001,bus=rp2",
  "-device pcie-root-port,id=rp3,chassis=3,slot=3,addr=0x3",
  "-device virtio-net-pci,bus=rp3",
  "-device pcie-root-port,id=rp4,chassis=4,slot=4,addr=0x4",
  "-device virtio-rng-pci,bus=rp4",
  "-device pcie-root-port,id=rp5,chassis=5,slot=5,addr=0x5",
].join(" ");

/** Every topology of the live run, fixtures first. */
export const CONFORMANCE_TOPOLOGIES: readonly ConformanceTopology[] = [
  {
    name: "baseline",
    description: "virtio-net 00:01.0 and virtio-rng 00:02.0 on the root bus, GICv2 (dt-initrd / acpi-initrd)",
    qemu: "-device virtio-net-pci -device virtio-rng-pci",
    fromFixtures: true,
  },
  {
    name: "passthrough",
    description: "the baseline with iommu.passthrough=1 (dt-passthrough / acpi-passthrough)",
    qemu: "-device virtio-net-pci -device virtio-rng-pci",
    cmdline: "iommu.passthrough=1",
    fromFixtures: true,
  },
  {
    name: "lazy-smp2",
    description: "the baseline with iommu.strict=0 and two CPUs (dt-lazy-smp2)",
    qemu: "-smp 2 -device virtio-net-pci -device virtio-rng-pci",
    cmdline: "iommu.strict=0",
    fromFixtures: true,
  },
  {
    name: "topo-gic3",
    description: "GICv3+ITS; root ports, a PCIe-to-PCI bridge with two devices, a multifunction endpoint (dt/acpi-topo-gic3*)",
    qemu: TOPO_GIC3,
    fromFixtures: true,
  },
  {
    name: "root-ports",
    description: "five root ports: e1000e, nvme, virtio-net, virtio-rng below four of them, one empty",
    qemu: ROOT_PORTS,
    fromFixtures: false,
  },
  {
    name: "two-pci-bridges",
    description: "two PCIe-to-PCI bridges behind root ports: three devices aliasing to one bridge's RID, one to the other's",
    qemu: [
      "-M virt,gic-version=3",
      "-device pcie-root-port,id=rp1,chassis=1,slot=1,addr=0x1",
      "-device pcie-pci-bridge,id=pbr1,bus=rp1",
      "-device virtio-rng-pci,bus=pbr1,addr=0x1",
      "-device virtio-rng-pci,bus=pbr1,addr=0x2",
      "-device virtio-net-pci,bus=pbr1,addr=0x3",
      "-device pcie-root-port,id=rp2,chassis=2,slot=2,addr=0x2",
      "-device pcie-pci-bridge,id=pbr2,bus=rp2",
      "-device virtio-rng-pci,bus=pbr2,addr=0x5",
      "-device virtio-rng-pci,addr=0x3",
    ].join(" "),
    fromFixtures: false,
  },
  {
    name: "multifunction",
    description: "multifunction root ports (ACS) with a device each, a 3-function virtio endpoint (no ACS), a 2-function endpoint behind a root port",
    qemu: [
      "-M virt,gic-version=3",
      "-device pcie-root-port,id=rpa,chassis=10,slot=1,addr=0x3.0,multifunction=on",
      "-device pcie-root-port,id=rpb,chassis=10,slot=2,addr=0x3.1",
      "-device pcie-root-port,id=rpc,chassis=10,slot=3,addr=0x3.2",
      "-device e1000e,bus=rpa",
      "-device nvme,serial=beef0002,bus=rpb",
      "-device virtio-rng-pci,bus=rpc",
      "-device virtio-rng-pci,addr=0x4.0,multifunction=on",
      "-device virtio-rng-pci,addr=0x4.1",
      "-device virtio-net-pci,addr=0x4.2",
      "-device pcie-root-port,id=rpd,chassis=11,slot=1,addr=0x5",
      "-device virtio-rng-pci,bus=rpd,addr=0x0.0,multifunction=on",
      "-device virtio-rng-pci,bus=rpd,addr=0x0.1",
    ].join(" "),
    fromFixtures: false,
  },
  {
    name: "passthrough-topo",
    description: "the topo-gic3 tree with iommu.passthrough=1 (identity groups, the alias collision still logged)",
    qemu: TOPO_GIC3,
    cmdline: "iommu.passthrough=1",
    fromFixtures: false,
  },
  {
    name: "lazy-root-ports",
    description: "the root-ports tree with iommu.strict=0 (DMA-FQ groups)",
    qemu: ROOT_PORTS,
    cmdline: "iommu.strict=0",
    fromFixtures: false,
  },
];
