/*
 * devdax: a device-dax instance (/dev/daxX.Y) with 1 GiB alignment (one PUD,
 * an order-18 folio over eight sections) or 2 MiB alignment (PMDs, order-9
 * folios). The alignment and size come from /sys/bus/dax/devices/<dev>/.
 *
 *   MAP_PRIVATE (refused by device-dax: check_vma), MAP_SHARED at an
 *     align-aligned address; read fault, write after read, write fault of a
 *     second unit (2 MiB), writes without a fault
 *   GUP: vmsplice (FOLL_GET) fast on a mapped tail page and slow on a fresh
 *     mapping; process_vm_readv/writev pins (FOLL_PIN) on mapped and unmapped
 *     tails; O_DIRECT to and from the mapping (pin_user_pages_fast) with a block
 *     device; io_uring fixed buffers (FOLL_LONGTERM)
 *   fork: the child refaults the shared mapping, writes, exits
 *   mprotect whole (read-only, writable, write fault) and 4 KiB of it (device-dax
 *     refuses a split that is not align-aligned: dev_dax_may_split)
 *   madvise(MADV_DONTNEED) on 64 KiB (zaps the huge entry) and on a whole unit
 *   mremap (move), munmap of 4 KiB (refused), of one aligned unit, of the rest
 *
 * Usage: devdax </dev/daxX.Y> [blockdev]. A directory as target is a stand-in
 * for tests without device-dax: a 4 MiB file in it, alignment 2 MiB.
 */
#include "wl.h"
#include <libgen.h>

#define USAGE "</dev/daxX.Y> [non-dax-blockdev]"

static unsigned long sysfs_ul(const char *dev, const char *attr)
{
	char path[256], buf[64], *d = strdup(dev);

	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/%s", basename(d), attr);
	free(d);
	return wl_read_small(path, buf, sizeof(buf)) ? strtoul(buf, NULL, 0) : 0;
}

static void dio(const char *word, int bfd, char *buf, size_t len, int write)
{
	long rc;

	if (bfd < 0) {
		wl_skip(word, "no_blockdev");
		return;
	}
	wl_begin(word, "buf=%p len=%zu dir=%s", (void *)buf, len, write ? "dax_to_dev" : "dev_to_dax");
	errno = 0;
	rc = write ? pwrite(bfd, buf, len, 0) : pread(bfd, buf, len, 0);
	wl_end(word, rc, errno, rc >= 0 ? "bytes=%ld" : NULL, rc);
}

int main(int argc, char **argv)
{
	unsigned long align, size, res, len, tail;
	const char *dev, *bdev;
	char path[512], *m, *m2, *tgt, *mv, x;
	struct stat st;
	int fd, bfd = -1, rfd, ring, standin = 0, go[2];
	pid_t c;

	wl_start("devdax");
	if (argc < 2)
		wl_usage(USAGE);
	dev = argv[1];
	bdev = argc > 2 ? argv[2] : NULL;
	if (stat(dev, &st) || !(S_ISCHR(st.st_mode) || S_ISDIR(st.st_mode))) {
		fprintf(stderr, "devdax: %s: not a character device\n", dev);
		wl_usage(USAGE);
	}
	wl_phase("setup begin target=%s", dev);
	if (S_ISDIR(st.st_mode)) {
		standin = 1;
		snprintf(path, sizeof(path), "%s/devdax-standin", dev);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || ftruncate(fd, 4 * MiB))
			wl_die("standin");
		align = PMD_SZ;
		size = 4 * MiB;
		res = 0;
	} else {
		fd = open(dev, O_RDWR);
		if (fd < 0)
			wl_die(dev);
		align = sysfs_ul(dev, "align");
		size = sysfs_ul(dev, "size");
		res = sysfs_ul(dev, "resource");
		if (!align || !size) {
			errno = ENOENT;
			wl_die("sysfs align/size");
		}
	}
	len = size / align >= 2 ? 2 * align : align;
	tail = align - 16 * PG; /* a tail page in the last part of the first folio */
	wl_phase("setup ok dev=%s standin=%d align=%lu size=%lu resource=%#lx head_pfn=%#lx len=%lu", dev, standin,
		 align, size, res, res >> 12, len);

	wl_begin("mmap_private", "len=%lu", align);
	m = wl_map_aligned(align, align, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (wl_end("mmap_private", m == MAP_FAILED ? -1 : 0, errno, NULL))
		munmap(m, align);
	wl_begin("mmap_shared", "len=%lu", len);
	m = wl_map_aligned(len, align, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!wl_end("mmap_shared", m == MAP_FAILED ? -1 : 0, errno, "addr=%p", m))
		wl_die("mmap_shared");

	wl_touch("read_fault", m, 1, WL_READ, 0);
	wl_touch("write_after_read", m + PG, 1, WL_WRITE, 'w');
	if (len > align)
		wl_touch("write_fault_second_unit", m + align, 1, WL_WRITE, 'W');
	else
		wl_skip("write_fault_second_unit", "one_unit");
	wl_touch("write_mapped_tail", m + tail, 4, WL_WRITE, 't');

	/* GUP on the mapped folio */
	rfd = wl_vmsplice("gup_get_fast_tail", m + tail, PG);
	wl_drain("gup_get_fast_tail_release", rfd);
	wl_pvm("gup_pin_read_tail", m + tail + PG, PG, 0);
	wl_pvm("gup_pin_write_tail", m + tail + 2 * PG, PG, 1);
	/* GUP on fresh mappings of the same range: the slow path faults them in */
	m2 = wl_map_aligned(align, align, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m2 == MAP_FAILED)
		wl_die("mmap second");
	wl_pvm("gup_pin_unmapped_tail", m2 + tail, PG, 0);
	WL_STEP("munmap_second", munmap(m2, align), "addr=%p", m2);
	m2 = wl_map_aligned(align, align, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m2 == MAP_FAILED)
		wl_die("mmap third");
	rfd = wl_vmsplice("gup_get_slow_tail", m2 + tail, PG);
	wl_drain("gup_get_slow_tail_release", rfd);
	WL_STEP("munmap_third", munmap(m2, align), "addr=%p", m2);

	/* O_DIRECT to and from the device-dax mapping */
	if (bdev) {
		wl_begin("open_blockdev", "path=%s flags=O_RDWR|O_DIRECT", bdev);
		bfd = open(bdev, O_RDWR | O_DIRECT);
		wl_end("open_blockdev", bfd, errno, NULL);
	} else {
		wl_skip("open_blockdev", "no_blockdev");
	}
	dio("dio_read_into_devdax", bfd, m + tail + 4 * PG, 2 * PG, 0);
	dio("dio_write_from_devdax", bfd, m + tail + 4 * PG, 2 * PG, 1);
	if (bfd >= 0)
		close(bfd);

	ring = wl_iouring_register("iouring_register", m + tail + 8 * PG, 2 * PG);
	wl_iouring_unregister("iouring_unregister", ring);

	/* fork: the child refaults the shared mapping, writes, exits */
	if (pipe(go))
		wl_die("pipe");
	wl_begin("fork_shared", "");
	c = fork();
	if (c == 0) {
		(void)!read(go[0], &x, 1);
		wl_touch("fork_child_read_fault", m, 1, WL_READ, 0);
		wl_touch("fork_child_write", m + tail, 1, WL_WRITE, 'c');
		wl_phase("fork_child_exit");
		_exit(0);
	}
	wl_end("fork_shared", c, errno, NULL);
	(void)!write(go[1], "x", 1);
	close(go[0]);
	close(go[1]);
	{
		int s = 0;
		long rc = waitpid(c, &s, 0);

		wl_begin("fork_child_gone", "pid=%d", c);
		wl_end("fork_child_gone", rc, errno, "exit=%d", WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s));
	}
	wl_result("fork_check tail=%c", m[tail]);

	/* mprotect */
	WL_STEP("mprotect_readonly", mprotect(m, len, PROT_READ), "addr=%p len=%lu", m, len);
	wl_touch("mprotect_read", m, 1, WL_READ, 0);
	WL_STEP("mprotect_writable", mprotect(m, len, PROT_READ | PROT_WRITE), "addr=%p len=%lu", m, len);
	wl_touch("mprotect_write_fault", m + PG, 1, WL_WRITE, 'm');
	WL_STEP("mprotect_part", mprotect(m + 16 * PG, PG, PROT_READ), "addr=%p len=%lu", m + 16 * PG, PG);
	WL_STEP("mprotect_part_undo", mprotect(m, len, PROT_READ | PROT_WRITE), "addr=%p len=%lu", m, len);

	/* madvise(MADV_DONTNEED) */
	WL_STEP("madvise_dontneed_part", madvise(m + 64 * PG, 64 * KiB, MADV_DONTNEED), "addr=%p len=%lu",
		m + 64 * PG, 64 * KiB);
	wl_touch("after_dontneed_part_fault", m + 64 * PG, 1, WL_READ | WL_WRITE, 'd');
	WL_STEP("madvise_dontneed_unit", madvise(m, align, MADV_DONTNEED), "addr=%p len=%lu", m, align);
	wl_touch("after_dontneed_unit_fault", m + tail, 1, WL_WRITE, 'e');

	/* mremap: move the whole mapping to another aligned address */
	tgt = wl_free_range(len, align);
	wl_begin("mremap_move", "from=%p to=%p len=%lu", m, tgt, len);
	mv = mremap(m, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, tgt);
	if (wl_end("mremap_move", mv == MAP_FAILED ? -1 : 0, errno, NULL))
		m = mv;
	wl_touch("mremap_moved_access", m + tail, 1, WL_READ | WL_WRITE, 'f');

	/* munmap: 4 KiB (not align-aligned), one aligned unit, the rest */
	WL_STEP("munmap_part", munmap(m + 16 * PG, PG), "addr=%p len=%lu", m + 16 * PG, PG);
	if (len > align) {
		WL_STEP("munmap_unit", munmap(m + align, align), "addr=%p len=%lu", m + align, align);
	} else {
		wl_skip("munmap_unit", "one_unit");
	}
	WL_STEP("munmap_rest", munmap(m, len), "addr=%p len=%lu", m, len);
	close(fd);
	if (standin)
		unlink(path);
	wl_summary();
	return 0;
}
