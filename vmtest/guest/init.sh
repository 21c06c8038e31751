#!/bin/sh
# /init of the vmtest initramfs (busybox sh). Runs the plan the host wrote into the
# image: for each target (a FS DAX filesystem or a device-dax instance on its own
# legacy pmem region), set it up once, then run each of its workloads under the
# recorder, one trace per run, and write every trace to the second serial port.
#
#   /vmtest/env          shell assignments from the host (VMTEST_KERNEL_ID, VMTEST_PACKAGES,
#                        VMTEST_WORKLOAD_TIMEOUT, VMTEST_RECORD_ARGS: --page-ref on the
#                        page_ref tier, so a kernel without the tracepoints records nothing;
#                        VMTEST_SNAP=1: snap the workload's pages, see snap_fs)
#   /vmtest/modules      modules to insmod, dependencies first
#   /vmtest/plan         one run per line: <target> <region base> <workload> [args...]
#   /vmtest/record.sh    the recorder (dax-refsim-record.sh)
#   /vmtest/config       the kernel's .config
#   /w/<workload>        the workloads, static binaries
#
# Console (ttyS0) lines the host reads: "VMTEST: booted", "VMTEST: run-start <target>
# <workload>" (a panic after the first of these is never retried), "VMTEST: done".
# Data (ttyS1): per run "VMTEST-TRACE-BEGIN target=… workload=… rc=…", the recorder's
# output file as it is, "VMTEST-TRACE-END".
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
. /vmtest/env
# the kernel's config where a distribution keeps it (the recorder reads it from there)
mkdir -p /boot && cp /vmtest/config "/boot/config-$(uname -r)"

log() { echo "VMTEST: $* [$(cut -d' ' -f1 /proc/uptime)s]"; }
data() { echo "$@" > /dev/ttyS1; }
fail_boot() { log "setup-failed: $*"; dmesg | tail -40; poweroff -f; }

log "booted $(uname -r)"
for m in $(cat /vmtest/modules); do
	p=""; [ "$m" = brd.ko ] && p="rd_nr=1 rd_size=8192"   # {blockdev}: one 8 MiB ramdisk
	# shellcheck disable=SC2086
	insmod "/lib/modules/$(uname -r)/$m" $p 2>/tmp/insmod.err || log "insmod $m failed: $(cat /tmp/insmod.err)"
done
log "modules loaded"
# nd_e820 registers one region per legacy pmem range; wait for their namespaces
i=0
while [ $i -lt 20 ] && ! ls /sys/bus/nd/devices/ 2>/dev/null | grep -q '^namespace'; do sleep 0.5; i=$((i + 1)); done

# The region whose physical base is $1 (a 0x… number): prints "regionN".
region_at() {
	for r in /sys/bus/nd/devices/region*; do
		[ -f "$r/resource" ] || continue
		[ $(($(cat "$r/resource"))) -eq $(($1)) ] && { basename "$r"; return 0; }
	done
	return 1
}

# Sets TARGET_PATH (what the workload is given), PFN_RANGE and RS_PFN (the region's
# first pfn) for target $1 at base $2; a filesystem target also gets its block device
# in B (each workload then gets a fresh filesystem: fresh_fs).
setup_target() {
	t=$1 base=$2
	R=$(region_at "$base") || { log "target-failed $t: no region at $base"; return 1; }
	RS=$(($(cat /sys/bus/nd/devices/$R/resource))); RZ=$(cat /sys/bus/nd/devices/$R/size)
	RS_PFN=$((RS >> 12))
	PFN_RANGE=$(printf '0x%x-0x%x' $RS_PFN $(((RS + RZ) >> 12)))
	NS=$(cd /sys/bus/nd/devices/$R && ls -d namespace* 2>/dev/null | head -1)
	case $t in
	ext4 | xfs)
		B=$(ls /sys/bus/nd/devices/$R/$NS/block 2>/dev/null | head -1)
		[ -b "/dev/$B" ] || { log "target-failed $t: no pmem block device on $R"; return 1; }
		mkdir -p /mnt/$t
		TARGET_PATH=/mnt/$t
		fresh_fs || return 1
		log "target $t: /dev/$B on $R ($PFN_RANGE) mounted dax=always: $(grep " /mnt/$t " /proc/mounts)"
		;;
	devdax-*)
		AL=${t#devdax-}
		/usr/bin/ndctl create-namespace -f -e $NS -m devdax -a $AL > /tmp/ns.out 2>&1 || { log "target-failed $t: ndctl: $(tr '\n' ' ' < /tmp/ns.out)"; return 1; }
		DEV=$(sed -n 's/.*"chardev":"\([^"]*\)".*/\1/p' /tmp/ns.out | head -1)
		[ -n "$DEV" ] || DEV=$(tr -d ' \n' < /tmp/ns.out | sed -n 's/.*"chardev":"\([^"]*\)".*/\1/p')
		i=0; while [ $i -lt 10 ] && [ ! -c /dev/$DEV ]; do sleep 0.5; i=$((i + 1)); done
		[ -c "/dev/$DEV" ] || { log "target-failed $t: no /dev/$DEV: $(tr '\n' ' ' < /tmp/ns.out)"; return 1; }
		TARGET_PATH=/dev/$DEV
		DXR=$(($(cat /sys/bus/dax/devices/$DEV/resource))); DXA=$(cat /sys/bus/dax/devices/$DEV/align)
		log "target $t: /dev/$DEV on $R ($PFN_RANGE) align=$DXA resource=$(printf '0x%x' $DXR) size=$(cat /sys/bus/dax/devices/$DEV/size 2>/dev/null)"
		;;
	*) log "target-failed $t: unknown target"; return 1 ;;
	esac
}

# A new filesystem on $B mounted at $TARGET_PATH: every workload starts from the same
# empty filesystem, so its file layout (and its pfns) do not depend on the runs before.
fresh_fs() {
	umount "$TARGET_PATH" 2>/dev/null
	if [ $t = ext4 ]; then
		/usr/sbin/mke2fs -q -F -t ext4 -b 4096 -O ^has_journal -E stride=512,stripe_width=512,nodiscard,lazy_itable_init=1 /dev/$B > /tmp/mkfs.out 2>&1
	else
		/usr/sbin/mkfs.xfs -f -m reflink=1 -d su=2m,sw=1,agcount=2 -l size=64m /dev/$B > /tmp/mkfs.out 2>&1
	fi || { log "target-failed $t: mkfs: $(tr '\n' ' ' < /tmp/mkfs.out)"; return 1; }
	mount -t $t -o dax=always /dev/$B "$TARGET_PATH" 2>/tmp/mount.err || { log "target-failed $t: mount: $(cat /tmp/mount.err)"; return 1; }
}

# The pfns to snap (hex, comma-separated, at most 16): from a first, unrecorded run of
# the workload on a fresh filesystem, whose "PHASE file <name> ... phys=<byte offset>
# run=<bytes> pmd_aligned=<0|1>" markers say where each file landed (a fresh
# filesystem and the same steps put them at the same place again): each file's first
# page, its second, and the head of its second PMD. On a stock kernel (no page_ref
# tracepoints) a fault or an unmap changes no probe-read count on a legacy kernel:
# the snaps are what check compares there.
snap_fs() {
	sed -n 's/.*PHASE file .* phys=\(0x[0-9a-fA-F]*\) run=\([0-9]*\) pmd_aligned=\([01]\).*/\1 \2 \3/p' "$1" |
	while read -r phys run pmd; do
		p=$((RS_PFN + phys / 4096))
		echo $p
		[ "$run" -ge 8192 ] && echo $((p + 1))
		[ "$pmd" = 1 ] && [ "$run" -ge 4194304 ] && echo $((p + 512))
	done | awk '!s[$1]++' | head -16 | while read -r p; do printf '%x\n' "$p"; done | paste -sd, -
}
# device-dax: the first folio's head and a tail, a tail in section 1 and in section 8 of a
# 1 GiB folio, or the second 2 MiB folio's head and a tail of it
snap_devdax() {
	H=$((DXR >> 12))
	if [ "$DXA" = 1073741824 ]; then printf '%x,%x,%x,%x' $H $((H + 1)) $((H + 0x4000)) $((H + 0x3c000))
	else printf '%x,%x,%x,%x,%x' $H $((H + 1)) $((H + 0x80)) $((H + 0x200)) $((H + 0x201)); fi
}

CUR=""; OK=0
while read -r t base w args; do
	[ -n "$t" ] || continue
	if [ "$t" != "$CUR" ]; then
		CUR=$t; OK=0
		setup_target "$t" "$base" && OK=1
	fi
	if [ $OK = 1 ]; then
		SNAP=""
		case $t in
		ext4 | xfs)
			if [ "$VMTEST_SNAP" = 1 ]; then
				# $args is split on purpose: the manifest's arguments, one word each
				# shellcheck disable=SC2086
				fresh_fs && timeout -s KILL "$VMTEST_WORKLOAD_TIMEOUT" "/w/$w" "$TARGET_PATH" $args < /dev/null > /tmp/pass1.out 2>&1
				SNAP=$(snap_fs /tmp/pass1.out)
			fi
			fresh_fs || OK=0
			;;
		devdax-*) [ "$VMTEST_SNAP" = 1 ] && SNAP=$(snap_devdax) ;;
		esac
	fi
	if [ $OK != 1 ]; then
		data "VMTEST-TRACE-BEGIN target=$t workload=$w rc=setup-failed"
		data "VMTEST-TRACE-END"
		continue
	fi
	log "run-start $t $w snap=${SNAP:-none}"
	rm -f /tmp/trace.txt
	# DAX_REFSIM_VERBOSE=1: the recorder's steps with uptimes on the console; --comm: the
	# workload's task name (15 characters), not timeout's, for the recorder's
	# process-level probes and snaps; $args is split on purpose (one word each)
	# shellcheck disable=SC2086
	DAX_REFSIM_VERBOSE=1 /vmtest/record.sh $VMTEST_RECORD_ARGS -o /tmp/trace.txt --pfn-range "$PFN_RANGE" \
		--comm "$(echo "$w" | cut -c1-15)" ${SNAP:+--snap "$SNAP"} \
		--label "vmtest.kernel=$VMTEST_KERNEL_ID" --label "vmtest.target=$t" --label "vmtest.workload=$w" \
		--header "vmtest packages: $VMTEST_PACKAGES" \
		-- timeout -s KILL "$VMTEST_WORKLOAD_TIMEOUT" "/w/$w" "$TARGET_PATH" $args < /dev/null
	rc=$?
	log "run-end $t $w rc=$rc trace_lines=$(wc -l < /tmp/trace.txt 2>/dev/null || echo 0)"
	data "VMTEST-TRACE-BEGIN target=$t workload=$w rc=$rc"
	[ -f /tmp/trace.txt ] && cat /tmp/trace.txt > /dev/ttyS1
	data "VMTEST-TRACE-END"
done < /vmtest/plan
for t in /mnt/*; do umount "$t" 2>/dev/null; done
log "done"
data "VMTEST-DONE"
poweroff -f
