/*
 * fsdax-race: hole punch and truncate of FS DAX pages that are referenced from
 * outside the page tables. The filesystem must wait in its layout break
 * (ext4_break_layouts / xfs_break_dax_layouts -> dax_layout_busy_page) until
 * the reference is dropped and the page goes idle (a wake_up_var on 6.x).
 *
 *   1. vmsplice holds a page (FOLL_GET in a pipe buffer); a helper child waits
 *      until this process sleeps inside fallocate(PUNCH_HOLE) (seen in
 *      /proc/<pid>/syscall and stat), then drains the pipe: the punch returns.
 *   2. the same with ftruncate over the held page.
 *   3. io_uring fixed buffer (FOLL_LONGTERM pin): registration is refused on
 *      FS DAX; where a kernel accepts it, the punch would wait for the unpin,
 *      so it is bounded by alarm() and then unregistered.
 *   4. with a slow block device (QEMU null-co with latency-ns, several seconds):
 *      an AIO O_DIRECT read into a DAX page (PTE, then PMD) is in flight while
 *      the page is punched / truncated; the punch waits for the I/O end.
 * Every wait is bounded by alarm(ALARM_S). A wait that only the alarm ends is a
 * missed wakeup: the step's end marker says alarm_fired=1 and its RESULT line
 * "no wakeup" (6.1: the DIO's reference drop wakes nobody; the punch goes on
 * when the signal wakes it, or fails with EINTR). Usage: fsdax-race <dax-dir> [slow-blockdev]
 */
#include "wl.h"
#include <linux/aio_abi.h>
#include <poll.h>

#define USAGE "<dax-mounted-dir> [slow-blockdev]"
#define ALARM_S 12
#define HELPER_MAX_S 10

static volatile sig_atomic_t alarm_fired;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_fired = 1;
}

/* Is process `pid` asleep inside system call `nr`? */
static int sleeping_in(pid_t pid, long nr)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	if (!wl_read_small(path, buf, sizeof(buf)) || strtol(buf, NULL, 10) != nr)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!wl_read_small(path, buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');
	return p && (p[2] == 'S' || p[2] == 'D');
}

/*
 * Forks the helper that releases `rfd` once the parent sleeps in syscall `nr`
 * or says (through `done`) that its call returned, at most HELPER_MAX_S.
 */
static pid_t release_when_blocked(const char *word, int rfd, long nr, int done)
{
	pid_t parent = getpid(), c = fork();
	struct pollfd pf = { done, POLLIN, 0 };
	double t0;
	int blocked = 0;

	if (c != 0)
		return c;
	t0 = wl_now();
	while (wl_now() - t0 < HELPER_MAX_S) {
		if (sleeping_in(parent, nr)) {
			blocked = 1;
			break;
		}
		if (poll(&pf, 1, 10) > 0)
			break;
	}
	wl_phase("%s parent_blocked=%s", word, blocked ? "yes" : "no");
	wl_drain(word, rfd);
	_exit(0);
}

/*
 * Punch `len` bytes at `off`, or (len == 0) truncate to `off`; bounded by the
 * alarm. A wait that ends only when the alarm fires is a missed wakeup even if
 * the call then succeeds: the signal wakes the sleeper, which finds the page
 * idle (the reference went long ago) and goes on - 6.1 does that.
 */
static void cut_bounded(const char *word, int fd, off_t off, off_t len, double *took, pid_t helper, int done)
{
	double t0 = wl_now();
	long rc;
	int e;

	wl_begin(word, "%s off=%lld len=%lld", len ? "punch_hole" : "truncate", (long long)off, (long long)len);
	alarm_fired = 0;
	alarm(ALARM_S);
	errno = 0;
	rc = len ? fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) : ftruncate(fd, off);
	e = errno;
	alarm(0);
	*took = wl_now() - t0;
	/* the helper's markers come first: its drain may have woken us and it is still writing */
	if (helper > 0) {
		(void)!write(done, "x", 1);
		waitpid(helper, NULL, 0);
	}
	wl_end(word, rc, e, "alarm_fired=%d", (int)alarm_fired);
	wl_result("%s wait=%.2fs %s", word, *took,
		  rc < 0 && e == EINTR ? "interrupted_by_alarm(no wakeup)"
		  : rc < 0	       ? "refused"
		  : alarm_fired	       ? "completed_after_alarm(no wakeup)"
					 : "completed");
}

/* A page held by a pipe buffer is punched (len) or truncated away (len == 0). */
static void held_by_pipe(const char *word, const char *release, int fd, char *page, off_t off, off_t len)
{
	int done[2], rfd;
	double took;
	pid_t c;

	rfd = wl_vmsplice(word, page, PG);
	if (rfd < 0 || pipe(done)) {
		wl_skip(release, "vmsplice_refused");
		return;
	}
	c = release_when_blocked(release, rfd, len ? __NR_fallocate : __NR_ftruncate, done[0]);
	close(rfd);
	cut_bounded(len ? "punch_while_held" : "truncate_while_held", fd, off, len, &took, c, done[1]);
	close(done[0]);
	close(done[1]);
}

static void aio_cut(const char *word, int fd, int bfd, char *buf, off_t off, off_t len)
{
	aio_context_t ctx = 0;
	struct iocb cb, *cbs[1] = { &cb };
	struct io_event ev = { 0 };
	struct timespec ts = { ALARM_S + 5, 0 };
	char w[64];
	double t0, took;
	long rc;

	snprintf(w, sizeof(w), "%s_submit", word);
	if (bfd < 0) {
		wl_skip(w, "no_slowdev");
		snprintf(w, sizeof(w), "%s", word);
		wl_skip(w, "no_slowdev");
		snprintf(w, sizeof(w), "%s_reap", word);
		wl_skip(w, "no_slowdev");
		return;
	}
	wl_begin(w, "buf=%p len=%lu", (void *)buf, PG);
	if (syscall(__NR_io_setup, 1, &ctx)) {
		wl_end(w, -1, errno, "what=io_setup");
		snprintf(w, sizeof(w), "%s", word);
		wl_skip(w, "aio_refused");
		snprintf(w, sizeof(w), "%s_reap", word);
		wl_skip(w, "aio_refused");
		return;
	}
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = bfd;
	cb.aio_lio_opcode = IOCB_CMD_PREAD;
	cb.aio_buf = (uint64_t)(uintptr_t)buf;
	cb.aio_nbytes = PG;
	t0 = wl_now();
	rc = syscall(__NR_io_submit, ctx, 1, cbs);
	if (!wl_end(w, rc == 1 ? 0 : -1, errno, NULL)) {
		syscall(__NR_io_destroy, ctx);
		snprintf(w, sizeof(w), "%s", word);
		wl_skip(w, "aio_refused");
		snprintf(w, sizeof(w), "%s_reap", word);
		wl_skip(w, "aio_refused");
		return;
	}
	cut_bounded(word, fd, off, len, &took, 0, -1);
	snprintf(w, sizeof(w), "%s_reap", word);
	wl_begin(w, "");
	rc = syscall(__NR_io_getevents, ctx, 1, 1, &ev, &ts);
	wl_end(w, rc == 1 ? 0 : -1, rc == 0 ? ETIMEDOUT : errno, rc == 1 ? "res=%lld io_took=%.2fs" : NULL,
	       (long long)ev.res, wl_now() - t0);
	syscall(__NR_io_destroy, ctx);
}

int main(int argc, char **argv)
{
	const char *dir, *slow;
	struct sigaction sa;
	char *pte, *pmd;
	int fpte, fpmd, bfd = -1, ring;
	double took;

	wl_start("fsdax-race");
	dir = wl_dir_arg(argc, argv, USAGE);
	slow = argc > 2 ? argv[2] : NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: the alarm interrupts the wait */
	sigaction(SIGALRM, &sa, NULL);
	wl_phase("setup begin target=%s slowdev=%s", dir, slow ? slow : "none");
	fpte = wl_file(dir, "race-pte.dat", 64 * KiB, WL_WRITTEN);
	fpmd = wl_file(dir, "race-pmd.dat", 4 * MiB, WL_WRITTEN);
	pte = wl_map_aligned(64 * KiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fpte, 0);
	pmd = wl_map_aligned(4 * MiB, PMD_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fpmd, 0);
	if (pte == MAP_FAILED || pmd == MAP_FAILED)
		wl_die("mmap");
	if (madvise(pte, 64 * KiB, MADV_NOHUGEPAGE))
		wl_die("madvise(MADV_NOHUGEPAGE)");
	wl_phase("setup ok pte=%p pmd=%p", pte, pmd);
	wl_touch("prefault_pte", pte, 16, WL_WRITE, 'r');
	wl_touch("prefault_pmd", pmd, 1, WL_WRITE, 'R');
	wl_touch("prefault_pmd_second", pmd + PMD_SZ, 1, WL_WRITE, 'S');

	/* 1, 2: a pipe buffer holds the page while it is cut away */
	held_by_pipe("vmsplice_hold_punch", "release_pipe_punch", fpte, pte + 2 * PG, 2 * PG, PG);
	held_by_pipe("vmsplice_hold_truncate", "release_pipe_truncate", fpte, pte + 14 * PG, 14 * PG, 0);

	/* 3: FOLL_LONGTERM pin, then punch: bounded by the alarm */
	ring = wl_iouring_register("iouring_pin", pte + 4 * PG, PG);
	if (ring >= 0)
		cut_bounded("punch_while_longterm_pinned", fpte, 4 * PG, PG, &took, 0, -1);
	else
		wl_skip("punch_while_longterm_pinned", "iouring_register_refused");
	wl_iouring_unregister("iouring_unpin", ring);

	/* 4: AIO O_DIRECT in flight from a slow device */
	if (slow) {
		wl_begin("open_slowdev", "path=%s flags=O_RDONLY|O_DIRECT", slow);
		bfd = open(slow, O_RDONLY | O_DIRECT);
		wl_end("open_slowdev", bfd, errno, NULL);
	} else {
		wl_skip("open_slowdev", "no_slowdev");
	}
	aio_cut("punch_during_dio_pte", fpte, bfd, pte + 8 * PG, 8 * PG, PG);
	aio_cut("truncate_during_dio_pte", fpte, bfd, pte + 10 * PG, 10 * PG, 0);
	aio_cut("punch_during_dio_pmd", fpmd, bfd, pmd + 64 * PG, 64 * PG, PG);
	aio_cut("truncate_during_dio_pmd", fpmd, bfd, pmd + PMD_SZ + 16 * PG, PMD_SZ, 0);
	if (bfd >= 0)
		close(bfd);

	WL_STEP("munmap_pte", munmap(pte, 64 * KiB), "addr=%p", pte);
	WL_STEP("munmap_pmd", munmap(pmd, 4 * MiB), "addr=%p", pmd);
	WL_STEP("truncate_pte_file", ftruncate(fpte, 0), "file=race-pte.dat");
	WL_STEP("truncate_pmd_file", ftruncate(fpmd, 0), "file=race-pmd.dat");
	close(fpte);
	close(fpmd);
	wl_unlink(dir, "race-pte.dat");
	wl_unlink(dir, "race-pmd.dat");
	wl_summary();
	return 0;
}
