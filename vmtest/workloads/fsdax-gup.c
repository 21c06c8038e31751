/*
 * fsdax-gup: get_user_pages on FS DAX mappings, PTE and PMD.
 *
 *   GUP get (FOLL_GET) with vmsplice: iov_iter_get_pages -> get_user_pages_fast.
 *     fast path: the page is already mapped (gup_fast walks the page table);
 *     slow path: it is not (gup_fast fails, the slow path faults it in first).
 *     The pipe holds the reference until it is drained.
 *   GUP pin (FOLL_PIN) with process_vm_readv/writev: pin_user_pages_remote,
 *     always the slow path (follow_page), on mapped and on unmapped pages.
 *   FOLL_LONGTERM pin with io_uring IORING_REGISTER_BUFFERS: refused on FS DAX
 *     by check_vma_flags() (EOPNOTSUPP) - the refusal is the observation.
 * (The fast FOLL_PIN path, pin_user_pages_fast, is O_DIRECT: see fsdax-dio.)
 *
 * Usage: fsdax-gup <dax-dir>
 */
#include "wl.h"

#define USAGE "<dax-mounted-dir>"

int main(int argc, char **argv)
{
	const char *dir;
	char *pmd, *pte;
	int fpmd, fpte, rfd, ring;

	wl_start("fsdax-gup");
	dir = wl_dir_arg(argc, argv, USAGE);
	wl_phase("setup begin target=%s", dir);
	fpmd = wl_file(dir, "gup-pmd.dat", 4 * MiB, WL_WRITTEN);
	fpte = wl_file(dir, "gup-pte.dat", 64 * KiB, WL_WRITTEN);
	pmd = wl_map_aligned(4 * MiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fpmd, 0);
	pte = wl_map_aligned(64 * KiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fpte, 0);
	if (pmd == MAP_FAILED || pte == MAP_FAILED)
		wl_die("mmap");
	if (madvise(pte, 64 * KiB, MADV_NOHUGEPAGE))
		wl_die("madvise(MADV_NOHUGEPAGE)");
	wl_phase("setup ok pmd=%p pte=%p", pmd, pte);

	/* pages 0-3 of pte.dat and the first PMD are mapped; the rest is not */
	wl_touch("prefault_pte", pte, 4, WL_WRITE, 'g');
	wl_touch("prefault_pmd", pmd, 1, WL_WRITE, 'G');

	/* FOLL_GET via vmsplice: fast path on mapped pages, slow path on unmapped ones */
	rfd = wl_vmsplice("gup_get_fast_pte", pte + PG, PG);
	wl_drain("gup_get_fast_pte_release", rfd);
	rfd = wl_vmsplice("gup_get_slow_pte", pte + 8 * PG, PG);
	wl_drain("gup_get_slow_pte_release", rfd);
	rfd = wl_vmsplice("gup_get_fast_pmd", pmd + 32 * PG, 2 * PG);
	wl_drain("gup_get_fast_pmd_release", rfd);
	rfd = wl_vmsplice("gup_get_slow_pmd", pmd + PMD_SZ + 32 * PG, 2 * PG);
	wl_drain("gup_get_slow_pmd_release", rfd);
	/* two references at once on one page: two pipes, released in order */
	{
		int r1 = wl_vmsplice("gup_get_twice_first", pte + 2 * PG, PG);
		int r2 = wl_vmsplice("gup_get_twice_second", pte + 2 * PG, PG);

		wl_drain("gup_get_twice_release_first", r1);
		wl_drain("gup_get_twice_release_second", r2);
	}

	/* FOLL_PIN via process_vm_readv/writev (pin_user_pages_remote) */
	wl_pvm("gup_pin_read_pte", pte, 2 * PG, 0);
	wl_pvm("gup_pin_write_pte", pte + 3 * PG, PG, 1);
	wl_pvm("gup_pin_unmapped_pte", pte + 12 * PG, 2 * PG, 0);
	wl_pvm("gup_pin_read_pmd", pmd + 64 * PG, 2 * PG, 0);
	wl_pvm("gup_pin_write_pmd", pmd + PMD_SZ + 64 * PG, 2 * PG, 1);

	/* FOLL_LONGTERM: io_uring fixed buffers, PTE then PMD */
	ring = wl_iouring_register("iouring_register_pte", pte + 4 * PG, 2 * PG);
	wl_iouring_unregister("iouring_unregister_pte", ring);
	ring = wl_iouring_register("iouring_register_pmd", pmd + 128 * PG, 4 * PG);
	wl_iouring_unregister("iouring_unregister_pmd", ring);

	WL_STEP("munmap_pte", munmap(pte, 64 * KiB), "addr=%p", pte);
	WL_STEP("munmap_pmd", munmap(pmd, 4 * MiB), "addr=%p", pmd);
	WL_STEP("truncate_pte_file", ftruncate(fpte, 0), "file=gup-pte.dat");
	WL_STEP("truncate_pmd_file", ftruncate(fpmd, 0), "file=gup-pmd.dat");
	close(fpte);
	close(fpmd);
	wl_unlink(dir, "gup-pte.dat");
	wl_unlink(dir, "gup-pmd.dat");
	wl_summary();
	return 0;
}
