/*
 * fsdax-faults: page faults on an FS DAX file (ext4 or xfs, -o dax=always).
 *
 *   PMD (2 MiB) read fault, write fault, write after read   (pmd.dat, written)
 *   PTE read fault, write after read, write fault            (pte.dat, written)
 *   hole faults: huge zero page, then a write that allocates (hole.dat, sparse)
 *   msync (dax_writeback_mapping_range)
 *   MAP_SYNC: MAP_SHARED_VALIDATE|MAP_SYNC write faults on blocks whose metadata
 *     must be synced first (VM_FAULT_NEEDDSYNC -> dax_finish_sync_fault), PMD and PTE
 *   truncate of a file that is still mapped (unmap_mapping_range + layout break)
 *   munmap of whole PMD and PTE mappings, truncate, unlink
 *
 * Read faults are made on written blocks: a read fault on a hole or an unwritten
 * extent maps the zero page, not a pmem page. PTE-only mappings use
 * MADV_NOHUGEPAGE. Usage: fsdax-faults <dax-dir>
 */
#include "wl.h"

#define USAGE "<dax-mounted-dir>"

int main(int argc, char **argv)
{
	const char *dir;
	char *pmd, *pte, *hole, *sync;
	int fpmd, fpte, fhole, fsync_;

	wl_start("fsdax-faults");
	dir = wl_dir_arg(argc, argv, USAGE);
	wl_phase("setup begin target=%s", dir);
	fpmd = wl_file(dir, "pmd.dat", 4 * MiB, WL_WRITTEN);
	fpte = wl_file(dir, "pte.dat", 64 * KiB, WL_WRITTEN);
	fhole = wl_file(dir, "hole.dat", 4 * MiB, WL_SPARSE);
	fsync_ = wl_file(dir, "sync.dat", 4 * MiB, WL_SPARSE);
	pmd = wl_map_aligned(4 * MiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fpmd, 0);
	pte = wl_map_aligned(64 * KiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fpte, 0);
	hole = wl_map_aligned(4 * MiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fhole, 0);
	if (pmd == MAP_FAILED || pte == MAP_FAILED || hole == MAP_FAILED)
		wl_die("mmap");
	if (madvise(pte, 64 * KiB, MADV_NOHUGEPAGE) || madvise(hole + PMD_SZ, PMD_SZ, MADV_NOHUGEPAGE))
		wl_die("madvise(MADV_NOHUGEPAGE)");
	wl_phase("setup ok pmd=%p pte=%p hole=%p", pmd, pte, hole);

	/* PMD faults: first 2 MiB read then written, second 2 MiB written first */
	wl_touch("pmd_read_fault", pmd, 1, WL_READ, 0);
	wl_touch("pmd_write_fault", pmd + PMD_SZ, 1, WL_WRITE, 'P');
	wl_touch("pmd_write_after_read", pmd + 16 * PG, 1, WL_WRITE, 'Q');
	wl_touch("pmd_access_mapped", pmd + PMD_SZ + 64 * PG, 4, WL_READ | WL_WRITE, 'R');

	/* PTE faults: page 0 read then written (pfn_mkwrite), pages 1-3 written first */
	wl_touch("pte_read_fault", pte, 1, WL_READ, 0);
	wl_touch("pte_write_after_read", pte, 1, WL_WRITE, 'p');
	wl_touch("pte_write_fault", pte + PG, 3, WL_WRITE, 'q');
	wl_touch("pte_read_fault_multi", pte + 8 * PG, 4, WL_READ, 0);

	/* holes: zero page (PMD: huge zero folio), then the write allocates blocks */
	wl_touch("hole_pmd_read_fault", hole, 1, WL_READ, 0);
	wl_touch("hole_pmd_write_after_read", hole + PG, 1, WL_WRITE, 'h');
	wl_touch("hole_pte_read_fault", hole + PMD_SZ, 2, WL_READ, 0);
	wl_touch("hole_pte_write_after_read", hole + PMD_SZ, 1, WL_WRITE, 'i');
	wl_touch("hole_pte_write_fault", hole + PMD_SZ + 4 * PG, 1, WL_WRITE, 'j');

	WL_STEP("msync", msync(pte, 64 * KiB, MS_SYNC) | msync(pmd, 4 * MiB, MS_SYNC) |
				 msync(hole, 4 * MiB, MS_SYNC), "ranges=pte,pmd,hole");

	/* MAP_SYNC over holes: each write fault allocates, so the fault must sync */
	wl_begin("mapsync_mmap", "file=sync.dat len=%lu flags=MAP_SHARED_VALIDATE|MAP_SYNC", 4 * MiB);
	sync = wl_map_aligned(4 * MiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fsync_, 0);
	if (wl_end("mapsync_mmap", sync == MAP_FAILED ? -1 : 0, errno, NULL)) {
		if (madvise(sync + PMD_SZ, PMD_SZ, MADV_NOHUGEPAGE))
			wl_die("madvise(MADV_NOHUGEPAGE)");
		wl_touch("mapsync_pmd_write_fault", sync, 1, WL_WRITE, 's');
		wl_touch("mapsync_pte_write_fault", sync + PMD_SZ, 1, WL_WRITE, 't');
		wl_touch("mapsync_pte_read_fault", sync + PMD_SZ + 8 * PG, 1, WL_READ, 0);
		wl_touch("mapsync_pte_write_after_read", sync + PMD_SZ + 8 * PG, 1, WL_WRITE, 'u');
		WL_STEP("mapsync_munmap", munmap(sync, 4 * MiB), "addr=%p", sync);
	} else {
		wl_skip("mapsync_pmd_write_fault", "mapsync_mmap_refused");
		wl_skip("mapsync_pte_write_fault", "mapsync_mmap_refused");
		wl_skip("mapsync_pte_read_fault", "mapsync_mmap_refused");
		wl_skip("mapsync_pte_write_after_read", "mapsync_mmap_refused");
		wl_skip("mapsync_munmap", "mapsync_mmap_refused");
	}

	/* truncate while mapped: the mapped PMD and PTEs are zapped first */
	WL_STEP("truncate_mapped", ftruncate(fhole, PG), "file=hole.dat to=%lu", PG);
	wl_touch("read_after_truncate", hole, 1, WL_READ, 0);
	WL_STEP("munmap_truncated", munmap(hole, 4 * MiB), "addr=%p", hole);

	WL_STEP("munmap_pmd", munmap(pmd, 4 * MiB), "addr=%p", pmd);
	WL_STEP("munmap_pte", munmap(pte, 64 * KiB), "addr=%p", pte);
	WL_STEP("truncate_pmd_file", ftruncate(fpmd, 0), "file=pmd.dat");
	WL_STEP("truncate_pte_file", ftruncate(fpte, 0), "file=pte.dat");
	close(fpmd);
	close(fpte);
	close(fhole);
	close(fsync_);
	wl_unlink(dir, "pmd.dat");
	wl_unlink(dir, "pte.dat");
	wl_unlink(dir, "hole.dat");
	wl_unlink(dir, "sync.dat");
	wl_summary();
	return 0;
}
