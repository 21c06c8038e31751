/*
 * fsdax-reflink: FS DAX on shared extents (xfs with reflink=1, dax=always).
 *
 *   FICLONE (whole file) and FICLONERANGE (64 KiB): the clones share the
 *     source's blocks, so one pmem page belongs to several files
 *   read faults on shared blocks through two files, PTE and PMD: one page
 *     mapped by two inodes (dax_associate_entry of a shared page)
 *   write faults on a shared block: copy-on-write that unshares it (iomap
 *     srcmap, dax_iomap_copy_around) - after a read (PTE), as a first access
 *     (PTE, and a PMD-sized range that the source has PMD-mapped)
 *   FALLOC_FL_UNSHARE_RANGE of a mapped clone (dax_file_unshare)
 *   punch of one sharer (the page stays mapped by the other), then of the last
 *   truncate of a clone while the source is mapped
 * On filesystems without reflink (ext4, tmpfs) FICLONE is refused and the steps
 * that need a shared extent are skipped by name.
 *
 * Opt-in (argument `pmd-cow-after-read`): a write into a shared extent that the
 * clone has PMD-mapped read-only, where the CoW blocks cannot be PMD-mapped
 * (dax_iomap_pmd_fault FALLBACK, then a PTE CoW fault). On Debian 6.1.192,
 * 6.12.117 and 7.3.4 this leaves a DAX entry behind: evicting the clone hits
 * BUG_ON(inode->i_data.nrpages) in clear_inode() and the kernel panics. Whether
 * the CoW falls back depends on free space (after other workloads on the same
 * filesystem it does), so the step is off by default and says so in its marker.
 *
 * Usage: fsdax-reflink <dax-dir> [pmd-cow-after-read]
 */
#include "wl.h"

#define USAGE "<dax-mounted-dir on xfs with reflink> [pmd-cow-after-read]"

static char *map(int fd, size_t len, off_t off, int pte)
{
	char *p = wl_map_aligned(len, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

	if (p == MAP_FAILED)
		wl_die("mmap");
	if (pte && madvise(p, len, MADV_NOHUGEPAGE))
		wl_die("madvise(MADV_NOHUGEPAGE)");
	return p;
}

static int shared, pmd_cow_after_read;

/* A step on a shared extent: skipped by name where nothing could be shared. */
static void stouch(const char *word, char *p, unsigned long n, int how, char val)
{
	if (shared)
		wl_touch(word, p, n, how, val);
	else
		wl_skip(word, "ficlone_refused");
}

#define SSTEP(word, call, ...) (shared ? WL_STEP(word, call, __VA_ARGS__) : (wl_skip(word, "ficlone_refused"), 0))

int main(int argc, char **argv)
{
	const char *dir;
	char *srcP, *srcH, *srcW, *d1P, *d1H, *d1W, *d2P;
	int src, d1, d2, cow = 0;
	struct file_clone_range r;
	struct fsxattr fx;

	wl_start("fsdax-reflink");
	dir = wl_dir_arg(argc, argv, USAGE);
	if (argc > 2 && strcmp(argv[2], "pmd-cow-after-read"))
		wl_usage(USAGE);
	pmd_cow_after_read = argc > 2;
	wl_phase("setup begin target=%s", dir);
	src = wl_file(dir, "rl-src.dat", 6 * MiB, WL_WRITTEN);
	d1 = wl_file(dir, "rl-clone.dat", 0, WL_SPARSE);
	d2 = wl_file(dir, "rl-range.dat", 0, WL_SPARSE);
	/* a 2 MiB copy-on-write extent hint lets a PMD write fault copy a whole PMD */
	if (ioctl(d1, FS_IOC_FSGETXATTR, &fx) == 0) {
		fx.fsx_xflags |= FS_XFLAG_COWEXTSIZE;
		fx.fsx_cowextsize = PMD_SZ;
		if (ioctl(d1, FS_IOC_FSSETXATTR, &fx) == 0 && ioctl(d1, FS_IOC_FSGETXATTR, &fx) == 0)
			cow = (fx.fsx_xflags & FS_XFLAG_COWEXTSIZE) ? (int)(fx.fsx_cowextsize / KiB) : 0;
	}
	wl_phase("setup ok clone_cowextsize_kib=%d", cow);

	shared = WL_STEP("ficlone", ioctl(d1, FICLONE, src), "dst=rl-clone.dat src=rl-src.dat");
	memset(&r, 0, sizeof(r));
	r.src_fd = src;
	r.src_length = 64 * KiB;
	WL_STEP("ficlonerange", ioctl(d2, FICLONERANGE, &r), "dst=rl-range.dat src=rl-src.dat len=%lu", 64 * KiB);
	if (!shared) {
		/* the maps below need the clone's size; without sharing they test nothing new */
		if (ftruncate(d1, 6 * MiB) || ftruncate(d2, 64 * KiB))
			wl_die("ftruncate");
	}
	{
		unsigned long long run = 0;
		long long ps = wl_phys(src, 0, &run), pd = wl_phys(d1, 0, &run);

		wl_phase("placement src_phys=%lld clone_phys=%lld same_block=%d", ps, pd, ps >= 0 && ps == pd);
	}
	srcP = map(src, 64 * KiB, 0, 1);
	srcH = map(src, PMD_SZ, PMD_SZ, 0);
	d1P = map(d1, 64 * KiB, 0, 1);
	srcW = map(src, PMD_SZ, 2 * PMD_SZ, 0);
	d1H = map(d1, PMD_SZ, PMD_SZ, 0);
	d1W = map(d1, PMD_SZ, 2 * PMD_SZ, 0);
	d2P = map(d2, 64 * KiB, 0, 1);

	/* one block, two files: read faults through both */
	stouch("shared_pte_read_fault_src", srcP, 4, WL_READ, 0);
	stouch("shared_pte_read_fault_clone", d1P, 4, WL_READ, 0);
	stouch("shared_pte_read_fault_range", d2P, 4, WL_READ, 0);
	stouch("shared_pmd_read_fault_src", srcH, 1, WL_READ, 0);
	stouch("shared_pmd_read_fault_clone", d1H, 1, WL_READ, 0);
	stouch("shared_pmd_read_fault_src_second", srcW, 1, WL_READ, 0);

	/* copy-on-write: the writer gets its own block, the other keeps the old one */
	stouch("cow_pte_write_after_read", d1P, 1, WL_WRITE, 'C');
	if (pmd_cow_after_read)
		stouch("cow_pmd_write_after_read", d1H + 8 * PG, 1, WL_WRITE, 'D');
	else
		wl_skip("cow_pmd_write_after_read", "opt_in_panics_6.1_6.12_7.3(clear_inode_nrpages)");
	stouch("cow_pmd_write_first", d1W + 8 * PG, 1, WL_WRITE, 'D');
	stouch("cow_pte_write_first", d2P + 8 * PG, 1, WL_WRITE, 'E');
	if (shared)
		wl_result("cow_check src_page0=%c clone_page0=%c src_pmd=%c clone_pmd=%c", srcP[0], d1P[0],
			  srcW[8 * PG], d1W[8 * PG]);

	/* unshare a mapped clone range */
	SSTEP("unshare_range", fallocate(d2, FALLOC_FL_UNSHARE_RANGE, 0, 64 * KiB), "file=rl-range.dat len=%lu",
		64 * KiB);
	stouch("after_unshare_read", d2P, 4, WL_READ, 0);

	/* punch one sharer of page 2 (mapped by src and the clone), then the last one */
	SSTEP("punch_one_sharer", fallocate(d1, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * PG, PG),
		"file=rl-clone.dat off=%lu", 2 * PG);
	stouch("other_sharer_still_mapped", srcP + 2 * PG, 1, WL_READ, 0);
	stouch("punched_sharer_refault", d1P + 2 * PG, 1, WL_READ, 0);
	SSTEP("punch_last_sharer", fallocate(src, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * PG, PG),
		"file=rl-src.dat off=%lu", 2 * PG);
	if (shared)
		wl_result("punch_check src_page2=%d clone_page2=%d src_page3=%c", srcP[2 * PG], d1P[2 * PG],
			  srcP[3 * PG]);

	/* truncate a clone while the source's shared pages stay mapped */
	WL_STEP("munmap_clone", munmap(d1P, 64 * KiB) | munmap(d1H, PMD_SZ) | munmap(d1W, PMD_SZ), "file=rl-clone.dat");
	WL_STEP("truncate_clone", ftruncate(d1, 0), "file=rl-clone.dat");
	wl_touch("src_after_clone_truncate", srcP + 3 * PG, 1, WL_READ | WL_WRITE, 'S');

	WL_STEP("munmap_rest", munmap(srcP, 64 * KiB) | munmap(srcH, PMD_SZ) | munmap(srcW, PMD_SZ) | munmap(d2P, 64 * KiB),
		"files=2");
	WL_STEP("truncate_files", ftruncate(src, 0) | ftruncate(d2, 0), "files=2");
	close(src);
	close(d1);
	close(d2);
	wl_unlink(dir, "rl-src.dat");
	wl_unlink(dir, "rl-clone.dat");
	wl_unlink(dir, "rl-range.dat");
	wl_summary();
	return 0;
}
