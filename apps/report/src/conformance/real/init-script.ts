/**
 * The initramfs `/init`: a busybox shell script that mounts proc/sys/devtmpfs, loads the PCI driver modules in
 * dependency order, waits for their probes, prints the IOMMU groups and every PCI function's driver and group from
 * sysfs in the format of the recorded boots (`fixtures/qemu-boots/*.log`), and powers the machine off.
 * Every line it prints starts with `=== INIT:` or is a sysfs record, so the log parser reads live and recorded boots
 * alike.
 */

/**
 * The part of `/init` that prints sysfs (`sys` is where sysfs is mounted; tests run it on a fake tree with the
 * host's shell). Sections: `iommu groups`, `pci devices`, the `dumpcfg` config-space hexdumps, `platform devices
 * with iommu`, `/sys/class/iommu`, and the ACPI tables IORT, MCFG and APIC as hexdumps.
 */
export function sysfsDumpScript(sys: string): string {
  return `echo "=== INIT: iommu groups"
for g in $(ls ${sys}/kernel/iommu_groups | sort -n); do
  d=${sys}/kernel/iommu_groups/$g
  printf 'group %s type=%s devices: ' "$g" "$(cat $d/type 2>/dev/null)"
  for dev in $(ls $d/devices); do printf '%s ' "$dev"; done
  echo
  while read a b c; do echo "    resv: $a $b $c"; done < $d/reserved_regions
done
echo "=== INIT: pci devices"
for d in ${sys}/bus/pci/devices/*; do
  [ -e "$d" ] || continue
  drv=; [ -e $d/driver ] && drv=$(basename $(readlink $d/driver))
  grp=; [ -e $d/iommu_group ] && grp=$(basename $(readlink $d/iommu_group))
  echo "$(basename $d) vendor=$(cat $d/vendor) device=$(cat $d/device) class=$(cat $d/class) driver=$drv iommu_group=$grp"
done
if grep -q dumpcfg /proc/cmdline; then
  for d in ${sys}/bus/pci/devices/*; do
    b=$(basename $d)
    echo "=== INIT: PCICFG $b begin"
    hexdump -C $d/config
    echo "=== INIT: PCICFG $b end"
  done
fi
echo "=== INIT: platform devices with iommu"
for d in ${sys}/bus/platform/devices/*; do
  [ -e $d/iommu_group ] && echo "$(basename $d) iommu_group=$(basename $(readlink $d/iommu_group))"
done
echo "=== INIT: /sys/class/iommu"
ls -l ${sys}/class/iommu
echo "=== INIT: acpi tables"
if [ -d ${sys}/firmware/acpi/tables ]; then
  ls ${sys}/firmware/acpi/tables
  for t in IORT MCFG APIC; do
    if [ -e ${sys}/firmware/acpi/tables/$t ]; then
      echo "=== INIT: ACPI $t hexdump begin"
      hexdump -C ${sys}/firmware/acpi/tables/$t
      echo "=== INIT: ACPI $t hexdump end"
    fi
  done
fi
`;
}

/** Options of {@link initScript}. */
export interface InitScriptOptions {
  /** Module base names in load order (`virtio_pci_legacy_dev`, ..., `nvme`); each is `/mods/<name>.ko`. */
  readonly modules: readonly string[];
  /** Seconds to wait after the last `insmod` for asynchronous probes (default 1, as the recorded boots). */
  readonly settleSeconds?: number;
}

/** The `/init` text. */
export function initScript(options: InitScriptOptions): string {
  const settle = options.settleSeconds ?? 1;
  const mods = options.modules.join(" ");
  return `#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "=== INIT: start $(cat /proc/uptime)"
echo "=== INIT: cmdline: $(cat /proc/cmdline)"
for m in ${mods}; do
  echo "=== INIT: insmod $m"
  insmod /mods/$m.ko || echo "=== INIT: insmod $m failed"
done
sleep ${settle}
${sysfsDumpScript("/sys")}echo "=== INIT: done $(cat /proc/uptime)"
poweroff -f
`;
}
