/*
 * fsdax-dio: O_DIRECT I/O whose user buffer is an FS DAX mapping - what a
 * database or `fio --iomem=mmapshared` does. The other side of the I/O is a
 * non-DAX block device (brd /dev/ram0 or a virtio disk); its first 2 MiB are
 * read and partly overwritten.
 *
 * The block layer takes the buffer pages with iov_iter_extract_pages() ->
 * pin_user_pages_fast() (FOLL_PIN, the GUP fast path when the page is mapped,
 * the slow path that faults it in when it is not; a read into memory adds
 * FOLL_WRITE) on 6.x kernels since 6.5 and with get_user_pages_fast() (FOLL_GET)
 * before; the bio end releases them (bio_release_pages). Buffers in PTE and in
 * PMD mappings, mapped and not yet mapped, single and vectored.
 *
 * Usage: fsdax-dio <dax-dir> <blockdev>
 */
#include "wl.h"

#define USAGE "<dax-mounted-dir> <non-dax-blockdev>"

static void dio(const char *word, int bfd, char *buf, size_t len, off_t off, int write)
{
	long rc;

	if (bfd < 0) {
		wl_skip(word, "no_blockdev");
		return;
	}
	wl_begin(word, "buf=%p len=%zu dev_off=%lld dir=%s", (void *)buf, len, (long long)off,
		 write ? "dax_to_dev" : "dev_to_dax");
	errno = 0;
	rc = write ? pwrite(bfd, buf, len, off) : pread(bfd, buf, len, off);
	wl_end(word, rc, errno, rc >= 0 ? "bytes=%ld" : NULL, rc);
}

int main(int argc, char **argv)
{
	const char *dir, *bdev;
	char *pmd, *pte;
	int fpmd, fpte, bfd;

	wl_start("fsdax-dio");
	dir = wl_dir_arg(argc, argv, USAGE);
	if (argc < 3)
		wl_usage(USAGE);
	bdev = argv[2];
	wl_phase("setup begin target=%s blockdev=%s", dir, bdev);
	fpmd = wl_file(dir, "dio-pmd.dat", 4 * MiB, WL_WRITTEN);
	fpte = wl_file(dir, "dio-pte.dat", 64 * KiB, WL_WRITTEN);
	pmd = wl_map_aligned(4 * MiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fpmd, 0);
	pte = wl_map_aligned(64 * KiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fpte, 0);
	if (pmd == MAP_FAILED || pte == MAP_FAILED)
		wl_die("mmap");
	if (madvise(pte, 64 * KiB, MADV_NOHUGEPAGE))
		wl_die("madvise(MADV_NOHUGEPAGE)");
	wl_phase("setup ok pmd=%p pte=%p", pmd, pte);

	wl_begin("open_blockdev", "path=%s flags=O_RDWR|O_DIRECT", bdev);
	bfd = open(bdev, O_RDWR | O_DIRECT);
	wl_end("open_blockdev", bfd, errno, NULL);

	/* pte.dat pages 0-3 and the first PMD are mapped before the I/O */
	wl_touch("prefault_pte", pte, 4, WL_WRITE, 'd');
	wl_touch("prefault_pmd", pmd, 1, WL_WRITE, 'D');

	dio("dio_read_into_pte", bfd, pte, 2 * PG, 0, 0);
	dio("dio_read_into_unmapped_pte", bfd, pte + 8 * PG, 2 * PG, 64 * KiB, 0);
	dio("dio_write_from_pte", bfd, pte + 2 * PG, 2 * PG, 128 * KiB, 1);
	dio("dio_read_into_pmd", bfd, pmd + 64 * PG, 16 * PG, 256 * KiB, 0);
	dio("dio_read_into_unmapped_pmd", bfd, pmd + PMD_SZ, 16 * PG, 512 * KiB, 0);
	dio("dio_write_from_pmd", bfd, pmd + 128 * PG, 16 * PG, 768 * KiB, 1);
	/* a whole PMD in one request: many bios over one compound folio (unified) */
	dio("dio_read_whole_pmd", bfd, pmd, PMD_SZ, 0, 0);

	/* one vectored read filling a PTE page and a PMD page in the same bio */
	if (bfd < 0) {
		wl_skip("dio_readv_pte_and_pmd", "no_blockdev");
	} else {
		struct iovec v[2] = { { pte + 4 * PG, PG }, { pmd + PMD_SZ + 256 * PG, PG } };
		long rc;

		wl_begin("dio_readv_pte_and_pmd", "iov0=%p iov1=%p", v[0].iov_base, v[1].iov_base);
		errno = 0;
		rc = preadv(bfd, v, 2, 0);
		wl_end("dio_readv_pte_and_pmd", rc, errno, rc >= 0 ? "bytes=%ld" : NULL, rc);
	}
	if (bfd >= 0)
		close(bfd);

	WL_STEP("munmap_pte", munmap(pte, 64 * KiB), "addr=%p", pte);
	WL_STEP("munmap_pmd", munmap(pmd, 4 * MiB), "addr=%p", pmd);
	WL_STEP("truncate_pte_file", ftruncate(fpte, 0), "file=dio-pte.dat");
	WL_STEP("truncate_pmd_file", ftruncate(fpmd, 0), "file=dio-pmd.dat");
	close(fpte);
	close(fpmd);
	wl_unlink(dir, "dio-pte.dat");
	wl_unlink(dir, "dio-pmd.dat");
	wl_summary();
	return 0;
}
