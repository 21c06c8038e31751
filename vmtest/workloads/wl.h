/*
 * wl.h - what every vmtest workload shares: PHASE markers, steps whose refusal
 * is recorded instead of skipped, guarded memory accesses, aligned mappings and
 * files whose physical placement is reported.
 *
 * Marker protocol (read by `dax-refsim check` and `check --against`):
 *   PHASE <word> begin <details>     before a step
 *   PHASE <word> ok <details>        after it, when the kernel did it
 *   PHASE <word> refused errno=N (NAME)   the kernel said no (the run goes on)
 *   PHASE <word> refused signal=N (NAME)  a memory access raised SIGBUS/SIGSEGV
 *   PHASE <word> skipped reason=...  a step that depends on a refused one
 * Both markers of a step carry the same word, so its end marker has the same
 * ordinal on every kernel whatever the outcome; runs line up word by word.
 * The markers go to the file named by $DAX_REFSIM_MARKER (tracefs trace_marker,
 * opened first so that it is fd 3, which the recorder's snap probe may filter on)
 * and, with every RESULT line, to stdout.
 */
#ifndef WL_H
#define WL_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

#define KiB 1024UL
#define MiB (1024UL * KiB)
#define GiB (1024UL * MiB)
#define PG 4096UL
#define PMD_SZ (2 * MiB)

static int wl_marker = -1;
static const char *wl_name = "workload";
static unsigned wl_n_ok, wl_n_refused, wl_n_skipped;
static sigjmp_buf wl_jb;
static volatile sig_atomic_t wl_guarded;

/* Reads a small sysfs/procfs file into buf as a C string; 0 when it cannot. */
static __attribute__((unused)) int wl_read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY), n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return n;
}

/* One marker: a single write to trace_marker (one trace line) and a stdout line. */
static __attribute__((unused)) void wl_vmark(const char *prefix, const char *fmt, va_list ap)
{
	char buf[480];
	int n = snprintf(buf, sizeof(buf), "%s", prefix);

	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (n >= (int)sizeof(buf) - 1)
		n = sizeof(buf) - 2, buf[n] = 0;
	/* one write = one trace line (trace_marker keeps a single final newline) and
	 * one stdout line that a forked helper cannot split */
	buf[n++] = '\n';
	/* the recorder's snap kprobe on ksys_write reads the buffer as a C string
	 * (+0(%si):string): without a NUL after the newline it reads past the
	 * written bytes into stale stack and splits the trace line */
	buf[n] = 0;
	if (wl_marker >= 0)
		(void)!write(wl_marker, buf, n);
	(void)!write(STDOUT_FILENO, buf, n);
	fflush(stdout);
}

static __attribute__((unused)) void wl_phase(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wl_vmark("PHASE ", fmt, ap);
	va_end(ap);
}

/* RESULT lines go to stdout only: measured values and the run's summary. One write each. */
static __attribute__((unused)) void wl_result(const char *fmt, ...)
{
	char buf[480];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "RESULT %s ", wl_name);

	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(STDOUT_FILENO, buf, n);
}

static __attribute__((unused)) const char *wl_errname(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "?";
}

/* Set-up failed: the run cannot say anything about the kernel. Exit 1. */
static __attribute__((unused)) void wl_die(const char *what)
{
	int e = errno;

	wl_phase("setup failed what=%s errno=%d (%s)", what, e, wl_errname(e));
	fprintf(stderr, "%s: %s: %s\n", wl_name, what, strerror(e));
	exit(1);
}

static __attribute__((unused)) void wl_usage(const char *usage)
{
	fprintf(stderr, "usage: %s %s\n", wl_name, usage);
	exit(2);
}

/*
 * Opens the marker before anything else (fd 3 in a fresh process) and makes
 * stdout unbuffered so forked children never repeat its buffer.
 */
static __attribute__((unused)) void wl_start(const char *name)
{
	const char *m = getenv("DAX_REFSIM_MARKER");

	wl_name = name;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (m && *m) {
		wl_marker = open(m, O_WRONLY | O_CLOEXEC);
		if (wl_marker < 0)
			fprintf(stderr, "%s: marker %s: %s (markers on stdout only)\n", name, m, strerror(errno));
	}
}

static __attribute__((unused)) void wl_begin(const char *word, const char *fmt, ...)
{
	char buf[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	wl_phase("%s begin%s%s", word, *buf ? " " : "", buf);
}

/* Ends a step: rc < 0 is a refusal with errno `err`. Returns rc >= 0. */
static __attribute__((unused)) int wl_end(const char *word, long rc, int err, const char *fmt, ...)
{
	char buf[320] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
	}
	if (rc < 0) {
		wl_n_refused++;
		wl_phase("%s refused errno=%d (%s)%s%s", word, err, wl_errname(err), *buf ? " " : "", buf);
		return 0;
	}
	wl_n_ok++;
	wl_phase("%s ok%s%s", word, *buf ? " " : "", buf);
	return 1;
}

/* A step that cannot run because an earlier one was refused: said, not hidden. */
static __attribute__((unused)) void wl_skip(const char *word, const char *reason)
{
	wl_n_skipped++;
	wl_phase("%s begin", word);
	wl_phase("%s skipped reason=%s", word, reason);
}

#define WL_STEP(word, call, ...)                                         \
	({                                                               \
		long wl_rc_;                                             \
		int wl_e_;                                               \
		wl_begin(word, __VA_ARGS__);                             \
		errno = 0;                                               \
		wl_rc_ = (long)(call);                                   \
		wl_e_ = errno;                                           \
		wl_end(word, wl_rc_, wl_e_, NULL);                       \
	})

static __attribute__((unused)) void wl_on_fault(int sig)
{
	if (wl_guarded)
		siglongjmp(wl_jb, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static __attribute__((unused)) void wl_install_guards(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wl_on_fault;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

/*
 * Touches `n` pages from `p` (stride PG): a read, a write, or a read then a
 * write of each. A SIGBUS/SIGSEGV ends the step as refused with the signal.
 */
enum wl_access { WL_READ = 1, WL_WRITE = 2 };

static __attribute__((unused)) int wl_touch(const char *word, volatile char *p, unsigned long n, int how, char val)
{
	volatile char sink = 0;
	unsigned long i;
	int sig;

	wl_begin(word, "addr=%p pages=%lu access=%s", (void *)p, n,
		 how == WL_READ ? "read" : how == WL_WRITE ? "write" : "read+write");
	wl_install_guards();
	sig = sigsetjmp(wl_jb, 1);
	if (sig) {
		wl_guarded = 0;
		wl_n_refused++;
		wl_phase("%s refused signal=%d (%s)", word, sig, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
		return 0;
	}
	wl_guarded = 1;
	for (i = 0; i < n; i++) {
		if (how & WL_READ)
			sink += p[i * PG];
		if (how & WL_WRITE)
			p[i * PG] = val;
	}
	wl_guarded = 0;
	(void)sink;
	return wl_end(word, 0, 0, NULL);
}

/*
 * mmap at an `align`-aligned address (PMD faults need 2 MiB-aligned virtual
 * addresses, a device-dax PUD 1 GiB): reserve len + align of PROT_NONE, map
 * over its aligned part with MAP_FIXED, release the rest.
 */
static __attribute__((unused)) void *wl_map_aligned(size_t len, size_t align, int prot, int flags, int fd, off_t off)
{
	size_t resv = len + align;
	char *r = mmap(NULL, resv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;
	void *p;
	int e;

	if (r == MAP_FAILED)
		return MAP_FAILED;
	a = (char *)(((uintptr_t)r + align - 1) & ~(uintptr_t)(align - 1));
	p = mmap(a, len, prot, flags | MAP_FIXED, fd, off);
	e = errno;
	if (p == MAP_FAILED) {
		munmap(r, resv);
		errno = e;
		return MAP_FAILED;
	}
	if (a > r)
		munmap(r, a - r);
	if (a + len < r + resv)
		munmap(a + len, (r + resv) - (a + len));
	return a;
}

/* A free `align`-aligned range of `len` bytes (for MREMAP_FIXED targets). */
static __attribute__((unused)) void *wl_free_range(size_t len, size_t align)
{
	void *p = wl_map_aligned(len, align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, len);
	return p;
}

/* Byte offset on the block device of file offset `off` (FIEMAP), or -1 with errno. */
static __attribute__((unused)) long long wl_phys(int fd, off_t off, unsigned long long *len)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent fe[1];
	} f;

	memset(&f, 0, sizeof(f));
	f.fm.fm_start = off;
	f.fm.fm_length = 64 * MiB;
	f.fm.fm_flags = FIEMAP_FLAG_SYNC;
	f.fm.fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, &f.fm) < 0)
		return -1;
	if (f.fm.fm_mapped_extents < 1) {
		errno = ENODATA;
		return -1;
	}
	if (len)
		*len = f.fe[0].fe_length - (off - f.fe[0].fe_logical);
	return (long long)(f.fe[0].fe_physical + (off - f.fe[0].fe_logical));
}

enum wl_fill { WL_SPARSE, WL_UNWRITTEN, WL_WRITTEN };

/*
 * Creates <dir>/<name> of `len` bytes: sparse (holes: read faults map the zero
 * page, write faults allocate), unwritten (fallocate) or written (fallocate,
 * then every byte written with write() and fsync'ed, so that read faults map
 * pmem pages and no fault needs a metadata sync). On xfs a 2 MiB extent-size
 * hint is set first so that the blocks are 2 MiB aligned on the device (PMD
 * faults need that); ext4 refuses the hint and relies on its mkfs stripe. The
 * set-up marker reports where the file landed (FIEMAP) and whether its first
 * 2 MiB can be PMD-mapped.
 */
static __attribute__((unused)) int wl_file(const char *dir, const char *name, size_t len, enum wl_fill fill)
{
	char path[512], *buf;
	struct fsxattr fx;
	unsigned long long run = 0;
	long long phys;
	int fd, hint;
	size_t o;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		wl_die(path);
	hint = 0;
	if (len >= PMD_SZ && ioctl(fd, FS_IOC_FSGETXATTR, &fx) == 0) {
		fx.fsx_xflags |= FS_XFLAG_EXTSIZE;
		fx.fsx_extsize = PMD_SZ;
		/* report the hint the filesystem kept, not the one asked for */
		if (ioctl(fd, FS_IOC_FSSETXATTR, &fx) == 0 && ioctl(fd, FS_IOC_FSGETXATTR, &fx) == 0)
			hint = (fx.fsx_xflags & FS_XFLAG_EXTSIZE) ? (int)(fx.fsx_extsize / KiB) : 0;
	}
	if (fill == WL_SPARSE) {
		if (ftruncate(fd, len))
			wl_die("ftruncate");
	} else {
		if ((errno = posix_fallocate(fd, 0, len)))
			wl_die("fallocate");
	}
	if (fill == WL_WRITTEN) {
		buf = malloc(64 * KiB);
		if (!buf)
			wl_die("malloc");
		for (o = 0; o < len; o += 64 * KiB) {
			memset(buf, 'a' + (int)((o / PG) % 26), 64 * KiB);
			if (pwrite(fd, buf, len - o < 64 * KiB ? len - o : 64 * KiB, o) < 0)
				wl_die("pwrite");
		}
		free(buf);
		if (fsync(fd))
			wl_die("fsync");
	}
	phys = fill == WL_SPARSE ? -1 : wl_phys(fd, 0, &run);
	if (phys < 0)
		wl_phase("file %s len=%zu fill=%s extsize_kib=%d phys=unknown", name, len,
			 fill == WL_SPARSE ? "sparse" : fill == WL_UNWRITTEN ? "unwritten" : "written", hint);
	else
		wl_phase("file %s len=%zu fill=%s extsize_kib=%d phys=%#llx run=%llu pmd_aligned=%d", name, len,
			 fill == WL_UNWRITTEN ? "unwritten" : "written", hint, phys, run,
			 (phys % PMD_SZ) == 0 && run >= PMD_SZ);
	return fd;
}

static __attribute__((unused)) void wl_unlink(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* The target must exist; a directory for FS DAX workloads. */
static __attribute__((unused)) const char *wl_dir_arg(int argc, char **argv, const char *usage)
{
	struct stat st;

	if (argc < 2)
		wl_usage(usage);
	if (stat(argv[1], &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: %s: not a directory\n", wl_name, argv[1]);
		wl_usage(usage);
	}
	return argv[1];
}

static __attribute__((unused)) double wl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __attribute__((unused)) void wl_summary(void)
{
	wl_phase("done steps_ok=%u refused=%u skipped=%u", wl_n_ok, wl_n_refused, wl_n_skipped);
	wl_result("summary ok=%u refused=%u skipped=%u", wl_n_ok, wl_n_refused, wl_n_skipped);
}

/*
 * vmsplice one page into a new pipe: the pipe buffer holds a reference on the
 * page (GUP FOLL_GET) until it is read. Returns the pipe's read end, or -1.
 */
static __attribute__((unused)) int wl_vmsplice(const char *word, char *p, size_t len)
{
	struct iovec v = { p, len };
	int pfd[2];
	long rc;
	int e;

	wl_begin(word, "addr=%p len=%zu", (void *)p, len);
	if (pipe(pfd)) {
		wl_end(word, -1, errno, "what=pipe");
		return -1;
	}
	rc = vmsplice(pfd[1], &v, 1, 0);
	e = errno;
	close(pfd[1]);
	if (!wl_end(word, rc, e, rc >= 0 ? "bytes=%ld" : NULL, rc)) {
		close(pfd[0]);
		return -1;
	}
	return pfd[0];
}

/* Reads a pipe dry: the pipe buffers drop their page references. */
static __attribute__((unused)) void wl_drain(const char *word, int rfd)
{
	char buf[PG];
	long n, total = 0;

	if (rfd < 0) {
		wl_skip(word, "nothing_spliced");
		return;
	}
	wl_begin(word, "");
	while ((n = read(rfd, buf, sizeof(buf))) > 0)
		total += n;
	wl_end(word, n, errno, "bytes=%ld", total);
	close(rfd);
}

/* process_vm_readv/writev on ourselves: pin_user_pages_remote (GUP slow path, FOLL_PIN). */
static __attribute__((unused)) void wl_pvm(const char *word, char *remote, size_t len, int write)
{
	static char local[64 * KiB] __attribute__((aligned(4096)));
	struct iovec l = { local, len }, r = { remote, len };
	long rc;

	wl_begin(word, "addr=%p len=%zu dir=%s", (void *)remote, len, write ? "write" : "read");
	errno = 0;
	if (write) {
		memset(local, 'w', len);
		rc = process_vm_writev(getpid(), &l, 1, &r, 1, 0);
	} else {
		rc = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	}
	wl_end(word, rc, errno, rc >= 0 ? "bytes=%ld" : NULL, rc);
}

/*
 * io_uring fixed buffers (IORING_REGISTER_BUFFERS): io_sqe_buffers_register()
 * pins the pages with FOLL_LONGTERM. Raw syscalls, no liburing. Returns the
 * ring fd with the buffer registered, or -1 (setup or registration refused).
 */
static __attribute__((unused)) int wl_iouring_register(const char *word, char *p, size_t len)
{
	struct io_uring_params prm;
	struct iovec v = { p, len };
	int ring, e;
	long rc;

	wl_begin(word, "addr=%p len=%zu", (void *)p, len);
	memset(&prm, 0, sizeof(prm));
	ring = syscall(__NR_io_uring_setup, 4, &prm);
	if (ring < 0) {
		wl_end(word, -1, errno, "what=io_uring_setup");
		return -1;
	}
	rc = syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &v, 1);
	e = errno;
	if (!wl_end(word, rc, e, NULL)) {
		close(ring);
		return -1;
	}
	return ring;
}

/* Unregisters (unpins) and closes a ring from wl_iouring_register(). */
static __attribute__((unused)) void wl_iouring_unregister(const char *word, int ring)
{
	long rc;

	if (ring < 0) {
		wl_skip(word, "not_registered");
		return;
	}
	wl_begin(word, "");
	rc = syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, NULL, 0);
	wl_end(word, rc, errno, NULL);
	close(ring);
}

#endif
