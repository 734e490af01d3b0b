/*
 * pathcheck.c: StrictModes for the files knock and knockd read.
 *
 * Checking a key file's own mode is worth nothing if someone else may
 * write a directory above it: whoever can write a directory decides what
 * its entries are, and can rename another file, or a symbolic link, into
 * the key's place. So, as sshd's secure_path() does for authorized_keys,
 * every directory from / down, and every link, must be owned by root or
 * by us and be writable by nobody else.
 *
 * The path is resolved here one component at a time, as the kernel
 * would, but from descriptors: each directory is opened (O_PATH), checked
 * with fstat, and the next name looked up under that descriptor. What is
 * checked is therefore what is crossed, with no window for a swap between
 * the two. A symbolic link is read (readlinkat) and its target resolved
 * the same way, so the directories it leads through are checked too; a
 * relative path starts from getcwd(), so the working directory's are as
 * well. The last name is opened with O_NOFOLLOW under its checked parent
 * and its device and inode compared with what the lookup saw: a name
 * replaced in between is refused, not read. What remains is no race:
 * only root or we could make one, and the check trusts both anyway.
 *
 * One exception to "writable by nobody else", which sshd does not make:
 * a sticky directory owned by root, such as /tmp. Others may add entries
 * there, but only an entry's owner, the directory's owner or root may
 * rename or remove it (the kernel's rule for sticky directories), and
 * every entry we cross must itself be owned by root or by us, so a
 * directory or link someone else planted is refused. That keeps a
 * private directory made with mktemp under /tmp usable, as the tests and
 * users with knock -c do. (A file of root's that someone hard-linked
 * into such a directory would pass as root's; fs.protected_hardlinks,
 * on by default, refuses to make that link.)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pathcheck.h"

/*
 * A directory opened only to look names up in it: Linux's O_PATH (and
 * FreeBSD 13's) needs no read permission on it, nor does POSIX's
 * O_SEARCH (macOS, and POSIX 2008, which glibc does not define); plain
 * O_RDONLY elsewhere, which a directory we may cross but not list
 * refuses.
 */
#if defined(O_PATH)
#define PATHCHECK_O_DIR	O_PATH
#elif defined(O_SEARCH)
#define PATHCHECK_O_DIR	O_SEARCH
#else
#define PATHCHECK_O_DIR	O_RDONLY
#endif

/* XSI's, and on every system knock builds on, but not in POSIX 2008. */
#ifndef S_ISVTX
#define S_ISVTX		01000
#endif

/* One walk: where it is, for messages, and who it trusts. */
struct pathcheck_walk {
	const char *path;	/* as the caller gave it */
	char *err;
	char at[PATH_MAX];	/* the directory reached; "" is / */
	size_t atlen;
	char via[PATH_MAX];	/* the last link followed, or "" */
	uid_t euid;
};

static void pathcheck_say(struct pathcheck_walk *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
pathcheck_say(struct pathcheck_walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, PATHCHECK_ERR_LEN, fmt, ap);
	va_end(ap);
}

/* The failure of a system call, said as open(2)'s would be. */
static int
pathcheck_fail(struct pathcheck_walk *w, int e)
{

	pathcheck_say(w, "%s: %s", w->path, strerror(e));
	errno = e;
	return (-1);
}

static const char *
pathcheck_at(const struct pathcheck_walk *w)
{

	return (w->atlen == 0 ? "/" : w->at);
}

/* " (through the symbolic link L)" if a link led here, else "". */
static const char *
pathcheck_via(const struct pathcheck_walk *w, char buf[static PATH_MAX + 40])
{

	if (w->via[0] == '\0')
		return ("");
	snprintf(buf, PATH_MAX + 40, " (through the symbolic link %s)",
	    w->via);
	return (buf);
}

/*
 * "not root" or "neither root nor NAME", whom an entry may belong to,
 * and the chown that fixes one (chown -h for a link, link non-zero):
 * to root, or, run as another user (knock as alice, knockd.service as
 * knockd), to that user, whose own files these may be.
 */
static void
pathcheck_owners(const struct pathcheck_walk *w, const char *entry, int link,
    char whom[static 80], char fix[static PATH_MAX * 2 + 120])
{
	const char *h = link ? "-h " : "";
	struct passwd *pw;
	char name[48];

	if (w->euid == 0) {
		snprintf(whom, 80, "not root");
		snprintf(fix, PATH_MAX * 2 + 120, "chown %sroot %s", h, entry);
		return;
	}
	if ((pw = getpwuid(w->euid)) != NULL && strlen(pw->pw_name) <
	    sizeof(name))
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	else
		snprintf(name, sizeof(name), "%u", (unsigned int)w->euid);
	snprintf(whom, 80, "neither root nor %s", name);
	snprintf(fix, PATH_MAX * 2 + 120, "chown %sroot %s (or, if it is "
	    "yours, chown %s%s %s)", h, entry, h, name, entry);
}

/*
 * The directory w->at, with status st (of the descriptor we hold): 0 if
 * it is ours or root's and only its owner may change its entries; else
 * -1, with the message.
 */
static int
pathcheck_dir(struct pathcheck_walk *w, const struct stat *st)
{
	char whom[80], via[PATH_MAX + 40], fix[PATH_MAX * 2 + 120];
	const char *dir = pathcheck_at(w);

	if (st->st_uid != 0 && st->st_uid != w->euid) {
		pathcheck_owners(w, dir, 0, whom, fix);
		pathcheck_say(w, "%s is owned by uid %u, %s: refusing %s%s; "
		    "run: %s", dir, (unsigned int)st->st_uid, whom, w->path,
		    pathcheck_via(w, via), fix);
		return (-1);
	}
	/* Sticky and root's: see the top of this file. */
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    !((st->st_mode & S_ISVTX) != 0 && st->st_uid == 0)) {
		pathcheck_say(w, "%s is writable by group or others (mode "
		    "%04o): refusing %s%s; run: chmod go-w %s", dir,
		    (unsigned int)(st->st_mode & 07777), w->path,
		    pathcheck_via(w, via), dir);
		return (-1);
	}
	return (0);
}

/* Add name to w->at (a component, not "." or ".."). */
static int
pathcheck_push(struct pathcheck_walk *w, const char *name)
{
	size_t n = strlen(name);

	if (w->atlen + 1 + n >= sizeof(w->at))
		return (pathcheck_fail(w, ENAMETOOLONG));
	w->at[w->atlen++] = '/';
	memcpy(w->at + w->atlen, name, n + 1);
	w->atlen += n;
	return (0);
}

/* Take the last component off w->at. */
static void
pathcheck_pop(struct pathcheck_walk *w)
{

	while (w->atlen > 0 && w->at[w->atlen - 1] != '/')
		w->atlen--;
	if (w->atlen > 0)
		w->atlen--;
	w->at[w->atlen] = '\0';
}

/*
 * Open the directory name under dfd (AT_FDCWD with "/": the root) for
 * lookups, and check it. Returns its descriptor, or -1 with the message.
 */
static int
pathcheck_enter(struct pathcheck_walk *w, int dfd, const char *name)
{
	struct stat st;
	int fd, e;

	if ((fd = openat(dfd, name, PATHCHECK_O_DIR | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (pathcheck_fail(w, errno));
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		return (pathcheck_fail(w, e));
	}
	if (pathcheck_dir(w, &st)) {
		close(fd);
		errno = EPERM;
		return (-1);
	}
	return (fd);
}

/*
 * The symbolic link name under dfd (w->at names it), with status st:
 * check it, and put its target before the rest of the walk, *rest, which
 * points into todo. Returns 0, or -1 with the message.
 */
static int
pathcheck_link(struct pathcheck_walk *w, int dfd, const char *name,
    const struct stat *st, char todo[static PATH_MAX], const char **rest)
{
	char target[PATH_MAX], next[PATH_MAX], whom[80];
	char fix[PATH_MAX * 2 + 120];
	ssize_t n;
	int len;

	/*
	 * The link's own mode means nothing, but its owner does: in a
	 * sticky directory anyone may plant one.
	 */
	if (st->st_uid != 0 && st->st_uid != w->euid) {
		pathcheck_owners(w, w->at, 1, whom, fix);
		pathcheck_say(w, "%s is a symbolic link owned by uid %u, %s: "
		    "refusing %s; if you trust where it points, run: %s",
		    w->at, (unsigned int)st->st_uid, whom, w->path, fix);
		errno = EPERM;
		return (-1);
	}
	if ((n = readlinkat(dfd, name, target, sizeof(target))) == -1)
		return (pathcheck_fail(w, errno));
	if ((size_t)n >= sizeof(target))
		return (pathcheck_fail(w, ENAMETOOLONG));
	target[n] = '\0';
	/*
	 * /dev/fd/N and /proc/self/fd/N name a pipe or a socket by a link
	 * to "pipe:[INODE]" (knock -c <(...)): that is not a path, and
	 * "no such file" would not say why.
	 */
	if (target[0] != '/' && strchr(target, ':') != NULL &&
	    target[strlen(target) - 1] == ']') {
		pathcheck_say(w, "%s is %s, not a file: give the path of a "
		    "file (a process substitution, <(...), is a pipe)",
		    w->path, target);
		errno = EINVAL;
		return (-1);
	}
	len = snprintf(next, sizeof(next), "%s/%s", target, *rest);
	if (len < 0 || (size_t)len >= sizeof(next))
		return (pathcheck_fail(w, ENAMETOOLONG));
	memcpy(todo, next, (size_t)len + 1);
	*rest = todo;
	snprintf(w->via, sizeof(w->via), "%s", w->at);
	pathcheck_pop(w);
	return (0);
}

/*
 * pathcheck_open(path, flags, err): open path (a relative one from the
 * working directory) with open(2) flags, after checking every directory
 * from / down to it and every symbolic link on the way, including path
 * itself: each must be owned by root or the effective user, and no
 * directory may be writable by group or others, unless it is a sticky
 * directory owned by root (/tmp). The file opened is the one checked:
 * its device and inode are compared with what the check saw. The file
 * itself is the caller's to judge, through the descriptor (fstat): what
 * it may be depends on what it holds. Returns the descriptor, the
 * caller's to close; or -1 with errno set and a message in err that
 * names path and says what to do: EPERM for a refusal, ELOOP past
 * PATHCHECK_LINKS_MAX links, else the errno of the failing call
 * (ENOENT: no such file, even below a directory it would refuse).
 * Nothing is logged.
 */
int
pathcheck_open(const char *path, int flags, char err[static PATHCHECK_ERR_LEN])
{
	struct pathcheck_walk w;
	char todo[PATH_MAX], name[NAME_MAX + 1];
	const char *rest;
	struct stat st, fst;
	size_t n;
	int dfd = -1, fd = -1, nfd, links = 0, last, e, len;

	memset(&w, 0, sizeof(w));
	w.path = path;
	w.err = err;
	w.euid = geteuid();
	err[0] = '\0';

	if (path[0] == '\0') {
		pathcheck_fail(&w, ENOENT);
		goto err0;
	}
	if (path[0] == '/')
		len = snprintf(todo, sizeof(todo), "%s", path);
	else {
		/* The kernel's own path of the working directory: no links. */
		if (getcwd(todo, sizeof(todo)) == NULL) {
			pathcheck_fail(&w, errno);
			goto err0;
		}
		n = strlen(todo);
		len = snprintf(todo + n, sizeof(todo) - n, "/%s", path);
		len = len < 0 ? len : len + (int)n;
	}
	if (len < 0 || (size_t)len >= sizeof(todo)) {
		pathcheck_fail(&w, ENAMETOOLONG);
		goto err0;
	}
	if ((dfd = pathcheck_enter(&w, AT_FDCWD, "/")) == -1)
		goto err1;

	for (rest = todo;;) {
		rest += strspn(rest, "/");
		if (*rest == '\0') {
			/* path names a directory: the one we hold. */
			if (fstat(dfd, &st) == -1 ||
			    (fd = openat(dfd, ".", flags | O_CLOEXEC)) == -1) {
				pathcheck_fail(&w, errno);
				goto err1;
			}
			break;
		}
		n = strcspn(rest, "/");
		if (n > NAME_MAX) {
			pathcheck_fail(&w, ENAMETOOLONG);
			goto err1;
		}
		memcpy(name, rest, n);
		name[n] = '\0';
		rest += n;
		last = rest[strspn(rest, "/")] == '\0';
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			/* Checked again: a parent we never crossed. */
			pathcheck_pop(&w);
			if ((nfd = pathcheck_enter(&w, dfd, "..")) == -1)
				goto err1;
			close(dfd);
			dfd = nfd;
			continue;
		}
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			pathcheck_fail(&w, errno);
			goto err1;
		}
		if (pathcheck_push(&w, name))
			goto err1;
		if (S_ISLNK(st.st_mode)) {
			if (++links > PATHCHECK_LINKS_MAX) {
				pathcheck_say(&w, "%s: more than %d symbolic "
				    "links to follow (a loop?): refusing it",
				    path, PATHCHECK_LINKS_MAX);
				errno = ELOOP;
				goto err1;
			}
			if (pathcheck_link(&w, dfd, name, &st, todo, &rest))
				goto err1;
			if (todo[0] == '/') {
				w.atlen = 0;
				w.at[0] = '\0';
				if ((nfd = pathcheck_enter(&w, AT_FDCWD,
				    "/")) == -1)
					goto err1;
				close(dfd);
				dfd = nfd;
			}
			continue;
		}
		if (last) {
			/* Under the parent we checked, and no link now. */
			if ((fd = openat(dfd, name, flags | O_NOFOLLOW |
			    O_CLOEXEC)) == -1) {
				pathcheck_fail(&w, errno);
				goto err1;
			}
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			pathcheck_fail(&w, ENOTDIR);
			goto err1;
		}
		if ((nfd = pathcheck_enter(&w, dfd, name)) == -1)
			goto err1;
		close(dfd);
		dfd = nfd;
	}

	if (fstat(fd, &fst) == -1) {
		pathcheck_fail(&w, errno);
		goto err2;
	}
	if (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		pathcheck_say(&w, "%s was replaced while it was being "
		    "checked: refusing it", path);
		errno = EPERM;
		goto err2;
	}
	close(dfd);
	return (fd);

err2:
	e = errno;
	close(fd);
	errno = e;
err1:
	e = errno;
	if (dfd != -1)
		close(dfd);
	/*
	 * A file that is not there is not refused: an optional config
	 * (~/.config/knock/knock.conf) stays optional whatever lies above.
	 */
	if (e == EPERM && stat(path, &st) == -1 && errno == ENOENT) {
		pathcheck_fail(&w, ENOENT);
		e = ENOENT;
	}
	errno = e;
err0:
	return (-1);
}
