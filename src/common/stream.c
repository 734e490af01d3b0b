/*
 * stream.c: the data path of one forwarded connection (stream.h).
 *
 * Each direction has one buffer, fixed when the stream is made, and is
 * either filling it (waiting for input) or emptying it (waiting for
 * output), never both: that is the backpressure, and it keeps every byte
 * in one place, so that nothing is copied between the read and the write.
 *
 * Seal (plain -> tunnel): one read() of up to STREAM_READ bytes, cut into
 * frames of at most TUNNEL_FRAME_MAX, each sealed in place, then one
 * sendmsg() of [hdr, data, tag, hdr, data, tag, ...] with the headers and
 * tags kept in small arrays here.
 *
 * Open (tunnel -> plain): one read() of as much as fits; every complete
 * frame in it is opened in place and its data gathered into one writev()
 * (small frames are moved down to join the one before them, so that a
 * buffer full of keystrokes is not hundreds of iovecs). Once all of it is
 * delivered, the bytes of the incomplete last frame move to the start and
 * the tunnel is read again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stream.h"

/* Data frames one read of the plain side makes. */
#define STREAM_FRAMES	((STREAM_READ + TUNNEL_FRAME_MAX - 1) / \
			 TUNNEL_FRAME_MAX)
/* The open buffer: a full read, whatever is left of a frame before it. */
#define STREAM_OPEN_CAP	(STREAM_READ + TUNNEL_FRAME_MAX + TUNNEL_OVERHEAD)
/* Frames this small are moved to join the data before them rather than
 * given an iovec of their own: copying a few hundred bytes costs less
 * than a write. */
#define STREAM_COALESCE	1024
/* Enough iovecs that one writev() takes every frame a buffer can hold:
 * each has more than STREAM_COALESCE bytes, but the first. */
#define STREAM_OPEN_IOV	(STREAM_OPEN_CAP / \
			 (TUNNEL_OVERHEAD + STREAM_COALESCE + 1) + 1)
#define STREAM_ERR_LEN	128

_Static_assert(STREAM_OPEN_IOV <= 1024, "one writev() takes the lot");

struct stream_seal {
	uint8_t *buf;				/* STREAM_READ bytes */
	uint8_t hdr[STREAM_FRAMES][TUNNEL_HDR_LEN];
	uint8_t tag[STREAM_FRAMES][TUNNEL_TAG_LEN];
	struct iovec iov[3 * STREAM_FRAMES];
	int at, n;				/* iov[at..n) to write */
	int eof;				/* END sealed */
	int shut;				/* ... sent, and tun shut */
};

struct stream_open {
	uint8_t *buf;				/* STREAM_OPEN_CAP bytes */
	size_t have;				/* bytes in buf */
	size_t walk;				/* bytes of buf opened */
	struct iovec iov[STREAM_OPEN_IOV];
	int at, n;				/* iov[at..n) to write */
	int end;				/* END opened */
	int ended;				/* ... and plain_out ended */
	int eof;				/* tun read EOF after END */
};

struct stream {
	int plain_in, plain_out, tun;
	int in_sock, out_sock, tun_sock;	/* sockets: sendmsg(), not
						 * writev(), and SO_ERROR */
	unsigned flags;
	struct tunnel_dir *seal_dir, *open_dir;
	struct stream_seal s;
	struct stream_open o;
	void *map;				/* both buffers */
	size_t map_len;
	uint64_t sent, received;
	enum stream_state state;
	enum stream_failure failure;
	char err[STREAM_ERR_LEN];
};

/*
 * Anonymous memory and the advice to leave it out of core dumps are not
 * POSIX 2008, though every system knock builds on has them under one
 * name or another: malloc() where none is known (make posix-check's
 * strict build), which glibc serves from mmap() at this size anyway.
 */
#if defined(MAP_ANONYMOUS)
#define STREAM_MAP_ANON	MAP_ANONYMOUS
#elif defined(MAP_ANON)
#define STREAM_MAP_ANON	MAP_ANON
#endif

static void *
stream_map(size_t len)
{
#ifdef STREAM_MAP_ANON
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | STREAM_MAP_ANON, -1, 0);
	if (p == MAP_FAILED)
		return (NULL);
#if defined(MADV_DONTDUMP)		/* Linux */
	(void)madvise(p, len, MADV_DONTDUMP);
#elif defined(MADV_NOCORE)		/* FreeBSD, DragonFly */
	(void)madvise(p, len, MADV_NOCORE);
#endif
	return (p);
#else
	return (malloc(len));
#endif
}

static void
stream_unmap(void *p, size_t len)
{

	if (p == NULL)
		return;
#ifdef STREAM_MAP_ANON
	munmap(p, len);
#else
	(void)len;
	free(p);
#endif
}

static int
stream_is_sock(int fd)
{
	struct stat st;

	return (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode));
}

/*
 * stream_new(plain_in, plain_out, tun, seal, open, flags): a stream
 * between the plain side (plain_in == plain_out for a socket) and the
 * tunnel socket tun. seal is the direction this end sends (it seals plain
 * data), open the one it receives; the stream owns both from now on, even
 * on failure. The fds stay the caller's, except plain_out with
 * STREAM_PLAIN_OUT_CLOSE, which the stream closes when the peer's END
 * arrives (stream_wants() no longer names it after that). Returns NULL
 * on failure (out of memory).
 */
struct stream *
stream_new(int plain_in, int plain_out, int tun, struct tunnel_dir *seal,
    struct tunnel_dir *open, unsigned flags)
{
	struct stream *s;
	long page = sysconf(_SC_PAGESIZE);

	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto err0;
	s->seal_dir = seal;
	s->open_dir = open;
	/* Untouched pages stay out of RSS (an interactive connection uses a
	 * few), munmap() gives them all back, and the plaintext that passes
	 * through stays out of core dumps. */
	if (page <= 0)
		page = 4096;
	s->map_len = ((size_t)STREAM_READ + STREAM_OPEN_CAP + (size_t)page -
	    1) / (size_t)page * (size_t)page;
	if ((s->map = stream_map(s->map_len)) == NULL)
		goto err1;
	s->s.buf = s->map;
	s->o.buf = (uint8_t *)s->map + STREAM_READ;
	s->plain_in = plain_in;
	s->plain_out = plain_out;
	s->tun = tun;
	s->flags = flags;
	s->in_sock = stream_is_sock(plain_in);
	s->out_sock = stream_is_sock(plain_out);
	s->tun_sock = stream_is_sock(tun);
	s->state = STREAM_RUNNING;
	s->failure = STREAM_OK;
	return (s);

err1:
	free(s);
err0:
	tunnel_dir_free(seal);
	tunnel_dir_free(open);
	return (NULL);
}

/*
 * stream_free(s): free buffers and wipe the direction keys. Does not close
 * the fds. NULL is a no-op.
 */
void
stream_free(struct stream *s)
{

	if (s == NULL)
		return;
	tunnel_dir_free(s->seal_dir);
	tunnel_dir_free(s->open_dir);
	stream_unmap(s->map, s->map_len);
	free(s);
}

/* Record the first failure; the stream does nothing more. */
static void
stream_fail(struct stream *s, enum stream_failure f, const char *what,
    int err)
{

	if (s->state == STREAM_FAILED)
		return;
	s->state = STREAM_FAILED;
	s->failure = f;
	if (err != 0)
		snprintf(s->err, sizeof(s->err), "%s: %s", what,
		    strerror(err));
	else
		snprintf(s->err, sizeof(s->err), "%s", what);
}

/* Write iov[0..n) to fd; a socket never raises SIGPIPE (STREAM_NOSIGNAL). */
static ssize_t
stream_writev(int fd, int sock, struct iovec *iov, int n)
{
	struct msghdr m;

	if (!sock)
		return (writev(fd, iov, n));
	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = (size_t)n;
	return (sendmsg(fd, &m, STREAM_NOSIGNAL));
}

/*
 * Write what is left of iov[*at..n) with one call: 1 if all of it is
 * written, 0 if some is left (fd is full), -1 on an error (errno).
 */
static int
stream_flush_iov(int fd, int sock, struct iovec *iov, int *at, int n)
{
	ssize_t r;
	size_t left;

	while (*at < n) {
		r = stream_writev(fd, sock, iov + *at, n - *at);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return (0);
			return (-1);
		}
		left = (size_t)r;
		while (*at < n && left >= iov[*at].iov_len)
			left -= iov[(*at)++].iov_len;
		if (*at < n) {
			iov[*at].iov_base = (uint8_t *)iov[*at].iov_base +
			    left;
			iov[*at].iov_len -= left;
			/* A short write means the fd is full: trying again
			 * now would only return EAGAIN. */
			return (0);
		}
	}
	return (1);
}

/* Seal: write the pending frames to the tunnel; after END, shut it. */
static void
stream_seal_flush(struct stream *s)
{
	struct stream_seal *d = &s->s;
	int r;

	r = stream_flush_iov(s->tun, s->tun_sock, d->iov, &d->at, d->n);
	if (r < 0) {
		stream_fail(s, STREAM_IO, "write to the tunnel", errno);
		return;
	}
	if (r == 0)
		return;
	d->at = d->n = 0;
	if (d->eof && !d->shut) {
		if (shutdown(s->tun, SHUT_WR) != 0) {
			stream_fail(s, STREAM_IO, "shutdown of the tunnel",
			    errno);
			return;
		}
		d->shut = 1;
	}
}

/* Seal: one read of the plain side, sealed into frames and sent. */
static void
stream_seal_read(struct stream *s)
{
	struct stream_seal *d = &s->s;
	ssize_t r;
	size_t off, len;
	int i;

	if (d->n > 0 || d->eof)
		return;
	r = read(s->plain_in, d->buf, STREAM_READ);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		stream_fail(s, STREAM_IO, "read from the plain side", errno);
		return;
	}
	if (r == 0) {
		/* The batch before it is sent: END goes out on its own. */
		if (tunnel_seal(s->seal_dir, TUNNEL_END, d->buf, 0, d->hdr[0],
		    d->tag[0]) != 0) {
			stream_fail(s, STREAM_IO, "sealing a frame failed", 0);
			return;
		}
		d->iov[0].iov_base = d->hdr[0];
		d->iov[0].iov_len = TUNNEL_HDR_LEN;
		d->iov[1].iov_base = d->tag[0];
		d->iov[1].iov_len = TUNNEL_TAG_LEN;
		d->n = 2;
		d->eof = 1;
	} else {
		for (i = 0, off = 0; off < (size_t)r; i++, off += len) {
			len = (size_t)r - off;
			if (len > TUNNEL_FRAME_MAX)
				len = TUNNEL_FRAME_MAX;
			if (tunnel_seal(s->seal_dir, TUNNEL_DATA, d->buf + off,
			    len, d->hdr[i], d->tag[i]) != 0) {
				stream_fail(s, STREAM_IO,
				    "sealing a frame failed", 0);
				return;
			}
			d->iov[3 * i].iov_base = d->hdr[i];
			d->iov[3 * i].iov_len = TUNNEL_HDR_LEN;
			d->iov[3 * i + 1].iov_base = d->buf + off;
			d->iov[3 * i + 1].iov_len = len;
			d->iov[3 * i + 2].iov_base = d->tag[i];
			d->iov[3 * i + 2].iov_len = TUNNEL_TAG_LEN;
		}
		d->n = 3 * i;
		s->sent += (uint64_t)r;
	}
	d->at = 0;
	/* Usually the tunnel has room: send now rather than after another
	 * round of the event loop. */
	stream_seal_flush(s);
}

/*
 * Open: open the complete frames from o.walk on, gathering their data
 * into o.iov, until END, an incomplete frame, or a full iov. A header
 * is judged as soon as its 4 bytes are here, before its payload.
 */
static void
stream_open_walk(struct stream *s)
{
	struct stream_open *d = &s->o;
	struct iovec *last;
	uint8_t *hdr, *data;
	size_t len;
	int type;

	while (!d->end && d->have - d->walk >= TUNNEL_HDR_LEN &&
	    d->n < STREAM_OPEN_IOV) {
		hdr = d->buf + d->walk;
		if (tunnel_header(hdr, &type, &len) != 0) {
			stream_fail(s, STREAM_FORGED, "a bad frame header", 0);
			return;
		}
		if (d->have - d->walk < TUNNEL_OVERHEAD + len)
			break;
		data = hdr + TUNNEL_HDR_LEN;
		if (tunnel_open(s->open_dir, hdr, data, len,
		    data + len) != 0) {
			stream_fail(s, STREAM_FORGED,
			    "a frame failed authentication", 0);
			return;
		}
		d->walk += TUNNEL_OVERHEAD + len;
		if (type == TUNNEL_END) {
			d->end = 1;
			if (d->walk != d->have) {
				stream_fail(s, STREAM_FORGED,
				    "bytes after the END frame", 0);
				return;
			}
			break;
		}
		s->received += len;
		last = d->n > 0 ? &d->iov[d->n - 1] : NULL;
		if (last != NULL && len <= STREAM_COALESCE) {
			/* Over the header and tag already checked. */
			memmove((uint8_t *)last->iov_base + last->iov_len,
			    data, len);
			last->iov_len += len;
		} else {
			d->iov[d->n].iov_base = data;
			d->iov[d->n].iov_len = len;
			d->n++;
		}
	}
}

/* Open: end the plain side's output, the peer's END delivered. */
static void
stream_open_end(struct stream *s)
{

	/* A socket gets its FIN even if another fd shares it (stdin and
	 * stdout the same socket), so shut it before any close. */
	if ((s->out_sock || !(s->flags & STREAM_PLAIN_OUT_CLOSE)) &&
	    shutdown(s->plain_out, SHUT_WR) != 0) {
		stream_fail(s, STREAM_IO, "shutdown of the plain side", errno);
		return;
	}
	if (s->flags & STREAM_PLAIN_OUT_CLOSE) {
		/* Every byte was written: a close() error (NFS and the
		 * like) has nothing more to say. */
		(void)close(s->plain_out);
		s->plain_out = -1;
	}
	s->o.ended = 1;
}

/*
 * Open: deliver the opened data to the plain side, opening more frames
 * as it goes; once all of the buffer is delivered, keep the incomplete
 * frame's bytes for the next read, and pass on an END.
 */
static void
stream_open_flush(struct stream *s)
{
	struct stream_open *d = &s->o;
	int r;

	for (;;) {
		r = stream_flush_iov(s->plain_out, s->out_sock, d->iov, &d->at,
		    d->n);
		if (r < 0) {
			stream_fail(s, STREAM_IO, "write to the plain side",
			    errno);
			return;
		}
		if (r == 0)
			return;
		d->at = d->n = 0;
		stream_open_walk(s);
		if (s->state != STREAM_RUNNING)
			return;
		if (d->n == 0)
			break;
	}
	if (d->walk > 0) {
		memmove(d->buf, d->buf + d->walk, d->have - d->walk);
		d->have -= d->walk;
		d->walk = 0;
	}
	if (d->end && !d->ended)
		stream_open_end(s);
}

/* Open: one read of the tunnel, opened and delivered. */
static void
stream_open_read(struct stream *s)
{
	struct stream_open *d = &s->o;
	ssize_t r;

	if (d->n > 0 || d->eof || (d->end && !d->ended))
		return;
	r = read(s->tun, d->buf + d->have, STREAM_OPEN_CAP - d->have);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		stream_fail(s, STREAM_IO, "read from the tunnel", errno);
		return;
	}
	if (r == 0) {
		if (!d->end) {
			stream_fail(s, STREAM_TRUNCATED,
			    "the tunnel ended without an END frame", 0);
			return;
		}
		d->eof = 1;
		return;
	}
	if (d->end) {
		stream_fail(s, STREAM_FORGED, "bytes after the END frame", 0);
		return;
	}
	d->have += (size_t)r;
	stream_open_walk(s);
	if (s->state != STREAM_RUNNING)
		return;
	/* Usually the plain side has room: write now. */
	stream_open_flush(s);
}

/*
 * An error or hang-up on fd: a socket error fails the stream; otherwise
 * the I/O the stream wants on fd will find out what happened (end of
 * file, EPIPE). Returns the events to go on with.
 */
static unsigned
stream_io_err(struct stream *s, int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;
	unsigned want;

	if ((fd == s->tun && s->tun_sock) ||
	    (fd == s->plain_out && s->out_sock) ||
	    (fd == s->plain_in && s->in_sock)) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0) {
			stream_fail(s, STREAM_IO, fd == s->tun ?
			    "the tunnel" : "the plain side", err);
			return (0);
		}
	}
	want = stream_wants(s, fd);
	/* A pipe's reader has gone, and nothing is pending to find out by
	 * writing: the output cannot be delivered. */
	if (fd == s->plain_out && fd != s->plain_in && !s->out_sock &&
	    !(want & STREAM_OUT) && !s->o.ended)
		stream_fail(s, STREAM_IO, "write to the plain side", EPIPE);
	return (want);
}

/*
 * stream_io(s, fd, events): fd (one of the stream's) is ready for events:
 * do the reads and writes that allows, without blocking. Returns the
 * stream's state after that.
 */
enum stream_state
stream_io(struct stream *s, int fd, unsigned events)
{

	if (s->state != STREAM_RUNNING || fd < 0)
		return (s->state);
	if (events & STREAM_ERR)
		events |= stream_io_err(s, fd);
	/*
	 * Writes first: each frees the buffer its direction reads into. A
	 * batch that had to wait for room is the sign of a bulk transfer,
	 * whose input is most likely ready again: read it now rather than
	 * after another round of the event loop (and two epoll_ctl()s).
	 */
	if (s->state == STREAM_RUNNING && fd == s->tun &&
	    (events & STREAM_OUT) && s->s.n > 0) {
		stream_seal_flush(s);
		if (s->state == STREAM_RUNNING && s->s.n == 0)
			stream_seal_read(s);
	}
	if (s->state == STREAM_RUNNING && fd == s->plain_out &&
	    (events & STREAM_OUT) && s->o.n > 0) {
		stream_open_flush(s);
		if (s->state == STREAM_RUNNING && s->o.n == 0)
			stream_open_read(s);
	}
	if (s->state == STREAM_RUNNING && fd == s->tun && (events & STREAM_IN))
		stream_open_read(s);
	if (s->state == STREAM_RUNNING && fd == s->plain_in &&
	    (events & STREAM_IN))
		stream_seal_read(s);
	if (s->state == STREAM_RUNNING && s->s.shut && s->o.ended && s->o.eof)
		s->state = STREAM_DONE;
	return (s->state);
}

/*
 * stream_wants(s, fd): the events (STREAM_IN, STREAM_OUT, both or none)
 * fd should wait for now. A direction whose output is full waits for
 * STREAM_OUT on its output and not for STREAM_IN on its input.
 */
unsigned
stream_wants(const struct stream *s, int fd)
{
	unsigned w = 0;

	if (s->state != STREAM_RUNNING || fd < 0)
		return (0);
	if (fd == s->plain_in && s->s.n == 0 && !s->s.eof)
		w |= STREAM_IN;
	if (fd == s->tun && s->s.n > 0)
		w |= STREAM_OUT;
	/* After END, still read: to the EOF that must follow it, or to the
	 * stray byte that fails the stream. */
	if (fd == s->tun && s->o.n == 0 && !s->o.eof &&
	    !(s->o.end && !s->o.ended))
		w |= STREAM_IN;
	if (fd == s->plain_out && s->o.n > 0)
		w |= STREAM_OUT;
	return (w);
}

/*
 * stream_failure(s): why the stream failed (STREAM_OK if it did not), and
 * stream_error(s) the same as a phrase for a log line ("a frame failed
 * authentication", "the tunnel ended without an END frame", "read from
 * the tunnel: Connection reset by peer", ...).
 */
enum stream_failure
stream_failure(const struct stream *s)
{

	return (s->failure);
}

const char *
stream_error(const struct stream *s)
{

	return (s->state == STREAM_FAILED ? s->err : "no failure");
}

/*
 * stream_bytes(s, sent, received): plaintext bytes sealed so far, and
 * opened so far (for the log line at the end of a connection).
 */
void
stream_bytes(const struct stream *s, uint64_t *sent, uint64_t *received)
{

	if (sent != NULL)
		*sent = s->sent;
	if (received != NULL)
		*received = s->received;
}

/*
 * stream_reset_fd(fd): close a TCP socket with a reset rather than a clean
 * FIN (SO_LINGER 0), so that the program at the other end sees that the
 * stream was cut, not finished. What a failed stream does to its sockets.
 */
void
stream_reset_fd(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		return;
	/* Not a TCP socket (a pipe): a plain close is all there is. */
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	(void)close(fd);
}
