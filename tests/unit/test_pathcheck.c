/*
 * test_pathcheck.c: StrictModes for the paths of configs and key files.
 * A file is opened only if every directory and link on the way to it is
 * root's or ours and writable by nobody else (a sticky directory of
 * root's, /tmp, excepted); each refusal names the offender and the fix.
 *
 * Everything is built in a fresh mkdtemp directory under /tmp, so the
 * chain above it is / and /tmp. The cases about other owners need root
 * (chown): without it they print SKIP.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pathcheck.h"
#include "tmpdir.h"

/* Room for an expected message: three paths and the words. */
#define WANT_LEN	(3 * PATH_MAX + 128)

static char tmpdir[64];

static void
tpath(char out[static PATH_MAX], const char *name)
{

	snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);
}

/* A directory in tmpdir with exactly mode (whatever the umask). */
static void
make_dir(const char *name, mode_t mode)
{
	char path[PATH_MAX];

	tpath(path, name);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
set_mode(const char *name, mode_t mode)
{
	char path[PATH_MAX];

	tpath(path, name);
	assert_int_equal(chmod(path, mode), 0);
}

static void
make_file(const char *name)
{
	char path[PATH_MAX];
	int fd;

	tpath(path, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
}

static void
make_link(const char *target, const char *name)
{
	char path[PATH_MAX];

	tpath(path, name);
	assert_int_equal(symlink(target, path), 0);
}

/* pathcheck_open must succeed on path and open the file real names. */
static void
expect_ok(const char *path, const char *real)
{
	char err[PATHCHECK_ERR_LEN];
	struct stat a, b;
	int fd;

	fd = pathcheck_open(path, O_RDONLY, err);
	if (fd == -1)
		fail_msg("%s refused: %s", path, err);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(lstat(real, &b), 0);
	assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	close(fd);
}

/*
 * pathcheck_open must fail on path with errno e, and its message hold
 * each of the strings given (NULL-terminated).
 */
static void
expect_refused(const char *path, int e, ...)
{
	char err[PATHCHECK_ERR_LEN];
	const char *want;
	va_list ap;
	int fd;

	errno = 0;
	fd = pathcheck_open(path, O_RDONLY, err);
	if (fd != -1) {
		close(fd);
		fail_msg("%s was accepted", path);
	}
	if (errno != e)
		fail_msg("%s: errno %d (%s), not %d: %s", path, errno,
		    strerror(errno), e, err);
	va_start(ap, e);
	while ((want = va_arg(ap, const char *)) != NULL)
		if (strstr(err, want) == NULL)
			fail_msg("%s: no '%s' in: %s", path, want, err);
	va_end(ap);
}

/* a/b/f.conf, a 0755, b 0700: a chain like /etc/knock/knockd.conf. */
static void
test_ok_chain(void **state)
{
	char path[PATH_MAX];
	struct stat st;

	(void)state;
	make_dir("ok", 0755);
	make_dir("ok/b", 0700);
	make_file("ok/b/f.conf");
	tpath(path, "ok/b/f.conf");
	expect_ok(path, path);
	/* /tmp is in the chain: a sticky directory of root's passes. */
	assert_int_equal(stat("/tmp", &st), 0);
	if (st.st_uid != 0 || (st.st_mode & 01002) != 01002)
		printf("SKIP test_ok_chain: /tmp is not a sticky world-"
		    "writable directory of root's here (mode %04o)\n",
		    (unsigned int)(st.st_mode & 07777));
}

static void
test_group_writable_parent(void **state)
{
	char path[PATH_MAX], dir[PATH_MAX], want[WANT_LEN];

	(void)state;
	make_dir("gw", 0755);
	make_dir("gw/b", 0700);
	make_file("gw/b/f.conf");
	tpath(path, "gw/b/f.conf");
	tpath(dir, "gw");
	set_mode("gw", 0775);
	snprintf(want, sizeof(want), "%s is writable by group or others "
	    "(mode 0775): refusing %s; run: chmod go-w %s", dir, path, dir);
	expect_refused(path, EPERM, want, NULL);
	set_mode("gw", 0755);
	expect_ok(path, path);
}

static void
test_world_writable_dir(void **state)
{
	char path[PATH_MAX], dir[PATH_MAX], want[WANT_LEN];

	(void)state;
	make_dir("ww", 0755);
	make_dir("ww/b", 0777);
	make_file("ww/b/f.key");
	tpath(path, "ww/b/f.key");
	tpath(dir, "ww/b");
	snprintf(want, sizeof(want), "%s is writable by group or others "
	    "(mode 0777)", dir);
	expect_refused(path, EPERM, want, "chmod go-w", NULL);
	/* Others alone, no group: still refused. */
	set_mode("ww/b", 0703);
	expect_refused(path, EPERM, "(mode 0703)", NULL);
	/* The sticky bit does not help a directory that is not root's. */
	if (geteuid() != 0) {
		set_mode("ww/b", 01777);
		expect_refused(path, EPERM, "(mode 1777)", NULL);
	}
	set_mode("ww/b", 0700);
	expect_ok(path, path);
}

static void
test_sticky_root_dir(void **state)
{
	char path[PATH_MAX], dir[PATH_MAX], want[WANT_LEN];

	(void)state;
	if (geteuid() != 0) {
		printf("SKIP test_sticky_root_dir: a sticky directory owned "
		    "by root (needs root)\n");
		skip();
	}
	make_dir("st", 01777);
	make_file("st/f.conf");
	tpath(path, "st/f.conf");
	tpath(dir, "st");
	expect_ok(path, path);
	/* Without the sticky bit, others could rename anything in it. */
	set_mode("st", 0777);
	snprintf(want, sizeof(want), "%s is writable by group or others "
	    "(mode 0777)", dir);
	expect_refused(path, EPERM, want, NULL);
	/* Sticky, but someone else's: that someone may do anything. */
	set_mode("st", 01777);
	assert_int_equal(chown(dir, 12345, 12345), 0);
	expect_refused(path, EPERM, "owned by uid 12345", NULL);
	assert_int_equal(chown(dir, 0, 0), 0);
	expect_ok(path, path);
}

/*
 * A link in a safe directory, to a file in one others may write: the
 * target counts, so it is refused, and the message names the directory
 * and the link.
 */
static void
test_symlink_target_in_writable_dir(void **state)
{
	char link[PATH_MAX], dir[PATH_MAX], real[PATH_MAX];
	char want[WANT_LEN];

	(void)state;
	make_dir("drop", 0777);
	make_file("drop/bob.key");
	make_dir("keys", 0755);
	make_link("../drop/bob.key", "keys/alice.key");
	tpath(link, "keys/alice.key");
	tpath(dir, "drop");
	tpath(real, "drop/bob.key");
	snprintf(want, sizeof(want), "%s is writable by group or others "
	    "(mode 0777): refusing %s", dir, link);
	expect_refused(link, EPERM, want, "through the symbolic link",
	    NULL);
	/* The same link, absolute. */
	assert_int_equal(unlink(link), 0);
	make_link(real, "keys/alice.key");
	expect_refused(link, EPERM, want, NULL);
	/* Once the target's directory is safe, the link is followed. */
	set_mode("drop", 0755);
	expect_ok(link, real);
}

/*
 * The swap: alice.key replaced by a link to bob.key in a directory others
 * may write. The target is safe; the link's directory is not.
 */
static void
test_symlink_in_writable_dir(void **state)
{
	char link[PATH_MAX], dir[PATH_MAX], want[WANT_LEN];

	(void)state;
	make_dir("safe", 0755);
	make_file("safe/bob.key");
	make_dir("open", 0757);
	make_link("../safe/bob.key", "open/alice.key");
	tpath(link, "open/alice.key");
	tpath(dir, "open");
	snprintf(want, sizeof(want), "%s is writable by group or others "
	    "(mode 0757): refusing %s", dir, link);
	expect_refused(link, EPERM, want, NULL);
}

static void
test_symlink_loop(void **state)
{
	char path[PATH_MAX], real[PATH_MAX], name[32], target[32];
	int i;

	(void)state;
	make_dir("loop", 0755);
	make_link("b", "loop/a");
	make_link("a", "loop/b");
	tpath(path, "loop/a");
	expect_refused(path, ELOOP, path, "more than 40 symbolic links",
	    NULL);
	/* A loop through a directory link, too. */
	make_link(".", "loop/self");
	tpath(path, "loop/self/self/self/a");
	expect_refused(path, ELOOP, "symbolic links", NULL);

	/* 40 links in a row are followed; 41 are not. */
	make_file("loop/f");
	for (i = 0; i <= PATHCHECK_LINKS_MAX; i++) {
		snprintf(name, sizeof(name), "loop/l%d", i);
		if (i == 0)
			snprintf(target, sizeof(target), "f");
		else
			snprintf(target, sizeof(target), "l%d", i - 1);
		make_link(target, name);
	}
	snprintf(name, sizeof(name), "loop/l%d", PATHCHECK_LINKS_MAX - 1);
	tpath(path, name);
	tpath(real, "loop/f");
	expect_ok(path, real);
	snprintf(name, sizeof(name), "loop/l%d", PATHCHECK_LINKS_MAX);
	tpath(path, name);
	expect_refused(path, ELOOP, NULL);
}

/* Relative paths start at the working directory, whose chain counts. */
static void
test_relative_path(void **state)
{
	char cwd[PATH_MAX], dir[PATH_MAX], real[PATH_MAX];
	char want[WANT_LEN];

	(void)state;
	make_dir("rel", 0755);
	make_dir("rel/b", 0700);
	make_file("rel/b/f.conf");
	tpath(dir, "rel");
	tpath(real, "rel/b/f.conf");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	expect_ok("b/f.conf", real);
	expect_ok("./b/../b/./f.conf", real);
	/* The working directory itself is unsafe: named in full. */
	set_mode("rel", 0775);
	snprintf(want, sizeof(want), "%s is writable by group or others "
	    "(mode 0775): refusing b/f.conf", dir);
	expect_refused("b/f.conf", EPERM, want, NULL);
	set_mode("rel", 0755);
	/* ".." crosses a directory, which is checked too. */
	make_dir("rel/w", 0777);
	expect_refused("w/../b/f.conf", EPERM, "rel/w is writable", NULL);
	assert_int_equal(chdir(cwd), 0);
}

/*
 * A file that is not there is not refused, whatever lies above it: an
 * optional config stays optional.
 */
static void
test_missing(void **state)
{
	char path[PATH_MAX];

	(void)state;
	make_dir("miss", 0777);
	tpath(path, "miss/none.conf");
	expect_refused(path, ENOENT, path, "No such file", NULL);
	tpath(path, "no-such-dir/none.conf");
	expect_refused(path, ENOENT, path, NULL);
	make_file("notdir");
	tpath(path, "notdir/f.conf");
	expect_refused(path, ENOTDIR, path, NULL);
}

/* Owned by someone else (a directory, or a link): refused. */
static void
test_other_owner(void **state)
{
	char path[PATH_MAX], dir[PATH_MAX], link[PATH_MAX];
	char want[WANT_LEN];

	(void)state;
	if (geteuid() != 0) {
		printf("SKIP test_other_owner: directories and links of "
		    "another user (needs root)\n");
		skip();
	}
	make_dir("own", 0755);
	make_file("own/f.conf");
	tpath(path, "own/f.conf");
	tpath(dir, "own");
	assert_int_equal(chown(dir, 12345, 12345), 0);
	snprintf(want, sizeof(want), "%s is owned by uid 12345, not root: "
	    "refusing %s; run: chown root %s", dir, path, dir);
	expect_refused(path, EPERM, want, NULL);
	assert_int_equal(chown(dir, 0, 0), 0);
	expect_ok(path, path);

	/* A link someone else made (in /tmp, anyone can). */
	make_link("f.conf", "own/link");
	tpath(link, "own/link");
	assert_int_equal(lchown(link, 12345, 12345), 0);
	snprintf(want, sizeof(want), "%s is a symbolic link owned by uid "
	    "12345, not root: refusing %s", link, link);
	expect_refused(link, EPERM, want, "chown -h root", NULL);
}

static int
group_setup(void **state)
{

	(void)state;
	return (tmpdir_make(tmpdir, sizeof(tmpdir), "pathcheck"));
}

static int
group_teardown(void **state)
{

	(void)state;
	return (tmpdir_remove(tmpdir));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_chain),
		cmocka_unit_test(test_group_writable_parent),
		cmocka_unit_test(test_world_writable_dir),
		cmocka_unit_test(test_sticky_root_dir),
		cmocka_unit_test(test_symlink_target_in_writable_dir),
		cmocka_unit_test(test_symlink_in_writable_dir),
		cmocka_unit_test(test_symlink_loop),
		cmocka_unit_test(test_relative_path),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_other_owner),
	};

	/* Modes are set with chmod; the umask must not get in the way. */
	umask(022);
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
