#!/bin/sh
# dax-refsim-record.sh: record the ZONE_DEVICE / FS DAX struct page references of a
# command with tracefs, as a trace `dax-refsim check` reads with no flags.
#
# usage: dax-refsim-record.sh [-o FILE] [--pfn-range A-B] [--page-ref] [--snap PFN[,PFN...]]
#                             [--comm NAME] [--label KEY=VALUE]... [--header TEXT]... -- COMMAND...
#
# Runs on the machine under test as root and needs only a POSIX shell and busybox
# (initramfs guests and test boxes often have no Node.js). Every tracefs setting it
# changes is restored on exit, on error and on SIGINT/SIGTERM. DAX_REFSIM_ROOT (default
# empty) prefixes every /sys, /proc and /boot path, so the tests run it against a fake
# tree in which writing a file only stores text: every decision below is therefore
# taken from what can be read back (kprobe_events, available_filter_functions, files),
# never from side effects only a kernel would have.
#
# Exit status: the command's own; 2 on a usage or set-up error (nothing recorded, no
# output file written); 128+N when interrupted by signal N.

PROG=dax-refsim-record
ROOT=${DAX_REFSIM_ROOT:-}
BUFFER_KB=${DAX_REFSIM_BUFFER_KB:-16384}
# kprobe group of the recorder's probes: the names `check` knows (src/lift) live in it
GROUP=ktr
# the one-shot probe that reads vmemmap_base (its own group, removed before recording)
VMGROUP=ktr_layout

usage() {
	cat <<'EOF'
usage: dax-refsim-record.sh [options] -- COMMAND [ARG...]
  -o FILE              write the trace to FILE (default: standard output, and then
                       the command's standard output goes to standard error)
  --pfn-range A-B      filter page/folio events to pfns [A,B) (hex) instead of the
                       ZONE_DEVICE ranges found in /proc/iomem and /sys/bus/dax
  --page-ref           require the page_ref tracepoints (CONFIG_DEBUG_PAGE_REF=y);
                       without it they are enabled when the kernel has them
  --snap PFN[,PFN...]  snapshot _refcount, _mapcount, order, entire mapcount, pincount
                       and word 1 of these pfns (hex) at every marker write
  --snap-fd N          the file descriptor the command writes its markers to (default
                       3: the first file a fresh process opens); snaps fire on it only
  --comm NAME          task name process-level probes and snaps are filtered to
                       (default: the command's basename)
  --label KEY=VALUE    add KEY=VALUE to the KTRACE-BEGIN line (fs=ext4, work=daxwork)
  --header TEXT        add "# TEXT" to the header
  -v, --verbose        print each step (with the uptime) to stderr
The command runs with DAX_REFSIM_MARKER=<tracefs>/trace_marker in its environment;
"PHASE <word> ..." lines written there mark the phases of the workload.
EOF
}

die() { echo "$PROG: $*" >&2; exit 2; }
warn() { echo "$PROG: $*" >&2; }
# -v: each step with the uptime it started at (the slow ones show under emulation)
VERBOSE=${DAX_REFSIM_VERBOSE:-0}
step() { [ "$VERBOSE" = 1 ] && echo "$PROG: [$(cut -d' ' -f1 /proc/uptime 2>/dev/null)] $*" >&2; return 0; }

# ------------------------------------------------------------------ arguments
OUT=""; PFN_RANGE=""; PAGE_REF=auto; SNAP=""; SNAP_FD=3; COMM=""; LABELS=""; HEADERS=""
NL='
'
while [ $# -gt 0 ]; do
	case $1 in
	-o|--output) [ $# -ge 2 ] || die "$1 needs a file"; OUT=$2; shift 2 ;;
	-o*) OUT=${1#-o}; shift ;;
	--pfn-range) [ $# -ge 2 ] || die "--pfn-range needs A-B"; PFN_RANGE=$2; shift 2 ;;
	--pfn-range=*) PFN_RANGE=${1#*=}; shift ;;
	--page-ref) PAGE_REF=force; shift ;;
	--snap) [ $# -ge 2 ] || die "--snap needs PFN[,PFN...]"; SNAP=$2; shift 2 ;;
	--snap=*) SNAP=${1#*=}; shift ;;
	--snap-fd) [ $# -ge 2 ] || die "--snap-fd needs a number"
		case $2 in ''|*[!0-9]*) die "--snap-fd $2: expected a file descriptor number" ;; esac
		SNAP_FD=$2; shift 2 ;;
	--comm) [ $# -ge 2 ] || die "--comm needs a name"; COMM=$2; shift 2 ;;
	--label) [ $# -ge 2 ] || die "--label needs KEY=VALUE"
		case $2 in *=*) ;; *) die "--label $2: expected KEY=VALUE" ;; esac
		case $2 in *' '*|*'	'*) die "--label $2: no spaces allowed (the KTRACE-BEGIN line is space-separated)" ;; esac
		LABELS="$LABELS $2"; shift 2 ;;
	--header) [ $# -ge 2 ] || die "--header needs a text"
		case $2 in *"$NL"*) die "--header: one line per --header" ;; esac
		HEADERS="$HEADERS$2$NL"; shift 2 ;;
	-v|--verbose) VERBOSE=1; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	*) usage >&2; die "unknown argument: $1 (the command follows --)" ;;
	esac
done
[ $# -gt 0 ] || { usage >&2; die "no command given (dax-refsim-record.sh [options] -- COMMAND...)"; }
command -v "$1" > /dev/null 2>&1 || die "$1: command not found"

hexnum() { # hexnum TEXT -> decimal, or empty when TEXT is not a hex number
	h=${1#0x}; h=${h#0X}
	case $h in ''|*[!0-9a-fA-F]*) return 0 ;; esac
	echo $((0x$h))
}
PFN_LO=""; PFN_HI=""
if [ -n "$PFN_RANGE" ]; then
	PFN_LO=$(hexnum "${PFN_RANGE%%-*}"); PFN_HI=$(hexnum "${PFN_RANGE#*-}")
	case $PFN_RANGE in *-*) ;; *) PFN_LO="" ;; esac
	[ -n "$PFN_LO" ] && [ -n "$PFN_HI" ] && [ "$PFN_HI" -gt "$PFN_LO" ] ||
		die "--pfn-range $PFN_RANGE: expected A-B with hex pfns, A < B (e.g. 40000-60000)"
fi
SNAP_PFNS=""
if [ -n "$SNAP" ]; then
	for p in $(echo "$SNAP" | tr ',' ' '); do
		v=$(hexnum "$p"); [ -n "$v" ] || die "--snap $SNAP: '$p' is not a hex pfn"
		SNAP_PFNS="$SNAP_PFNS $(printf '%x' "$v")"
	done
fi
if [ -z "$COMM" ]; then COMM=$(basename -- "$1"); fi
COMM=$(printf '%.15s' "$COMM")   # TASK_COMM_LEN - 1: what the kernel keeps of a task name
case $COMM in *'"'*) die "--comm $COMM: no double quotes allowed" ;; esac
if [ -n "$OUT" ]; then
	OUTDIR=$(dirname -- "$OUT")
	[ -d "$OUTDIR" ] && [ -w "$OUTDIR" ] || die "-o $OUT: directory $OUTDIR does not exist or is not writable"
fi

# ------------------------------------------------------------------ tracefs
T=""
for d in "$ROOT/sys/kernel/tracing" "$ROOT/sys/kernel/debug/tracing"; do
	if [ -f "$d/kprobe_events" ] || [ -f "$d/trace" ]; then T=$d; break; fi
done
if [ -z "$T" ] && [ -z "$ROOT" ]; then
	# not mounted: mount it where the kernel offers the mount point
	if [ -d /sys/kernel/tracing ] && mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then T=/sys/kernel/tracing
	elif [ -d /sys/kernel/debug ] && { [ -d /sys/kernel/debug/tracing ] || mount -t debugfs nodev /sys/kernel/debug 2>/dev/null; } &&
		[ -f /sys/kernel/debug/tracing/trace ]; then T=/sys/kernel/debug/tracing
	fi
fi
[ -n "$T" ] || die "no tracefs at $ROOT/sys/kernel/tracing or $ROOT/sys/kernel/debug/tracing (and mounting it failed: are you root, is CONFIG_FTRACE set?)"
[ -f "$T/kprobe_events" ] || die "$T/kprobe_events missing: the kernel needs CONFIG_KPROBE_EVENTS=y"
[ -w "$T/kprobe_events" ] || die "$T/kprobe_events is not writable: run as root"

# The probes kprobe_events defines. A kernel lists exactly those; a plain file (the tests'
# fake tree) keeps every line appended, so a "-:GROUP/NAME" line cancels the definitions
# of GROUP/NAME above it, which gives the same answer for both.
live_probes() {
	awk '/^-:/ { n = substr($1, 3); for (i = 1; i <= c; i++) if (k[i] == n) d[i] = 1; next }
		{ split($1, a, ":"); c++; k[c] = a[2]; l[c] = $0 }
		END { for (i = 1; i <= c; i++) if (!(i in d)) print l[i] }' "$T/kprobe_events" 2>/dev/null
}
# a probe of our groups already defined: a recording running, or the left-overs of a killed one
if live_probes | grep -q "^[pr][0-9]*:\($GROUP\|$VMGROUP\)/"; then
	die "kprobe group '$GROUP' is already in use in $T/kprobe_events (a recording still running, or a killed one's left-overs); remove them with: grep -o ':$GROUP/[^ ]*' $T/kprobe_events | sed 's/^/-/' >> $T/kprobe_events"
fi

STATE=$(mktemp -d "${TMPDIR:-/tmp}/dax-refsim-record.XXXXXX") || die "mktemp failed"
TMPOUT=""
NSAVED=0
SAVED_LIST="|"
ADDED_PROBES=0
CHILD=""; RUNNING=0

# ------------------------------------------------------------------ restoration
# set_file PATH VALUE: remember PATH's value the first time it is changed, then write.
# The originals are restored in reverse order by restore(): tracing_on goes off first,
# the recorder's own kprobe events are disabled and removed, then every file changed
# gets its first value back. Kept in shell variables, without a process per file: under
# emulation (QEMU TCG) every fork costs tens of milliseconds.
remember() {
	case $SAVED_LIST in *"|$1|"*) return 0 ;; esac
	[ -e "$1" ] || return 0
	SAVED_LIST="$SAVED_LIST$1|"
	NSAVED=$((NSAVED + 1))
	# cat, not the read builtin: read takes a byte per read(2), and a tracefs filter
	# file answers only the first read (event_filter_read() returns 0 past offset 0)
	v=$(cat "$1" 2>/dev/null); v=${v%%"$NL"*}
	case $1 in
	*/buffer_size_kb) case $v in *expanded:*) v=${v##*expanded: }; v=${v%%)*} ;; *) v=${v%% *} ;; esac ;;   # "7 (expanded: 1408)": 1408, what the buffer grows to on first use
	*/enable) case $v in 1*) v=1 ;; *) v=0 ;; esac ;;        # "1*" (soft-disabled): 1
	*/filter) [ "$v" = none ] && v=0 ;;                       # "0" clears a filter
	*/current_tracer) v=${v:-nop} ;;
	esac
	eval "SV_$NSAVED=\$v; SP_$NSAVED=\$1"
}
set_file() {
	remember "$1"
	{ printf '%s\n' "$2" > "$1"; } 2>/dev/null
}
# a kprobe event this run added (removed at the end, in reverse order)
note_probe() { NSAVED=$((NSAVED + 1)); eval "SK_$NSAVED=\$1"; LASTK=$NSAVED; ADDED_PROBES=$((ADDED_PROBES + 1)); }

restore() {
	[ -n "$STATE" ] || return 0
	# tracing off first (its own value comes back last), if this run turned it on at all
	case $SAVED_LIST in *"|$T/tracing_on|"*) { echo 0 > "$T/tracing_on"; } 2>/dev/null ;; esac
	# the events of a kprobe must be off before it can be removed
	[ $ADDED_PROBES -gt 0 ] && [ -f "$T/events/$GROUP/enable" ] && { echo 0 > "$T/events/$GROUP/enable"; } 2>/dev/null
	i=$NSAVED
	while [ "$i" -gt 0 ]; do
		eval "k=\${SK_$i-}; p=\${SP_$i-}; v=\${SV_$i-}"
		if [ -n "$k" ]; then
			{ echo "-:$k" >> "$T/kprobe_events"; } 2>/dev/null || warn "could not remove kprobe $k"
		elif [ -n "$p" ]; then
			{ printf '%s\n' "$v" > "$p"; } 2>/dev/null || warn "could not restore $p"
		fi
		i=$((i - 1))
	done
	rm -rf "$STATE"; STATE=""
	[ -n "$TMPOUT" ] && rm -f "$TMPOUT"
}
on_exit() { rc=$?; restore; exit $rc; }
on_signal() {
	trap '' INT TERM HUP
	# a signal can land between the fork of the command and `CHILD=$!` (the trap runs
	# before the next command): $! already names it then
	[ "$RUNNING" = 1 ] && [ -z "$CHILD" ] && CHILD=$!
	[ -n "$CHILD" ] && kill -TERM "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
	restore
	warn "interrupted by SIG$1; tracefs restored, no trace written"
	case $1 in INT) exit 130 ;; HUP) exit 129 ;; *) exit 143 ;; esac
}
trap on_exit EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# ------------------------------------------------------------------ the kernel
step "reading the kernel release and config"
KV=$(cat "$ROOT/proc/sys/kernel/osrelease" 2>/dev/null)
[ -n "$KV" ] || KV=$(uname -r)
KMAJ=${KV%%.*}; KMIN=$(echo "$KV" | cut -d. -f2 | sed 's/[^0-9].*//')
case $KMAJ in ''|*[!0-9]*) KMAJ=0 ;; esac
case $KMIN in ''|*[!0-9]*) KMIN=0 ;; esac
# version_ge MAJ MIN: only ever used to break a tie the kernel's own lists cannot decide
version_ge() { [ "$KMAJ" -gt "$1" ] || { [ "$KMAJ" -eq "$1" ] && [ "$KMIN" -ge "$2" ]; }; }

# the kernel config: the options `check` reads (src/models/profile.ts) plus the ones that
# decide what a recording can see
CONFIG=""; CONFIG_FROM=""
if [ -f "$ROOT/proc/config.gz" ] && zcat "$ROOT/proc/config.gz" > "$STATE/config" 2>/dev/null && [ -s "$STATE/config" ]; then
	CONFIG=$STATE/config; CONFIG_FROM=/proc/config.gz
elif [ -f "$ROOT/boot/config-$KV" ]; then CONFIG=$ROOT/boot/config-$KV; CONFIG_FROM=/boot/config-$KV
fi
kconfig_line() {
	out="# kconfig:"
	for o in TRANSPARENT_HUGEPAGE FS_DAX_PMD HUGETLB_PAGE_OPTIMIZE_VMEMMAP PAGE_MAPCOUNT DEBUG_PAGE_REF; do
		# CONFIG_PAGE_MAPCOUNT (6.15+, mm/Kconfig's def_bool !NO_PAGE_MAPCOUNT) only where the
		# option exists: named in the config, or a 6.15+ kernel
		if [ $o = PAGE_MAPCOUNT ] && ! grep -qE "^(# )?CONFIG_$o[= ]" "$CONFIG" && ! version_ge 6 15; then continue; fi
		v=$(sed -n "s/^CONFIG_$o=\(.*\)/\1/p" "$CONFIG" | head -n 1); out="$out CONFIG_$o=${v:-n}"
	done
	echo "$out"
}
config_value() { [ -n "$CONFIG" ] && sed -n "s/^CONFIG_$1=\(.*\)/\1/p" "$CONFIG" | head -n 1; }

# ------------------------------------------------------------------ ZONE_DEVICE ranges
step "reading the ZONE_DEVICE ranges"
# legacy (memmap=) and NFIT pmem as /proc/iomem lists it: "START-END : Persistent Memory..."
PMEM=$(grep -i 'persistent memory' "$ROOT/proc/iomem" 2>/dev/null | sed 's/^[[:space:]]*//')
RANGES=""   # "LO HI" pfn pairs (decimal), one a line
add_range() { RANGES="$RANGES$1 $2$NL"; }
if [ -n "$PMEM" ]; then
	echo "$PMEM" | while IFS= read -r l; do
		a=${l%%-*}; b=${l#*-}; b=${b%% *}
		echo "$((0x$a >> 12)) $(((0x$b + 1) >> 12))"
	done > "$STATE/pmem.ranges"
	RANGES=$(cat "$STATE/pmem.ranges")$NL
fi
# device-dax instances (drivers/dax/bus.c: align, resource, size attributes)
DAXLINES=""
for d in "$ROOT"/sys/bus/dax/devices/dax*; do
	[ -d "$d" ] || continue
	n=$(basename "$d")
	al=$(cat "$d/align" 2>/dev/null); rs=$(cat "$d/resource" 2>/dev/null); sz=$(cat "$d/size" 2>/dev/null)
	DAXLINES="$DAXLINES# $n: align=${al:-unknown} resource=${rs:-unknown} size=${sz:-unknown}$NL"
	r=$(hexnum "$rs")
	case $sz in ''|*[!0-9]*) sz="" ;; esac
	if [ -n "$r" ] && [ -n "$sz" ]; then
		lo=$((r >> 12)); hi=$(((r + sz) >> 12)); inside=0
		# a device-dax range inside a pmem range is covered already
		while read -r a b; do [ -n "$a" ] && [ "$lo" -ge "$a" ] && [ "$hi" -le "$b" ] && inside=1; done <<EOF
$RANGES
EOF
		[ $inside = 1 ] || add_range "$lo" "$hi"
	fi
done
# libnvdimm namespaces: mode and size, for the reader of the header
NDLINES=""
for d in "$ROOT"/sys/bus/nd/devices/namespace*; do
	[ -d "$d" ] || continue
	n=$(basename "$d"); s=""
	for a in mode size resource align; do [ -f "$d/$a" ] && s="$s $a=$(cat "$d/$a" 2>/dev/null)"; done
	NDLINES="$NDLINES# nd $n:$s$NL"
done
if [ -n "$PFN_LO" ]; then RANGES="$PFN_LO $PFN_HI$NL"; fi
RANGES=$(printf '%s' "$RANGES" | sed '/^$/d')
[ -n "$RANGES" ] || die "no ZONE_DEVICE memory found (no 'Persistent Memory' in /proc/iomem, no /sys/bus/dax/devices/dax*); give --pfn-range A-B"

# ------------------------------------------------------------------ functions the kernel has
step "reading the functions the kernel has"
# available_filter_functions lists what kprobes can attach to; kallsyms is the fallback
# when the kernel has no dynamic ftrace. One pass over the (large) list, not one grep a probe.
FUNCS_FROM=""
if [ -f "$T/available_filter_functions" ]; then FUNCS_FROM=available_filter_functions; FUNCS_SRC=$T/available_filter_functions
elif [ -f "$ROOT/proc/kallsyms" ]; then FUNCS_FROM=kallsyms; FUNCS_SRC=$ROOT/proc/kallsyms
else FUNCS_FROM=none; FUNCS_SRC=/dev/null
fi

# ------------------------------------------------------------------ the probe sets
# SET|FILTER|DEFINITION. SET: common, gup_old (< 6.10 GUP names) / gup_new, leg_old
# (legacy, page-based devmap helpers: 6.1-6.9) / leg_new (6.10-6.14) / uni (6.15+), dev*
# (device-dax), lt (long-term pins), share (CoW, fork and shared extents: dax_insert_entry's
# iomap_flags is iter->iomap.flags, at +66 of struct iomap_iter in 6.1 through 7.3 (iomap at
# +40, flags at +26 of struct iomap), whose IOMAP_F_SHARED (0x4) says the extent is a
# reflink's; dax_associate_entry() itself is inlined; i_pages is xas->xa, the faulting
# file's &mapping->i_pages, at +8 of struct address_space after `host`). FILTER: page = the first
# folio/page/page0/var argument to the ZONE_DEVICE struct pages, comm = the workload's
# tasks, none. @REF@ … are struct page / folio / dev_pagemap offsets (layout below).
# Event names and fields are the ones src/lift and src/check read (docs/recording.md).
# A vmsplice()d page's FOLL_GET reference is dropped by user_page_pipe_buf_ops.release,
# page_cache_pipe_buf_release() (fs/splice.c, static but called through the ops table, so
# never inlined; 6.1, 6.12 and 7.3 alike) → put_page(): on a unified kernel no other probe
# sees that put unless it frees the folio. generic_pipe_buf_release() is other pipes'.
# +24 on a struct vm_fault * is its `address` (vma, gfp_mask, pgoff, address in 6.1 to
# 7.3): a device-dax fault's place, without which two mappings of one folio are one.
# vma: mremap() moves entries with no count change (move_huge_pmd(), move_ptes()): no
# page probe sees it, so the syscall's arguments and result are recorded. The wrapper
# __x64_sys_mremap(const struct pt_regs *) is in 6.1, 6.12 and 7.3 alike (do_mremap() is
# static and only 7.3 lists it); its arguments are pt_regs words: di (addr) +112, si
# (old_len) +104, dx (new_len) +96, r10 (flags) +56, r8 (new_addr) +72 (struct pt_regs,
# arch/x86/include/asm/ptrace.h: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di).
# folio_remove_rmap_ptes()'s fourth argument is the VMA (vm_start, vm_end at +0, +8 of
# struct vm_area_struct in 6.1 through 7.3): a page one mm maps twice (a shared and a
# private mapping of one file) is told apart by the VMA its PTE zap runs in.
# mprotect() changes no count either, yet on 6.1-6.11 change_pud_range() clears a
# device-dax PUD leaf as a bad table (pud_none_or_clear_bad()) and from 6.12 splits one
# the range cuts: __x64_sys_mprotect's pt_regs words di (start) +112, si (len) +104, dx
# (prot) +96 and its result; change_protection(tlb, vma, start, end, ...) is called by
# mprotect_fixup() only when the VMA's flags change (a call that asks for the protection
# the VMA has, or that a VMA's ->may_split() refuses, touches no entry), so its start and
# end are the ranges the call really changed.
# madvise(MADV_DONTNEED) needs none: its zaps and PMD splits show in the rmap probes
# (zap_page_range_single(), __split_huge_pmd() → folio_remove_rmap_pmd()).
cat > "$STATE/probes.in" <<'EOF'
gup_old|page|p:ktr/try_grab_folio try_grab_folio page=%di:x64 refs=%si:s32 flags=%dx:x32 pref=@REF@(%di):s32
gup_old|page|r:ktr/try_grab_folio_ret try_grab_folio folio=$retval:x64 ref=@REF@($retval):s32
gup_old|page|p:ktr/try_grab_page try_grab_page page=%di:x64 flags=%si:x32 ref=@REF@(%di):s32
gup_old|page|p:ktr/unpin_user_pages_dirty_lock unpin_user_pages_dirty_lock pages=%di:x64 n=%si:u64 dirty=%dx:u8 page0=+0(%di):x64 ref0=@REF@(+0(%di)):s32
gup_new|page|p:ktr/try_grab_folio try_grab_folio folio=%di:x64 refs=%si:s32 flags=%dx:x32 ref=@REF@(%di):s32
common|page|p:ktr/try_grab_folio_fast try_grab_folio_fast page=%di:x64 refs=%si:s32 flags=%dx:x32 pref=@REF@(%di):s32
common|page|r:ktr/try_grab_folio_fast_ret try_grab_folio_fast folio=$retval:x64 ref=@REF@($retval):s32
common|page|p:ktr/gup_put_folio gup_put_folio folio=%di:x64 refs=%si:s32 flags=%dx:x32 ref=@REF@(%di):s32
common|page|p:ktr/unpin_user_page unpin_user_page page=%di:x64 ref=@REF@(%di):s32
common|page|p:ktr/unpin_user_pages unpin_user_pages pages=%di:x64 n=%si:u64 page0=+0(%di):x64 ref0=@REF@(+0(%di)):s32
common|page|p:ktr/unpin_user_folio unpin_user_folio folio=%di:x64 npages=%si:u64 ref=@REF@(%di):s32
common|none|p:ktr/bio_release_pages __bio_release_pages bio=%di:x64 mark_dirty=%si:u8
common|page|p:ktr/set_page_dirty_lock set_page_dirty_lock page=%di:x64 ref=@REF@(%di):s32
common|page|p:ktr/pipe_buf_release generic_pipe_buf_release pipe=%di:x64 buf=%si:x64 page=+0(%si):x64 ref=@REF@(+0(%si)):s32
common|page|p:ktr/pipe_page_release page_cache_pipe_buf_release pipe=%di:x64 buf=%si:x64 page=+0(%si):x64 ref=@REF@(+0(%si)):s32
common|none|p:ktr/layout_busy dax_layout_busy_page_range mapping=%di:x64 start=%si:x64 end=%dx:x64
common|none|r:ktr/layout_busy_ret dax_layout_busy_page_range page=$retval:x64 ref=@REF@($retval):s32
common|none|p:ktr/dax_delete_entry dax_delete_mapping_entry mapping=%di:x64 index=%si:x64
common|page|p:ktr/wake_up_var wake_up_var var=%di:x64 v0=+0(%di):s32 v52=+52(%di):s32
common|page|p:ktr/free_zone_device_folio free_zone_device_folio folio=%di:x64 ref=@REF@(%di):s32 order=@ORD@(%di):u8
common|page|p:ktr/folio_put __folio_put folio=%di:x64 ref=@REF@(%di):s32 order=@ORD@(%di):u8
common|none|p:ktr/zap_huge_pmd zap_huge_pmd vma=%si:x64 pmdp=%dx:x64 addr=%cx:x64 pmdval=+0(%dx):x64
common|page|p:ktr/rmap_add_ptes folio_add_file_rmap_ptes folio=%di:x64 page=%si:x64 nr=%dx:s32 ref=@REF@(%di):s32 mapcount=@MAPC@(%si):s32
common|page|p:ktr/rmap_add_pmd folio_add_file_rmap_pmd folio=%di:x64 ref=@REF@(%di):s32 order=@ORD@(%di):u8 entire=@ENT@(%di):s32
common|page|p:ktr/rmap_remove_ptes folio_remove_rmap_ptes folio=%di:x64 page=%si:x64 nr=%dx:s32 ref=@REF@(%di):s32 mapcount=@MAPC@(%si):s32 vm_start=+0(%cx):x64 vm_end=+8(%cx):x64
common|page|p:ktr/rmap_remove_pmd folio_remove_rmap_pmd folio=%di:x64 ref=@REF@(%di):s32 order=@ORD@(%di):u8 entire=@ENT@(%di):s32
common|none|p:ktr/ext4_break_layouts ext4_break_layouts inode=%di:x64
common|none|p:ktr/xfs_break_dax_layouts xfs_break_dax_layouts inode=%di:x64
leg_old|page|p:ktr/put_devmap_page_refs __put_devmap_managed_page_refs page=%di:x64 refs=%si:s32 ref=@REF@(%di):s32
leg_old|none|r:ktr/put_devmap_page_refs_ret __put_devmap_managed_page_refs ret=$retval:u8
leg_old|page|p:ktr/free_zone_device_page free_zone_device_page page=%di:x64 ref=@REF@(%di):s32
leg_old|none|p:ktr/insert_pfn insert_pfn addr=%si:x64 pfn_t=%dx:x64 mkwrite=%r8:u8
leg_old|none|p:ktr/vmf_insert_pfn_pmd_prot vmf_insert_pfn_pmd_prot vmf=%di:x64 pfn_t=%si:x64 write=%cx:u8
leg_old|none|p:ktr/vmf_insert_mixed_mkwrite vmf_insert_mixed_mkwrite addr=%si:x64 pfn_t=%dx:x64
leg_old|none|p:ktr/gup_device_huge __gup_device_huge pfn=%di:x64 addr=%si:x64 end=%dx:x64 flags=%cx:x32
leg_old|none|p:ktr/follow_devmap_pmd follow_devmap_pmd addr=%si:x64 flags=%cx:x32
leg_old|none|p:ktr/dax_disassociate_entry dax_disassociate_entry entry=%di:x64 mapping=%si:x64 trunc=%dx:u8
leg_old|page|p:ktr/page_add_file_rmap page_add_file_rmap page=%di:x64 compound=%dx:u8 ref=@REF@(%di):s32 mapcount=@MAPC@(%di):s32
leg_old|page|p:ktr/page_remove_rmap page_remove_rmap page=%di:x64 compound=%dx:u8 ref=@REF@(%di):s32 mapcount=@MAPC@(%di):s32
leg_new|page|p:ktr/put_devmap_folio_refs __put_devmap_managed_folio_refs folio=%di:x64 refs=%si:s32 ref=@REF@(%di):s32
leg_new|none|r:ktr/put_devmap_folio_refs_ret __put_devmap_managed_folio_refs ret=$retval:u8
leg_new|none|p:ktr/insert_pfn insert_pfn addr=%si:x64 pfn_t=%dx:x64 mkwrite=%r8:u8
leg_new|none|p:ktr/vmf_insert_pfn_pmd vmf_insert_pfn_pmd vmf=%di:x64 pfn_t=%si:x64 write=%dx:u8
leg_new|none|p:ktr/vmf_insert_mixed_mkwrite vmf_insert_mixed_mkwrite addr=%si:x64 pfn_t=%dx:x64
leg_new|none|p:ktr/gup_fast_devmap_leaf gup_fast_devmap_leaf pfn=%di:x64 addr=%si:x64 end=%dx:x64 flags=%cx:x32
leg_new|none|p:ktr/follow_devmap_pmd follow_devmap_pmd addr=%si:x64 flags=%cx:x32
leg_new|none|p:ktr/dax_disassociate_entry dax_disassociate_entry entry=%di:x64 mapping=%si:x64 trunc=%dx:u8
uni|page|p:ktr/vmf_insert_page_mkwrite vmf_insert_page_mkwrite vmf=%di:x64 page=%si:x64 write=%dx:u8 ref=@REF@(%si):s32 mapcount=@MAPC@(%si):s32
uni|none|r:ktr/vmf_insert_page_mkwrite_ret vmf_insert_page_mkwrite ret=$retval:x32
uni|page|p:ktr/insert_page insert_page addr=%si:x64 page=%dx:x64 mkwrite=%r8:u8 ref=@REF@(%dx):s32
uni|page|p:ktr/vmf_insert_folio_pmd vmf_insert_folio_pmd vmf=%di:x64 folio=%si:x64 write=%dx:u8 ref=@REF@(%si):s32 order=@ORD@(%si):u8 entire=@ENT@(%si):s32 large=@LARGE@(%si):s32
uni|none|r:ktr/vmf_insert_folio_pmd_ret vmf_insert_folio_pmd ret=$retval:x32
uni|none|p:ktr/vmf_insert_pfn_pmd vmf_insert_pfn_pmd vmf=%di:x64 pfn=%si:x64 write=%dx:u8
uni|page|p:ktr/zone_device_page_init zone_device_page_init page=%di:x64 pgmap=%si:x64 order=%dx:u32 ref=@REF@(%di):s32
uni|page|p:ktr/dax_folio_reset_order dax_folio_reset_order folio=%di:x64 ref=@REF@(%di):s32 order=@ORD@(%di):u8
uni|none|r:ktr/dax_folio_reset_order_ret dax_folio_reset_order ret=$retval:s32
uni|none|p:ktr/dax_break_layout dax_break_layout inode=%di:x64 start=%si:x64 end=%dx:x64
uni|none|p:ktr/dax_break_layout_final dax_break_layout_final inode=%di:x64
uni|none|p:ktr/dax_delete_range dax_delete_mapping_range mapping=%di:x64 start=%si:x64 end=%dx:x64
dev_pesize|none|p:ktr/dev_dax_huge_fault dev_dax_huge_fault vmf=%di:x64 pe_size=%si:u32 address=+24(%di):x64
dev_order|none|p:ktr/dev_dax_huge_fault dev_dax_huge_fault vmf=%di:x64 order=%si:u32 address=+24(%di):x64
dev|none|r:ktr/dev_dax_huge_fault_ret dev_dax_huge_fault ret=$retval:x32
dev|none|p:ktr/dev_dax_fault dev_dax_fault vmf=%di:x64 address=+24(%di):x64
dev_uni|page|p:ktr/folio_pgmap vmf_insert_folio_pud folio=%si:x64 pgmap=@WORD1@(%si):x64 type=@PGT@(@WORD1@(%si)):u32 shift=@PGS@(@WORD1@(%si)):u64 nr_range=@PGN@(@WORD1@(%si)):s32 start=@PGR@(@WORD1@(%si)):x64 end=@PGE@(@WORD1@(%si)):x64
dev|comm|p:ktr/get_dev_pagemap get_dev_pagemap pfn=%di:x64 cached=%si:x64
dev|comm|r:ktr/get_dev_pagemap_ret get_dev_pagemap pgmap=$retval:x64 type=@PGT@($retval):u32 shift=@PGS@($retval):u64 nr_range=@PGN@($retval):s32 start=@PGR@($retval):x64 end=@PGE@($retval):x64
dev_old|none|p:ktr/vmf_insert_pfn_pud_prot vmf_insert_pfn_pud_prot vmf=%di:x64 pfn=%si:x64 write=%cx:u8
dev_old|none|r:ktr/vmf_insert_pfn_pud_prot_ret vmf_insert_pfn_pud_prot ret=$retval:x32
dev_old|none|p:ktr/follow_devmap_pud follow_devmap_pud addr=%si:x64 flags=%cx:x32
dev|none|p:ktr/vmf_insert_pfn_pud vmf_insert_pfn_pud vmf=%di:x64 pfn=%si:x64 write=%dx:u8
dev|none|r:ktr/vmf_insert_pfn_pud_ret vmf_insert_pfn_pud ret=$retval:x32
dev|page|p:ktr/vmf_insert_folio_pud vmf_insert_folio_pud vmf=%di:x64 folio=%si:x64 write=%dx:u8 ref=@REF@(%si):s32 order=@ORD@(%si):u8 entire=@ENT@(%si):s32 large=@LARGE@(%si):s32
dev|none|r:ktr/vmf_insert_folio_pud_ret vmf_insert_folio_pud ret=$retval:x32
dev|page|p:ktr/rmap_add_pud folio_add_file_rmap_pud folio=%di:x64 page=%si:x64 ref=@REF@(%di):s32 order=@ORD@(%di):u8 entire=@ENT@(%di):s32 large=@LARGE@(%di):s32
dev|page|p:ktr/rmap_remove_pud folio_remove_rmap_pud folio=%di:x64 page=%si:x64 ref=@REF@(%di):s32 order=@ORD@(%di):u8 entire=@ENT@(%di):s32 large=@LARGE@(%di):s32
dev|none|p:ktr/zap_huge_pud zap_huge_pud vma=%si:x64 pudp=%dx:x64 addr=%cx:x64 pudval=+0(%dx):x64
lt|comm|p:ktr/check_vma_flags check_vma_flags vma=%di:x64 gup_flags=%si:x32
lt|comm|r:ktr/check_vma_flags_ret check_vma_flags ret=$retval:s32
lt|comm|r:ktr/gup_longterm_ret __gup_longterm_locked ret=$retval:s64
lt|none|p:ktr/io_pin_pages io_pin_pages uaddr=%di:x64 len=%si:u64
lt|none|r:ktr/io_pin_pages_ret io_pin_pages ret=$retval:s64
lt|none|r:ktr/io_sqe_buffers_register_ret io_sqe_buffers_register ret=$retval:s32
share|comm|p:ktr/do_wp_page do_wp_page vmf=%di:x64 addr=+24(%di):x64
share|comm|p:ktr/dax_insert_entry dax_insert_entry i_pages=+0(%di):x64 entry=%cx:x64 pfn=%r8:x64 iomap_flags=+66(%dx):u16
share|comm|p:ktr/anon_rmap_new folio_add_new_anon_rmap anon=%di:x64 vma=%si:x64 addr=%dx:x64 ref=@REF@(%di):s32
share|comm|p:ktr/copy_page_range copy_page_range dst_vma=%di:x64 src_vma=%si:x64 src_flags=+32(%si):x64
share|comm|r:ktr/copy_page_range_ret copy_page_range ret=$retval:s32
vma|comm|p:ktr/mremap __x64_sys_mremap addr=+112(%di):x64 old_len=+104(%di):u64 new_len=+96(%di):u64 flags=+56(%di):x32 new_addr=+72(%di):x64
vma|comm|r:ktr/mremap_ret __x64_sys_mremap ret=$retval:x64
vma|comm|p:ktr/mprotect __x64_sys_mprotect start=+112(%di):x64 len=+104(%di):u64 prot=+96(%di):x32
vma|comm|r:ktr/mprotect_ret __x64_sys_mprotect ret=$retval:s64
vma|comm|p:ktr/change_protection change_protection start=%dx:x64 end=%cx:x64
EOF
# the functions of every set, then the ones the kernel has (one pass over its list)
cut -d'|' -f3 "$STATE/probes.in" | awk '{ print $2 }' > "$STATE/wanted"
echo ksys_write >> "$STATE/wanted"; echo __x64_sys_write >> "$STATE/wanted"
# (cut and grep, not awk: the list has ~10^5 lines and awk is slow under emulation)
if [ "$FUNCS_FROM" = kallsyms ]; then
	grep -E '^[0-9a-fA-F]+ [Tt] ' "$FUNCS_SRC" | cut -d' ' -f3 | cut -f1
else
	cut -d' ' -f1 "$FUNCS_SRC"
fi | grep -Fx -f "$STATE/wanted" | sort -u > "$STATE/have"
HAVE=" $(tr '\n' ' ' < "$STATE/have") "
have() { [ "$FUNCS_FROM" = none ] && return 0; case $HAVE in *" $1 "*) return 0 ;; esac; return 1; }

# GUP generation: "mm: gup: stop abusing try_grab_folio" (6.10) renamed the slow grab
# try_grab_page -> try_grab_folio(folio) and the fast one try_grab_folio(page) ->
# try_grab_folio_fast; the names the kernel has decide, the version only when it has neither.
if have try_grab_folio_fast && ! have try_grab_page; then GUP=new; GUP_WHY="try_grab_folio_fast"
elif have try_grab_page && ! have try_grab_folio_fast; then GUP=old; GUP_WHY="try_grab_page"
elif version_ge 6 10; then GUP=new; GUP_WHY="kernel $KV (no GUP grab function listed)"
else GUP=old; GUP_WHY="kernel $KV (no GUP grab function listed)"; fi
# refcount model: the legacy devmap put hook exists only before 6.15, the folio inserts
# of the unified model only from 6.15 ("fs/dax: Fix ZONE_DEVICE page reference counts")
if have __put_devmap_managed_page_refs || have __put_devmap_managed_folio_refs; then FAMILY=legacy; FAMILY_WHY="__put_devmap_managed_*_refs"
elif have vmf_insert_folio_pmd || have vmf_insert_page_mkwrite || have dax_folio_reset_order; then FAMILY=unified; FAMILY_WHY="vmf_insert_folio_pmd/vmf_insert_page_mkwrite"
elif version_ge 6 15; then FAMILY=unified; FAMILY_WHY="kernel $KV (neither model's functions listed)"
else FAMILY=legacy; FAMILY_WHY="kernel $KV (neither model's functions listed)"; fi
if [ $FAMILY = legacy ]; then LEG=leg_$GUP; else LEG=uni; fi
# dev_dax_huge_fault's second argument: enum page_entry_size before "mm: Convert
# page_entry_size to an order" (6.6), the order after. Not in any list: the version decides.
if version_ge 6 6; then DEVF=dev_order; else DEVF=dev_pesize; fi
DEVX=""; [ $FAMILY = unified ] && DEVX=dev_uni; [ $GUP = old ] && DEVX=dev_old
SETS="gup_$GUP common $LEG $DEVF dev${DEVX:+ $DEVX} lt share vma"

# ------------------------------------------------------------------ struct page layout
step "reading the struct page layout"
# Offsets from the running kernel's BTF where it has one; else the layout recorded for the
# nearest kernel family (events/traces), written into the header as such.
LAYOUT_FROM=""; LAYOUT=""
btf_layout() { # btf_layout FILE -> "struct_page=64 refcount=52 …" (offsets in bytes, -1 = absent)
	set -- $(od -An -v -tu4 -N 24 "$1" 2>/dev/null)
	[ $# -ge 6 ] && [ $(($1 & 65535)) -eq 60319 ] || return 1   # BTF_MAGIC 0xeB9F, little endian
	hl=$2; to=$3; tl=$4; so=$5; sl=$6
	# the string offsets of the names looked for (btf strings are NUL-separated)
	# (grep, not awk, sifts the ~10^5 strings: awk is slow under emulation)
	names=$(tail -c +$((hl + so + 1)) "$BTF" | head -c "$sl" | strings -n 1 -t d |
		grep -E '^ *[0-9]+ (page|folio|dev_pagemap|_refcount|_mapcount|compound_head|compound_info|pgmap|_flags_1|_folio_order|_large_mapcount|_entire_mapcount|_total_mapcount|_nr_pages_mapped|_pincount|type|vmemmap_shift|nr_range|range)$' |
		awk '!($2 in seen) { seen[$2] = 1; printf "%s %s ", $1, $2 }')
	# walk the type section (every record is a multiple of 4 bytes), keeping the members
	# of struct page, folio, dev_pagemap and of every anonymous struct/union (fields sit
	# in nested anonymous unions). The three are among the first types of vmlinux BTF
	# (mm_types.h comes with the first compilation unit): the walk stops once they and
	# the anonymous types they contain are read, a few thousand words instead of ~10^6.
	# The input is cut to a first 64 KiB (then 1 MiB, then all) rather than left to SIGPIPE
	# to stop: a shell started with SIGPIPE ignored (some inits) would run od to the end.
	lim=65536
	while :; do
		[ "$lim" -ge "$tl" ] && lim=$tl
		out=$(btf_walk "$lim" "$([ "$lim" -ge "$tl" ] && echo 1 || echo 0)") && { printf '%s\n' "$out"; return 0; }
		[ "$lim" -ge "$tl" ] && return 1
		lim=$((lim * 16))
	done
}
btf_walk() { # btf_walk BYTES FULL: the layout from the first BYTES of the type section
	tail -c +$((hl + to + 1)) "$BTF" | head -c "$1" | od -An -v -tu4 | awk -v S="$names" -v full="$2" '
	BEGIN { id = 0; st = 0; found = 0; npend = 0; n = split(S, a, " "); for (i = 1; i <= n; i += 2) { NAME[a[i]] = a[i + 1]; OFF[a[i + 1]] = a[i] }
		TOP[OFF["page"]] = 1; TOP[OFF["folio"]] = 1; TOP[OFF["dev_pagemap"]] = 1 }
	function need(t,    c) {   # t is read: ask for the anonymous types inside it
		for (c = 0; c < NM[t]; c++) if (MN[t, c] == 0) {
			if (MT[t, c] in NM) need(MT[t, c])
			else if (!(MT[t, c] in PEND)) { PEND[MT[t, c]] = 1; npend++ }
		}
	}
	function done(t) {
		if (K[t] == 4 && (N[t] in TOP) && NM[t] > 0 && !(N[t] in SEEN)) { SEEN[N[t]] = 1; found++; need(t) }
		else if (t in PEND) { delete PEND[t]; npend--; need(t) }
		if (found == 3 && npend == 0) exit
	}
	{
		for (i = 1; i <= NF; i++) {
			if (st == 3) {
				if (rec) {
					if (m == 0) mn = $i
					else if (m == 1) mt = $i
					else { v = $i; o = kflag ? v % 16777216 : v; c = NM[id]++; MN[id, c] = mn; MT[id, c] = mt; MO[id, c] = o; m = -1 }
					m++
				}
				if (--rem == 0) { st = 0; if (rec) done(id) }
				continue
			}
			if (st == 0) { id++; nameoff = $i; st = 1; continue }
			if (st == 1) { info = $i; st = 2; continue }
			vlen = info % 65536; kind = int(info / 16777216) % 32; rec = 0
			if (kind == 4 || kind == 5) {
				rem = 3 * vlen; rec = (nameoff == 0 || (nameoff in NAME))
				if (rec) { K[id] = kind; N[id] = nameoff; Z[id] = $i; NM[id] = 0; kflag = int(info / 2147483648); m = 0 }
			} else if (kind == 1 || kind == 14 || kind == 17) rem = 1
			else if (kind == 3) rem = 3
			else if (kind == 15 || kind == 19) rem = 3 * vlen
			else if (kind == 6 || kind == 13) rem = 2 * vlen
			else rem = 0
			st = rem > 0 ? 3 : 0
			if (st == 0 && rec) done(id)
		}
	}
	function find(t, want,    c, r) {
		for (c = 0; c < NM[t]; c++) {
			if (MN[t, c] == want) return MO[t, c] / 8
			if (MN[t, c] == 0 && (MT[t, c] in NM)) { r = find(MT[t, c], want); if (r >= 0) return MO[t, c] / 8 + r }
		}
		return -1
	}
	function top(name,   t) {
		if (!(name in OFF)) return 0
		for (t = 1; t <= id; t++) if ((t in K) && K[t] == 4 && N[t] == OFF[name] && NM[t] > 0) return t
		return 0
	}
	function field(t, name) { if (t == 0 || !(name in OFF)) return -1; return find(t, OFF[name]) }
	END {
		if (!full && (found < 3 || npend > 0)) exit 1   # not all read yet: a longer prefix
		p = top("page"); f = top("folio"); d = top("dev_pagemap")
		if (p == 0) exit 1
		w = field(p, "compound_head"); if (w < 0) w = field(p, "compound_info")
		o = field(f, "_folio_order"); if (o < 0) o = field(f, "_flags_1")
		e = field(f, "_entire_mapcount"); if (e < 0) e = field(f, "_total_mapcount")
		printf "struct_page=%d refcount=%d mapcount=%d word1=%d order=%d large=%d entire=%d pincount=%d", Z[p], field(p, "_refcount"), field(p, "_mapcount"), w, o, field(f, "_large_mapcount"), e, field(f, "_pincount")
		printf " pgmap_type=%d pgmap_shift=%d pgmap_nr_range=%d pgmap_range=%d\n", field(d, "type"), field(d, "vmemmap_shift"), field(d, "nr_range"), field(d, "range")
	}'
}
BTF=$ROOT/sys/kernel/btf/vmlinux
if [ -f "$BTF" ]; then
	# the walk takes seconds under emulation: keep its answer for the next run of this boot
	CACHE=${TMPDIR:-/tmp}/dax-refsim-btf-layout.$KV.$(wc -c < "$BTF" | tr -d ' ')
	[ -z "$ROOT" ] && [ -s "$CACHE" ] && LAYOUT=$(cat "$CACHE")
	[ -n "$LAYOUT" ] || LAYOUT=$(btf_layout "$BTF")
	if [ -n "$LAYOUT" ]; then LAYOUT_FROM=btf; [ -z "$ROOT" ] && printf '%s\n' "$LAYOUT" > "$CACHE" 2>/dev/null
	else warn "could not read struct page from $BTF; using the recorded layout of the kernel family"; fi
fi
if [ -z "$LAYOUT" ]; then
	# recorded layouts (events/traces/*.md, src/models/kernel-facts.ts): 6.1, 6.12, 7.2/7.3
	if ! version_ge 6 2; then LAYOUT="struct_page=64 refcount=52 mapcount=48 word1=8 order=81 large=-1 entire=84 pincount=88 pgmap_type=96 pgmap_shift=104 pgmap_nr_range=128 pgmap_range=136"; LAYOUT_FROM=default-6.1
	elif ! version_ge 6 15; then LAYOUT="struct_page=64 refcount=52 mapcount=48 word1=8 order=64 large=80 entire=84 pincount=92 pgmap_type=104 pgmap_shift=112 pgmap_nr_range=136 pgmap_range=144"; LAYOUT_FROM=default-6.12
	else LAYOUT="struct_page=64 refcount=52 mapcount=48 word1=8 order=64 large=80 entire=88 pincount=92 pgmap_type=96 pgmap_shift=104 pgmap_nr_range=128 pgmap_range=136"; LAYOUT_FROM=default-7.2; fi
fi
lay() { echo " $LAYOUT " | sed -n "s/.* $1=\(-\{0,1\}[0-9]*\) .*/\1/p"; }
PGSZ=$(lay struct_page); REF=$(lay refcount); MAPC=$(lay mapcount); WORD1=$(lay word1); ORD=$(lay order)
LARGE=$(lay large); ENT=$(lay entire); PINC=$(lay pincount)
PGT=$(lay pgmap_type); PGS=$(lay pgmap_shift); PGN=$(lay pgmap_nr_range); PGR=$(lay pgmap_range)
for v in "$PGSZ" "$REF" "$MAPC" "$ORD" "$ENT"; do
	case $v in ''|-*) die "struct page layout incomplete ($LAYOUT_FROM: $LAYOUT)" ;; esac
done

# ------------------------------------------------------------------ vmemmap base
step "reading vmemmap_base"
# pfn_to_page(pfn) = vmemmap_base + pfn * sizeof(struct page). With KASLR (and 5-level
# paging) vmemmap_base is a variable (CONFIG_DYNAMIC_MEMORY_LAYOUT): read it with a
# one-shot kprobe fetching @vmemmap_base, fired by a marker write of this shell.
VMEMMAP_DEFAULT=0xffffea0000000000   # VMEMMAP_START, 4-level paging, no KASLR
VMEMMAP=""; VMEMMAP_FROM=""; VMEMMAP_NOTE=""
if grep -q ' vmemmap_base$' "$ROOT/proc/kallsyms" 2>/dev/null; then
	TRIG=ksys_write; have ksys_write || TRIG=__x64_sys_write
	if echo "p:$VMGROUP/base $TRIG vmemmap=@vmemmap_base:x64" >> "$T/kprobe_events" 2>/dev/null; then
		note_probe "$VMGROUP/base"
		{ echo 1 > "$T/events/$VMGROUP/base/enable"; } 2>/dev/null
		set_file "$T/tracing_on" 1
		{ echo "dax-refsim-record: reading vmemmap_base" > "$T/trace_marker"; } 2>/dev/null
		set_file "$T/tracing_on" 0
		VMEMMAP=$(sed -n 's/.* base: .* vmemmap=\(0x[0-9a-fA-F]*\).*/\1/p' "$T/trace" 2>/dev/null | tail -n 1)
		{ echo 0 > "$T/events/$VMGROUP/base/enable"; } 2>/dev/null
		# removed now, not at the end: the recording must not carry it
		{ echo "-:$VMGROUP/base" >> "$T/kprobe_events"; } 2>/dev/null && eval "SK_$LASTK=" && ADDED_PROBES=$((ADDED_PROBES - 1))
		[ -n "$VMEMMAP" ] && VMEMMAP_FROM=kprobe || VMEMMAP_NOTE="the vmemmap_base probe recorded nothing"
	else VMEMMAP_NOTE="a kprobe fetching @vmemmap_base was refused"; fi
else
	# no variable: VMEMMAP_START is the constant (no CONFIG_DYNAMIC_MEMORY_LAYOUT), or
	# kallsyms hides data symbols (no CONFIG_KALLSYMS_ALL, or kptr_restrict)
	VMEMMAP_NOTE="no vmemmap_base in /proc/kallsyms"
fi
if [ -z "$VMEMMAP" ]; then
	# 5-level paging moves VMEMMAP_START to 0xffd4000000000000: in use when the CPU has
	# la57, the command line has no no5lvl, and the kernel was built for it (always since
	# 6.16, which dropped CONFIG_X86_5LEVEL)
	if grep -qw la57 "$ROOT/proc/cpuinfo" 2>/dev/null && ! grep -qw no5lvl "$ROOT/proc/cmdline" 2>/dev/null &&
		{ [ "$(config_value X86_5LEVEL)" = y ] || version_ge 6 16 || [ -z "$CONFIG" ]; }; then
		VMEMMAP_DEFAULT=0xffd4000000000000; VMEMMAP_PAGING="5-level paging (la57, no no5lvl)"
	else VMEMMAP_PAGING="4-level paging"; fi
	VMEMMAP=$VMEMMAP_DEFAULT; VMEMMAP_FROM=default
	case $(config_value RANDOMIZE_MEMORY) in
	y) grep -qw nokaslr "$ROOT/proc/cmdline" 2>/dev/null ||
		warn "$VMEMMAP_NOTE; CONFIG_RANDOMIZE_MEMORY=y without nokaslr: the default base $VMEMMAP_DEFAULT is probably wrong" ;;
	esac
fi
# Kernel addresses do not fit shell arithmetic (signed 64-bit; dash saturates where busybox
# wraps): the base is added in two 32-bit halves.
b=${VMEMMAP#0x}; b=${b#0X}
while [ ${#b} -lt 16 ]; do b=0$b; done
BASE_HI=$((0x${b%????????})); BASE_LO=$((0x${b#????????}))
page_addr() { # page_addr PFN [OFFSET]: the address of byte OFFSET of PFN's struct page
	lo=$((BASE_LO + $1 * PGSZ + ${2:-0}))
	printf '0x%08x%08x' $(((BASE_HI + (lo >> 32)) & 0xffffffff)) $((lo & 0xffffffff))
}

# ------------------------------------------------------------------ filters
PAGE_FILTER=""; PFN_FILTER=""
while read -r lo hi; do
	[ -n "$lo" ] || continue
	[ -n "$PAGE_FILTER" ] && { PAGE_FILTER="$PAGE_FILTER ||"; PFN_FILTER="$PFN_FILTER ||"; }
	PAGE_FILTER="$PAGE_FILTER@F@ >= $(page_addr "$lo") && @F@ < $(page_addr "$hi")"
	PFN_FILTER="${PFN_FILTER}pfn >= $(printf '0x%x' "$lo") && pfn < $(printf '0x%x' "$hi")"
done <<EOF
$RANGES
EOF
PAGE_FILTER=$(echo "$PAGE_FILTER" | sed 's/^ *//'); PFN_FILTER=$(echo "$PFN_FILTER" | sed 's/^ *//')
COMM_FILTER="comm == \"$COMM\""

# ------------------------------------------------------------------ page_ref
PAGEREF=no
if [ -d "$T/events/page_ref" ]; then PAGEREF=yes
elif [ $PAGE_REF = force ]; then die "--page-ref: this kernel has no page_ref tracepoints ($T/events/page_ref missing: CONFIG_DEBUG_PAGE_REF is not set)"; fi

# ------------------------------------------------------------------ set up
step "setting up tracefs"
set_file "$T/tracing_on" 0
cur=""; [ -f "$T/current_tracer" ] && IFS= read -r cur < "$T/current_tracer"
[ -n "$cur" ] && [ "$cur" != nop ] && set_file "$T/current_tracer" nop
set_file "$T/buffer_size_kb" "$BUFFER_KB" || warn "could not set buffer_size_kb to $BUFFER_KB"
set_file "$T/options/record-tgid" 1   # check keys address spaces by thread group

: > "$STATE/attach"; : > "$STATE/added"; : > "$STATE/filters"
sub_layout() {
	sed -e "s/@REF@/+$REF/g" -e "s/@MAPC@/+$MAPC/g" -e "s/@ORD@/+$ORD/g" -e "s/@ENT@/+$ENT/g" \
		-e "s/@LARGE@/+$LARGE/g" -e "s/@WORD1@/+$WORD1/g" -e "s/@PGT@/+$PGT/g" -e "s/@PGS@/+$PGS/g" \
		-e "s/@PGN@/+$PGN/g" -e "s/@PGR@/+$PGR/g" -e "s/@PGE@/+$((PGR + 8))/g" \
		-e 's/ [a-z_0-9]*=+-1([^ ]*//g'   # a field this kernel lacks (offset -1): not fetched
}
for set in $SETS; do
	grep "^$set|" "$STATE/probes.in" | sub_layout
done > "$STATE/probes"
while IFS='|' read -r set filt def; do
	name=${def%% *}; name=${name#*:}; rest=${def#* }; fn=${rest%% *}
	if have "$fn" && { echo "$def" >> "$T/kprobe_events"; } 2>/dev/null; then
		note_probe "$name"; echo "ok $def" >> "$STATE/attach"; echo "$name|$filt|$def" >> "$STATE/added"
	else echo "FAILED $def" >> "$STATE/attach"; fi
done < "$STATE/probes"

# snap: ksys_write (tracing_mark_write itself is notrace) reading fixed words of the
# chosen pfns: r_ _refcount, m_ _mapcount, o_ folio order, e_ entire mapcount, p_
# _pincount, w1_ word 1 (compound head / pgmap); check reads them by name and offset
if [ -n "$SNAP_PFNS" ]; then
	sa=""
	for p in $SNAP_PFNS; do
		pf=$((0x$p))
		sa="$sa r_$p=@$(page_addr $pf $REF):s32 m_$p=@$(page_addr $pf $MAPC):s32 o_$p=@$(page_addr $pf $ORD):u8 e_$p=@$(page_addr $pf $ENT):s32"
		[ "$PINC" -ge 0 ] && sa="$sa p_$p=@$(page_addr $pf $PINC):s32"
		[ "$WORD1" -ge 0 ] && sa="$sa w1_$p=@$(page_addr $pf $WORD1):x64"
	done
	TRIG=ksys_write; have ksys_write || TRIG=__x64_sys_write
	if [ $TRIG = ksys_write ]; then def="p:$GROUP/snap ksys_write fd=%di:u32 txt=+0(%si):ustring$sa"
	else def="p:$GROUP/snap __x64_sys_write fd=+112(%di):u32 txt=+0(+104(%di)):ustring$sa"; fi
	if have $TRIG && { echo "$def" >> "$T/kprobe_events"; } 2>/dev/null; then
		note_probe "$GROUP/snap"; echo "ok $def" >> "$STATE/attach"; echo "$GROUP/snap|snap|$def" >> "$STATE/added"
	else echo "FAILED $def" >> "$STATE/attach"; warn "the snap probe did not attach"; fi
fi

# A write the kernel took is a probe it defines; read the list back once to be sure
# (an accepted write that did not define the probe is FAILED like a refused one).
live_probes | sed -n "s/^[pr][0-9]*:\([^ ]*\) .*/\1/p" > "$STATE/live"
awk -F'|' 'NR == FNR { live[$1] = 1; next } ($1 in live)' "$STATE/live" "$STATE/added" > "$STATE/added.live"
awk 'NR == FNR { live[$1] = 1; next } $1 == "ok" { split($2, a, ":"); if (!(a[2] in live)) $1 = "FAILED" } { print }' "$STATE/live" "$STATE/attach" > "$STATE/attach.live"
mv "$STATE/added.live" "$STATE/added"; mv "$STATE/attach.live" "$STATE/attach"

# filters, then one enable for the whole group
step "setting filters and enabling events"
for a in folio page page0 var; do eval "PF_$a=\$(echo \"\$PAGE_FILTER\" | sed \"s/@F@/$a/g\")"; done
while IFS='|' read -r name filt def; do
	f=""
	case $filt in
	page)
		for a in folio page page0 var; do
			case " $def " in *" $a="*:x64" "*) eval "f=\$PF_$a"; break ;; esac
		done ;;
	comm) f=$COMM_FILTER ;;
	# the workload writes each marker to stdout too: only the trace_marker fd's write is a snap
	snap) f="fd == $SNAP_FD && $COMM_FILTER" ;;
	esac
	# the recorder's own events vanish with their probes: their filters need no restoring
	if [ -n "$f" ] && ! { printf '%s\n' "$f" > "$T/events/$name/filter"; } 2>/dev/null; then
		warn "filter refused on $name: $f"; f=""
	fi
	echo "${name#*/}: ${f:-none}" >> "$STATE/filters"
done < "$STATE/added"
if [ -s "$STATE/added" ]; then
	{ echo 1 > "$T/events/$GROUP/enable"; } 2>/dev/null || warn "could not enable the $GROUP events"
fi

if [ -d "$T/events/fs_dax" ]; then
	for e in "$T"/events/fs_dax/*/; do [ -f "$e/enable" ] && set_file "${e%/}/enable" 1; done
else warn "no fs_dax tracepoints (CONFIG_FS_DAX not set?)"; fi
if [ $PAGEREF = yes ]; then
	for e in "$T"/events/page_ref/*/; do
		[ -f "$e/enable" ] || continue
		set_file "${e%/}/filter" "$PFN_FILTER" || warn "page_ref filter refused on $e"
		set_file "${e%/}/enable" 1
	done
	echo "page_ref (system): $PFN_FILTER" >> "$STATE/filters"
fi

# ------------------------------------------------------------------ record
step "running the command"
echo > "$T/trace" 2>/dev/null    # drop what an earlier user left in the buffer
MARKER=${T#"$ROOT"}/trace_marker
[ -n "$ROOT" ] && MARKER=$T/trace_marker
set_file "$T/tracing_on" 1
DAX_REFSIM_MARKER=$MARKER
export DAX_REFSIM_MARKER
# the command runs in the background so that a signal to this script runs its trap at
# once (a foreground child would delay it until the child exits); stdin stays the
# terminal's, and an interrupt stops the command before tracefs is restored
# (with the trace on stdout, the command's own stdout goes to stderr: it would precede
# the trace in the same stream)
RUNNING=1
if [ -n "$OUT" ]; then "$@" <&0 &
else "$@" <&0 >&2 & fi
CHILD=$!
wait "$CHILD"; RC=$?
CHILD=""; RUNNING=0
echo 0 > "$T/tracing_on"

# ------------------------------------------------------------------ dump
step "writing the trace"
if [ -n "$OUT" ]; then TMPOUT=$OUT.tmp.$$; exec 3> "$TMPOUT" || die "cannot write $TMPOUT"
else exec 3>&1; fi
{
	echo "KTRACE-BEGIN kernel=$KV$LABELS"
	if [ -n "$CONFIG" ]; then kconfig_line; echo "# kconfig-source: $CONFIG_FROM"
	else echo "# kconfig-source: none (no /proc/config.gz, no /boot/config-$KV): give check --kconfig"; fi
	echo "# cmdline: $(cat "$ROOT/proc/cmdline" 2>/dev/null)"
	[ -n "$PMEM" ] && echo "# pmem: $(echo "$PMEM" | tr '\n' ';')"
	printf '%s' "$DAXLINES"
	printf '%s' "$NDLINES"
	printf '%s' "$HEADERS" | sed 's/^/# /'
	echo "# recorder: dax-refsim-record.sh command=$(printf '%s' "$*" | tr '\n' ' ') exit=$RC comm=$COMM"
	echo "# probe sets: $SETS (model: $FAMILY by $FAMILY_WHY; gup: $GUP by $GUP_WHY; functions from $FUNCS_FROM)"
	echo "# vmemmap: base=$VMEMMAP base_from=$VMEMMAP_FROM layout_from=$LAYOUT_FROM $LAYOUT"
	[ $VMEMMAP_FROM = default ] && echo "# vmemmap fallback: $VMEMMAP_NOTE; assumed VMEMMAP_START $VMEMMAP_DEFAULT ($VMEMMAP_PAGING, no KASLR)"
	case $LAYOUT_FROM in default*) echo "# layout fallback: no usable BTF; assumed the struct page layout recorded for ${LAYOUT_FROM#default-}" ;; esac
	echo "# kprobe_events:"
	live_probes | grep "^[pr][0-9]*:$GROUP/" | sed 's/^/#   /'
	echo "# probe attach status:"
	sed 's/^/#   /' "$STATE/attach"
	echo "# filters:"
	sort "$STATE/filters" | sed 's/^/#   /'
	# The snap probe reads the marker text as a C string from the workload's buffer: a
	# marker written with its newline, from a buffer not NUL-terminated after it, prints
	# the newline and the bytes after it inside txt="…", breaking the event line. Such a
	# line is joined again, its text cut at the newline (what trace_marker records).
	if grep -q ' snap: .* txt="[^"]*$' "$T/trace"; then
		awk 'cut { if (index($0, "\" r_")) { print head substr($0, index($0, "\" r_")); cut = 0 } next }
			/ snap: .* txt="[^"]*$/ { head = $0; cut = 1; next }
			{ print }
			END { if (cut) print head }' "$T/trace"
	else cat "$T/trace"; fi
	echo "KTRACE-END"
} >&3 || { exec 3>&-; die "writing the trace failed"; }
exec 3>&-
if [ -n "$OUT" ]; then mv -f "$TMPOUT" "$OUT" || die "cannot rename $TMPOUT to $OUT"; TMPOUT=""; fi
exit "$RC"
