/*
 * fsdax-vma: what happens to FS DAX mappings when the VMA changes.
 *
 *   fork of a shared mapping (PMD and PTE): the child faults (fork copies no
 *     DAX page table entries of a shared file VMA), writes, exits (exit_mmap)
 *   MAP_PRIVATE: read faults map the DAX pages read-only; a write after read
 *     copies (do_wp_page -> anon folio), a write first copies without mapping
 *     the DAX page (do_cow_fault / dax_fault_cow_page); a PMD read then a write
 *     (a private PMD cannot be written: split, then PTE CoW); fork of a private
 *     mapping and the child's CoW writes
 *   mprotect: whole mapping read-only then writable again (write fault on a
 *     read-only entry); 4 KiB inside a mapped PMD (splits the PMD and the VMA)
 *   mremap: move a mapped PMD (move_huge_pmd) and a PTE mapping; grow a mapping
 *     in place and grow it while moving
 *   madvise(MADV_DONTNEED) on 64 KiB inside a mapped PMD (zap: PMD split) and on
 *     a whole PMD (zap_huge_pmd)
 *   munmap of 64 KiB inside a mapped PMD (split), then of the rest
 * Data checks are RESULT lines (a private write must not reach the file).
 *
 * Usage: fsdax-vma <dax-dir>
 */
#include "wl.h"

#define USAGE "<dax-mounted-dir>"

/* Waits for the child, then marks its end: no marker of ours interleaves with its own. */
static void child_report(const char *word, pid_t c)
{
	int st = 0;
	long rc = waitpid(c, &st, 0);
	int e = errno;

	wl_begin(word, "pid=%d", c);
	if (rc < 0)
		wl_end(word, -1, e, NULL);
	else
		wl_end(word, 0, 0, "exit=%d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/*
 * fork() as a step; the child starts only after the parent's end marker, so the
 * markers of both come in one order on every run.
 */
static pid_t fork_step(const char *word)
{
	int go[2];
	char x;
	pid_t c;

	if (pipe(go))
		wl_die("pipe");
	wl_begin(word, "");
	c = fork();
	if (c == 0) {
		close(go[1]);
		(void)!read(go[0], &x, 1);
		close(go[0]);
		return 0;
	}
	wl_end(word, c, errno, NULL);
	close(go[0]);
	(void)!write(go[1], "x", 1);
	close(go[1]);
	return c;
}

int main(int argc, char **argv)
{
	const char *dir;
	char *sh, *shp, *pv, *pvp, *mp, *mv, *tgt, *g;
	int fbig, fpte, fdat;
	pid_t c;

	wl_start("fsdax-vma");
	dir = wl_dir_arg(argc, argv, USAGE);
	wl_phase("setup begin target=%s", dir);
	fbig = wl_file(dir, "vma-big.dat", 8 * MiB, WL_WRITTEN);
	fpte = wl_file(dir, "vma-pte.dat", 64 * KiB, WL_WRITTEN);
	fdat = wl_file(dir, "vma-priv.dat", 4 * MiB, WL_WRITTEN);
	sh = wl_map_aligned(4 * MiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fbig, 0);
	shp = wl_map_aligned(64 * KiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fpte, 0);
	pv = wl_map_aligned(4 * MiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE, fdat, 0);
	pvp = wl_map_aligned(64 * KiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE, fpte, 0);
	if (sh == MAP_FAILED || shp == MAP_FAILED || pv == MAP_FAILED || pvp == MAP_FAILED)
		wl_die("mmap");
	if (madvise(shp, 64 * KiB, MADV_NOHUGEPAGE) || madvise(pvp, 64 * KiB, MADV_NOHUGEPAGE))
		wl_die("madvise(MADV_NOHUGEPAGE)");
	wl_phase("setup ok shared=%p shared_pte=%p private=%p private_pte=%p", sh, shp, pv, pvp);

	/* ---- fork of shared mappings ---- */
	wl_touch("shared_pmd_write_fault", sh, 1, WL_WRITE, 'a');
	wl_touch("shared_pte_write_fault", shp, 2, WL_WRITE, 'a');
	c = fork_step("fork_shared");
	if (c == 0) {
		wl_touch("fork_child_pmd_read_fault", sh, 1, WL_READ, 0);
		wl_touch("fork_child_pmd_write_fault", sh + PMD_SZ, 1, WL_WRITE, 'c');
		wl_touch("fork_child_pte_write_fault", shp + PG, 1, WL_WRITE, 'c');
		wl_touch("fork_child_pte_read_fault", shp + 4 * PG, 1, WL_READ, 0);
		wl_phase("fork_child_exit");
		_exit(0);
	}
	child_report("fork_shared_child_gone", c);

	/* ---- MAP_PRIVATE copy-on-write ---- */
	wl_touch("private_pte_read_fault", pvp, 2, WL_READ, 0);
	wl_touch("private_pte_cow_after_read", pvp, 1, WL_WRITE, 'p');
	wl_touch("private_pte_cow_write_first", pvp + 4 * PG, 1, WL_WRITE, 'q');
	wl_touch("private_pmd_read_fault", pv, 1, WL_READ, 0);
	wl_touch("private_pmd_cow_after_read", pv + 8 * PG, 1, WL_WRITE, 'r');
	wl_touch("private_pmd_cow_write_first", pv + PMD_SZ, 1, WL_WRITE, 's');
	wl_result("private_check file_page0=%c private_page0=%c file_page4=%c private_page4=%c",
		  shp[0], pvp[0], shp[4 * PG], pvp[4 * PG]);
	c = fork_step("fork_private");
	if (c == 0) {
		wl_touch("fork_child_private_read", pvp + PG, 1, WL_READ, 0);
		wl_touch("fork_child_private_cow", pvp + PG, 1, WL_WRITE, 'x');
		wl_touch("fork_child_private_cow_copied", pvp, 1, WL_WRITE, 'y');
		wl_touch("fork_child_private_pmd_cow", pv + 16 * PG, 1, WL_WRITE, 'z');
		wl_phase("fork_child_exit");
		_exit(0);
	}
	child_report("fork_private_child_gone", c);
	wl_result("private_after_fork parent_page1=%c file_page1=%c", pvp[PG], shp[PG]);
	WL_STEP("munmap_private_pte", munmap(pvp, 64 * KiB), "addr=%p", pvp);
	WL_STEP("munmap_private_pmd", munmap(pv, 4 * MiB), "addr=%p", pv);

	/* ---- mprotect ---- */
	/* pages 8-9 are read (clean) under PROT_READ: the write after PROT_WRITE faults
	 * (write-notify); dirty pages 0-1 get their write bit back from mprotect itself */
	WL_STEP("mprotect_pte_readonly", mprotect(shp, 64 * KiB, PROT_READ), "addr=%p", shp);
	wl_touch("mprotect_pte_read", shp, 2, WL_READ, 0);
	wl_touch("mprotect_pte_read_fault", shp + 8 * PG, 2, WL_READ, 0);
	WL_STEP("mprotect_pte_writable", mprotect(shp, 64 * KiB, PROT_READ | PROT_WRITE), "addr=%p", shp);
	wl_touch("mprotect_pte_write_dirty", shp, 2, WL_WRITE, 'm');
	wl_touch("mprotect_pte_write_fault", shp + 8 * PG, 2, WL_WRITE, 'm');
	WL_STEP("mprotect_pmd_readonly", mprotect(sh, PMD_SZ, PROT_READ), "addr=%p", sh);
	WL_STEP("mprotect_pmd_writable", mprotect(sh, PMD_SZ, PROT_READ | PROT_WRITE), "addr=%p", sh);
	wl_touch("mprotect_pmd_write_fault", sh + PG, 1, WL_WRITE, 'n');
	WL_STEP("mprotect_part_pmd", mprotect(sh + 16 * PG, PG, PROT_READ), "addr=%p len=%lu", sh + 16 * PG, PG);
	wl_touch("after_mprotect_part_read", sh + 16 * PG, 1, WL_READ, 0);
	wl_touch("after_mprotect_part_write", sh + 32 * PG, 1, WL_WRITE, 'o');
	WL_STEP("munmap_shared", munmap(sh, 4 * MiB), "addr=%p", sh);

	/* ---- mremap: move a mapped PMD and PTEs, grow in place and while moving ---- */
	mp = wl_map_aligned(2 * MiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fbig, 0);
	if (mp == MAP_FAILED)
		wl_die("mmap");
	wl_touch("mremap_src_pmd_write_fault", mp, 1, WL_WRITE, 'M');
	tgt = wl_free_range(2 * MiB, PMD_SZ);
	wl_begin("mremap_move_pmd", "from=%p to=%p len=%lu", mp, tgt, 2 * MiB);
	mv = mremap(mp, 2 * MiB, 2 * MiB, MREMAP_MAYMOVE | MREMAP_FIXED, tgt);
	if (wl_end("mremap_move_pmd", mv == MAP_FAILED ? -1 : 0, errno, NULL))
		mp = mv;
	wl_touch("mremap_moved_pmd_access", mp + PG, 1, WL_READ | WL_WRITE, 'N');
	tgt = wl_free_range(64 * KiB, PMD_SZ);
	wl_begin("mremap_move_pte", "from=%p to=%p len=%lu", shp, tgt, 64 * KiB);
	mv = mremap(shp, 64 * KiB, 64 * KiB, MREMAP_MAYMOVE | MREMAP_FIXED, tgt);
	if (wl_end("mremap_move_pte", mv == MAP_FAILED ? -1 : 0, errno, NULL))
		shp = mv;
	wl_touch("mremap_moved_pte_access", shp, 2, WL_READ | WL_WRITE, 'O');
	/* grow in place: the 2 MiB after the mapping are kept free by the reservation */
	g = wl_map_aligned(4 * MiB, PMD_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g == MAP_FAILED || mmap(g, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fbig, 2 * MiB) == MAP_FAILED)
		wl_die("mmap");
	munmap(g + 2 * MiB, 2 * MiB);
	wl_touch("mremap_grow_src_write_fault", g, 1, WL_WRITE, 'G');
	wl_begin("mremap_grow_in_place", "addr=%p from=%lu to=%lu", g, 2 * MiB, 4 * MiB);
	mv = mremap(g, 2 * MiB, 4 * MiB, 0);
	wl_end("mremap_grow_in_place", mv == MAP_FAILED ? -1 : 0, errno, mv != MAP_FAILED ? "moved=%d" : NULL, mv != g);
	if (mv != MAP_FAILED)
		wl_touch("mremap_grown_part_write_fault", g + 2 * MiB, 1, WL_WRITE, 'H');
	else
		wl_skip("mremap_grown_part_write_fault", "grow_refused");
	tgt = wl_free_range(6 * MiB, PMD_SZ);
	wl_begin("mremap_grow_move", "from=%p to=%p len=%lu", g, tgt, 6 * MiB);
	mv = mremap(g, mv != MAP_FAILED ? 4 * MiB : 2 * MiB, 6 * MiB, MREMAP_MAYMOVE | MREMAP_FIXED, tgt);
	if (wl_end("mremap_grow_move", mv == MAP_FAILED ? -1 : 0, errno, NULL)) {
		g = mv;
		wl_touch("mremap_grow_moved_access", g + 4 * MiB, 1, WL_READ | WL_WRITE, 'I');
		WL_STEP("munmap_grown", munmap(g, 6 * MiB), "addr=%p", g);
	} else {
		wl_skip("mremap_grow_moved_access", "grow_move_refused");
		WL_STEP("munmap_grown", munmap(g, 4 * MiB), "addr=%p", g);
	}
	WL_STEP("munmap_moved_pmd", munmap(mp, 2 * MiB), "addr=%p", mp);
	WL_STEP("munmap_moved_pte", munmap(shp, 64 * KiB), "addr=%p", shp);

	/* ---- madvise(MADV_DONTNEED) and munmap of part of a mapped PMD ---- */
	mp = wl_map_aligned(6 * MiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fbig, 0);
	if (mp == MAP_FAILED)
		wl_die("mmap");
	wl_touch("part_pmd_write_faults", mp, 3, WL_WRITE, 'P');
	wl_touch("part_pmd2_write_fault", mp + PMD_SZ, 1, WL_WRITE, 'Q');
	wl_touch("part_pmd3_write_fault", mp + 2 * PMD_SZ, 1, WL_WRITE, 'R');
	WL_STEP("madvise_dontneed_part_pmd", madvise(mp + 64 * PG, 64 * KiB, MADV_DONTNEED), "addr=%p len=%lu",
		mp + 64 * PG, 64 * KiB);
	wl_touch("after_dontneed_read_fault", mp + 64 * PG, 1, WL_READ, 0);
	wl_touch("after_dontneed_other_page", mp + 256 * PG, 1, WL_WRITE, 'S');
	WL_STEP("madvise_dontneed_whole_pmd", madvise(mp + PMD_SZ, PMD_SZ, MADV_DONTNEED), "addr=%p len=%lu",
		mp + PMD_SZ, PMD_SZ);
	wl_touch("after_dontneed_whole_fault", mp + PMD_SZ, 1, WL_WRITE, 'T');
	WL_STEP("munmap_part_pmd", munmap(mp + 2 * PMD_SZ + 64 * PG, 64 * KiB), "addr=%p len=%lu",
		mp + 2 * PMD_SZ + 64 * PG, 64 * KiB);
	wl_touch("after_munmap_part_access", mp + 2 * PMD_SZ + 128 * PG, 1, WL_READ | WL_WRITE, 'U');
	WL_STEP("munmap_rest", munmap(mp, 6 * MiB), "addr=%p len=%lu", mp, 6 * MiB);

	WL_STEP("truncate_files", ftruncate(fbig, 0) | ftruncate(fpte, 0) | ftruncate(fdat, 0), "files=3");
	close(fbig);
	close(fpte);
	close(fdat);
	wl_unlink(dir, "vma-big.dat");
	wl_unlink(dir, "vma-pte.dat");
	wl_unlink(dir, "vma-priv.dat");
	wl_summary();
	return 0;
}
