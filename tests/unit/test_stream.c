/*
 * test_stream.c: the forward data path, two streams back to back with a
 * relay of the test's own between their tunnel ends:
 *
 *     app <-> stream A <-> ra [relay] rb <-> stream B <-> backend
 *
 * A is the client end (seals c2s), B the server end. The relay passes
 * bytes through, or flips a bit, cuts the tunnel short, or adds bytes
 * after the END frame. Everything is non-blocking and driven by a
 * bounded poll() loop that waits only for what stream_wants() asks for,
 * so a wrong answer from it shows up as a stall.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "stream.h"
#include "tunnel.h"

#define RELAY_BUF	65536
#define PEER_CHUNK	65536

/* One direction of the test's relay. */
struct relay_dir {
	int from, to;
	uint8_t buf[RELAY_BUF];
	size_t len, off;
	uint64_t passed;		/* bytes read from "from" */
	int eof;			/* from ended (or was cut) */
	int shut;			/* ... and to was shut */
	long long flip_at;		/* flip a bit of this byte, or -1 */
	long long cut_at;		/* end after this many bytes, or -1 */
	const uint8_t *extra;		/* added after from's end */
	size_t extra_len;
};

/* The application or the backend, played by the test. */
struct peer {
	int wfd, rfd;			/* the same for a socket */
	const uint8_t *out;
	size_t out_len, out_off;
	int shut_when_sent, shut;
	uint8_t *in;
	size_t in_len, in_cap;
	int eof;
	int no_read;			/* never read: backpressure */
};

struct rig {
	struct peer app, backend;
	int a_in, a_out, a_tun;		/* stream A's fds */
	int b_in, b_out, b_tun;		/* stream B's fds */
	int ra, rb;			/* the relay's */
	struct relay_dir ab, ba;
	struct stream *a, *b;
	int a_fds_closed_out;		/* A closed a_out (pipe mode) */
};

static const uint8_t key_c2s[32] = {
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
};
static const uint8_t key_s2c[32] = {
	0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
	0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};
static const uint8_t iv_c2s[12] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
};
static const uint8_t iv_s2c[12] = {
	21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32
};

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

static void
pair(int sv[2])
{

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
}

static struct stream *
make_stream(enum tunnel_suite suite, int client, int in, int out, int tun,
    unsigned flags)
{
	struct tunnel_dir *c2s, *s2c;
	struct stream *s;

	c2s = tunnel_dir_new(suite, key_c2s, iv_c2s);
	s2c = tunnel_dir_new(suite, key_s2c, iv_s2c);
	assert_non_null(c2s);
	assert_non_null(s2c);
	s = client ? stream_new(in, out, tun, c2s, s2c, flags) :
	    stream_new(in, out, tun, s2c, c2s, flags);
	assert_non_null(s);
	return (s);
}

static void
relay_init(struct relay_dir *d, int from, int to)
{

	memset(d, 0, sizeof(*d));
	d->from = from;
	d->to = to;
	d->flip_at = -1;
	d->cut_at = -1;
}

/*
 * rig_new(suite, pipes): the whole chain. With pipes, the application
 * side of A is two pipes (stdin and stdout of knock --forward -), and A
 * closes its output when B's END arrives.
 */
static struct rig *
rig_new(enum tunnel_suite suite, int pipes)
{
	struct rig *r = calloc(1, sizeof(*r));
	int sv[2], in[2], out[2];

	assert_non_null(r);
	if (pipes) {
		assert_int_equal(pipe(in), 0);
		assert_int_equal(pipe(out), 0);
		set_nonblock(in[0]);
		set_nonblock(in[1]);
		set_nonblock(out[0]);
		set_nonblock(out[1]);
		r->app.wfd = in[1];
		r->a_in = in[0];
		r->a_out = out[1];
		r->app.rfd = out[0];
	} else {
		pair(sv);
		r->app.wfd = r->app.rfd = sv[0];
		r->a_in = r->a_out = sv[1];
	}
	pair(sv);
	r->a_tun = sv[0];
	r->ra = sv[1];
	pair(sv);
	r->rb = sv[0];
	r->b_tun = sv[1];
	pair(sv);
	r->b_in = r->b_out = sv[0];
	r->backend.wfd = r->backend.rfd = sv[1];
	relay_init(&r->ab, r->ra, r->rb);
	relay_init(&r->ba, r->rb, r->ra);
	r->a = make_stream(suite, 1, r->a_in, r->a_out, r->a_tun,
	    pipes ? STREAM_PLAIN_OUT_CLOSE : 0);
	r->b = make_stream(suite, 0, r->b_in, r->b_out, r->b_tun, 0);
	return (r);
}

static void
close_once(int *fd)
{

	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
rig_free(struct rig *r)
{

	stream_free(r->a);
	stream_free(r->b);
	if (r->app.wfd != r->app.rfd)
		close_once(&r->app.rfd);
	close_once(&r->app.wfd);
	if (r->a_in != r->a_out && !r->a_fds_closed_out)
		close_once(&r->a_out);
	close_once(&r->a_in);
	close_once(&r->a_tun);
	close_once(&r->ra);
	close_once(&r->rb);
	close_once(&r->b_tun);
	close_once(&r->b_in);
	close_once(&r->backend.wfd);
	free(r->app.in);
	free(r->backend.in);
	free(r);
}

/* Move what can be moved now in one relay direction; 1 if anything
 * moved. */
static int
relay_step(struct relay_dir *d)
{
	ssize_t n;
	size_t max;
	int moved = 0;

	if (d->shut)
		return (0);
	if (d->off < d->len) {
		n = send(d->to, d->buf + d->off, d->len - d->off,
		    MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN)
			fail_msg("relay write: %s", strerror(errno));
		if (n > 0) {
			d->off += (size_t)n;
			moved = 1;
		}
		if (d->off < d->len)
			return (moved);
	}
	d->off = d->len = 0;
	if (d->eof) {
		assert_int_equal(shutdown(d->to, SHUT_WR), 0);
		d->shut = 1;
		return (1);
	}
	max = sizeof(d->buf);
	if (d->cut_at >= 0 && (uint64_t)d->cut_at - d->passed < max)
		max = (size_t)((uint64_t)d->cut_at - d->passed);
	if (max == 0) {
		/* Cut: the tunnel ends here, END or not. */
		d->eof = 1;
		return (1);
	}
	n = read(d->from, d->buf, max);
	if (n < 0) {
		if (errno != EAGAIN)
			fail_msg("relay read: %s", strerror(errno));
		return (moved);
	}
	if (n == 0) {
		d->eof = 1;
		if (d->extra_len > 0) {
			memcpy(d->buf, d->extra, d->extra_len);
			d->len = d->extra_len;
		}
		return (1);
	}
	if (d->flip_at >= 0 && (uint64_t)d->flip_at >= d->passed &&
	    (uint64_t)d->flip_at < d->passed + (uint64_t)n)
		d->buf[d->flip_at - (long long)d->passed] ^= 0x04;
	d->passed += (uint64_t)n;
	d->len = (size_t)n;
	return (1);
}

static short
relay_events(const struct relay_dir *d, int fd)
{
	short ev = 0;

	if (d->shut)
		return (0);
	if (fd == d->to && d->off < d->len)
		ev |= POLLOUT;
	if (fd == d->from && d->off == d->len && !d->eof)
		ev |= POLLIN;
	return (ev);
}

/* What the test's application or backend can do now; 1 if anything
 * moved. */
static int
peer_step(struct peer *p)
{
	ssize_t n;
	size_t len;
	int moved = 0;

	if (p->out_off < p->out_len) {
		len = p->out_len - p->out_off;
		if (len > PEER_CHUNK)
			len = PEER_CHUNK;
		n = write(p->wfd, p->out + p->out_off, len);
		if (n < 0 && errno != EAGAIN)
			fail_msg("peer write: %s", strerror(errno));
		if (n > 0) {
			p->out_off += (size_t)n;
			moved = 1;
		}
	}
	if (p->out_off == p->out_len && p->shut_when_sent && !p->shut) {
		if (p->wfd == p->rfd)
			assert_int_equal(shutdown(p->wfd, SHUT_WR), 0);
		else
			close_once(&p->wfd);
		p->shut = 1;
		moved = 1;
	}
	if (!p->eof && !p->no_read) {
		assert_true(p->in_len < p->in_cap);
		n = read(p->rfd, p->in + p->in_len, p->in_cap - p->in_len);
		if (n < 0 && errno != EAGAIN)
			fail_msg("peer read: %s", strerror(errno));
		if (n >= 0)
			moved = 1;
		if (n == 0)
			p->eof = 1;
		if (n > 0)
			p->in_len += (size_t)n;
	}
	return (moved);
}

static void
peer_expect(struct peer *p, size_t cap)
{

	free(p->in);
	p->in = malloc(cap + 1);
	assert_non_null(p->in);
	p->in_cap = cap + 1;	/* room to catch one byte too many */
	p->in_len = 0;
}

static void
peer_send(struct peer *p, const uint8_t *data, size_t len, int shut)
{

	p->out = data;
	p->out_len = len;
	p->out_off = 0;
	p->shut_when_sent = shut;
}

#define RIG_MAX_FDS 16

static void
add_fd(struct pollfd *p, int *n, int fd, short ev)
{

	if (fd < 0 || ev == 0)
		return;
	assert_true(*n < RIG_MAX_FDS);
	p[*n].fd = fd;
	p[*n].events = ev;
	p[*n].revents = 0;
	(*n)++;
}

static short
to_poll(unsigned w)
{

	return ((short)(((w & STREAM_IN) ? POLLIN : 0) |
	    ((w & STREAM_OUT) ? POLLOUT : 0)));
}

static unsigned
from_poll(short ev)
{

	return (((ev & POLLIN) ? STREAM_IN : 0) |
	    ((ev & POLLOUT) ? STREAM_OUT : 0) |
	    ((ev & (POLLERR | POLLHUP)) ? STREAM_ERR : 0));
}

static void
add_stream(struct pollfd *p, int *n, const struct stream *s, int in,
    int out, int tun)
{

	add_fd(p, n, tun, to_poll(stream_wants(s, tun)));
	add_fd(p, n, in, to_poll(stream_wants(s, in)));
	if (out != in)
		add_fd(p, n, out, to_poll(stream_wants(s, out)));
}

static short
peer_events(const struct peer *p, int fd)
{
	short ev = 0;

	if (fd == p->wfd && p->out_off < p->out_len)
		ev |= POLLOUT;
	if (fd == p->rfd && !p->eof && !p->no_read)
		ev |= POLLIN;
	return (ev);
}

static int
fd_in(int fd, const int *fds, int nfds)
{
	int i;

	for (i = 0; i < nfds; i++)
		if (fds[i] == fd)
			return (1);
	return (0);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/*
 * rig_run(r, until, seconds): poll and move bytes until until(r) holds
 * (returns 0), or, with until NULL, until nothing has moved for a while
 * (returns 0); -1 if the time runs out first.
 */
static int
rig_run(struct rig *r, int (*until)(const struct rig *), double seconds)
{
	struct pollfd p[RIG_MAX_FDS];
	double deadline = now() + seconds;
	int n, i, idle = 0, moved, a_fds[3], b_fds[3];
	unsigned ev;

	while (now() < deadline) {
		/* The test's own ends first: they need no poll to start
		 * (a shutdown with nothing left to send). */
		moved = relay_step(&r->ab) + relay_step(&r->ba) +
		    peer_step(&r->app) + peer_step(&r->backend);
		if (r->a_out != r->a_in && r->a_out >= 0 &&
		    fcntl(r->a_out, F_GETFD) < 0) {
			/* A closed its stdout-like pipe. */
			r->a_out = -1;
			r->a_fds_closed_out = 1;
		}
		if (until != NULL && until(r))
			return (0);
		n = 0;
		add_stream(p, &n, r->a, r->a_in, r->a_out, r->a_tun);
		add_stream(p, &n, r->b, r->b_in, r->b_out, r->b_tun);
		add_fd(p, &n, r->ra, (short)(relay_events(&r->ab, r->ra) |
		    relay_events(&r->ba, r->ra)));
		add_fd(p, &n, r->rb, (short)(relay_events(&r->ab, r->rb) |
		    relay_events(&r->ba, r->rb)));
		add_fd(p, &n, r->app.wfd, peer_events(&r->app, r->app.wfd));
		if (r->app.rfd != r->app.wfd)
			add_fd(p, &n, r->app.rfd, peer_events(&r->app,
			    r->app.rfd));
		add_fd(p, &n, r->backend.wfd, peer_events(&r->backend,
		    r->backend.wfd));
		i = poll(p, (nfds_t)n, moved ? 0 : 20);
		assert_true(i >= 0);
		if (i == 0 && !moved) {
			if (until == NULL && ++idle >= 5)
				return (0);
			continue;
		}
		idle = 0;
		a_fds[0] = r->a_in, a_fds[1] = r->a_out, a_fds[2] = r->a_tun;
		b_fds[0] = r->b_in, b_fds[1] = r->b_out, b_fds[2] = r->b_tun;
		for (i = 0; i < n; i++) {
			if (p[i].revents == 0)
				continue;
			ev = from_poll(p[i].revents);
			if (fd_in(p[i].fd, a_fds, 3))
				stream_io(r->a, p[i].fd, ev);
			else if (fd_in(p[i].fd, b_fds, 3))
				stream_io(r->b, p[i].fd, ev);
		}
	}
	return (-1);
}

static int
both_done(const struct rig *r)
{

	return (stream_io(r->a, -1, 0) == STREAM_DONE &&
	    stream_io(r->b, -1, 0) == STREAM_DONE && r->app.eof &&
	    r->backend.eof);
}

static int
b_stopped(const struct rig *r)
{

	return (stream_io(r->b, -1, 0) != STREAM_RUNNING);
}

static int
backend_eof(const struct rig *r)
{

	return (r->backend.eof);
}

static int
app_eof(const struct rig *r)
{

	return (r->app.eof);
}

static uint8_t *
pattern(size_t len, unsigned seed)
{
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	return (p);
}

static void
expect_bytes(const struct peer *p, const uint8_t *want, size_t len)
{

	assert_int_equal(p->in_len, len);
	if (len > 0)
		assert_memory_equal(p->in, want, len);
}

/* up bytes app -> backend and down bytes back, at once, then both end. */
static void
round_trip(enum tunnel_suite suite, size_t up, size_t down, int pipes)
{
	struct rig *r = rig_new(suite, pipes);
	uint8_t *u = pattern(up, (unsigned)up + 1);
	uint8_t *d = pattern(down, (unsigned)down + 7);
	uint64_t sent, received;

	peer_expect(&r->backend, up);
	peer_expect(&r->app, down);
	peer_send(&r->app, u, up, 1);
	peer_send(&r->backend, d, down, 1);
	if (rig_run(r, both_done, 60) != 0)
		fail_msg("suite %d, %zu up, %zu down: stalled (A %s, B %s)",
		    suite, up, down, stream_error(r->a), stream_error(r->b));
	expect_bytes(&r->backend, u, up);
	expect_bytes(&r->app, d, down);
	stream_bytes(r->a, &sent, &received);
	assert_true(sent == up && received == down);
	stream_bytes(r->b, &sent, &received);
	assert_true(sent == down && received == up);
	assert_int_equal(stream_failure(r->a), STREAM_OK);
	assert_int_equal(stream_failure(r->b), STREAM_OK);
	/* Done: nothing more to wait for. */
	assert_int_equal(stream_wants(r->a, r->a_tun), 0);
	assert_int_equal(stream_wants(r->b, r->b_in), 0);
	if (pipes)
		assert_true(r->a_fds_closed_out);
	free(u);
	free(d);
	rig_free(r);
}

static const enum tunnel_suite suites[] = {
	TUNNEL_AES256GCM, TUNNEL_CHACHA20POLY1305, TUNNEL_AES256GMAC
};
static const size_t sizes[] = {
	0, 1, 16383, 16384, 16385, 128 * 1024 + 1, 1024 * 1024
};

static void
test_round_trip(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			round_trip(suites[i], sizes[j], sizes[j], 0);
			/* Lopsided: one way only. */
			round_trip(suites[i], sizes[j], 1, 0);
		}
}

static void
test_round_trip_pipes(void **state)
{

	(void)state;
	round_trip(TUNNEL_AES256GCM, 1024 * 1024, 1024 * 1024, 1);
	round_trip(TUNNEL_AES256GMAC, 16385, 0, 1);
}

/* Many small writes: frames of a few bytes, opened many to a read. */
static void
test_small_frames(void **state)
{
	struct rig *r = rig_new(TUNNEL_CHACHA20POLY1305, 0);
	uint8_t *u = pattern(20000, 3);
	size_t i, k;

	(void)state;
	peer_expect(&r->backend, 20000);
	peer_expect(&r->app, 0);
	for (i = 0, k = 0; i < 20000; i += 7, k++) {
		peer_send(&r->app, u + i, i + 7 > 20000 ? 20000 - i : 7, 0);
		peer_step(&r->app);
		assert_int_equal(r->app.out_off, r->app.out_len);
		/* One frame onto the tunnel at once. */
		stream_io(r->a, r->a_in, STREAM_IN);
		assert_int_equal(stream_wants(r->a, r->a_tun), STREAM_IN);
		if (k % 100 != 99)
			continue;
		/* A hundred frames to B in one piece, delivered in one. */
		relay_step(&r->ab);
		relay_step(&r->ab);
		assert_int_equal(r->ab.off, r->ab.len);
		stream_io(r->b, r->b_tun, STREAM_IN);
		assert_int_equal(stream_wants(r->b, r->b_tun), STREAM_IN);
		peer_step(&r->backend);
		expect_bytes(&r->backend, u, i + 7);
	}
	peer_send(&r->app, NULL, 0, 1);
	peer_send(&r->backend, NULL, 0, 1);
	assert_int_equal(rig_run(r, both_done, 30), 0);
	expect_bytes(&r->backend, u, 20000);
	free(u);
	rig_free(r);
}

/* One direction ends, the other goes on, then ends too. */
static void
half_close(int app_first)
{
	struct rig *r = rig_new(TUNNEL_AES256GCM, 0);
	struct peer *first = app_first ? &r->app : &r->backend;
	struct peer *second = app_first ? &r->backend : &r->app;
	int (*first_seen)(const struct rig *) = app_first ? backend_eof :
	    app_eof;
	uint8_t *x = pattern(100000, 11), *y = pattern(1024 * 1024, 12);

	peer_expect(second, 100000);
	peer_expect(first, 1024 * 1024);
	peer_send(first, x, 100000, 1);
	assert_int_equal(rig_run(r, first_seen, 30), 0);
	expect_bytes(second, x, 100000);
	assert_int_equal(stream_io(r->a, -1, 0), STREAM_RUNNING);
	assert_int_equal(stream_io(r->b, -1, 0), STREAM_RUNNING);
	/* The ended side's reader wants nothing more from its plain side. */
	if (app_first)
		assert_int_equal(stream_wants(r->a, r->a_in) & STREAM_IN, 0);
	else
		assert_int_equal(stream_wants(r->b, r->b_in) & STREAM_IN, 0);
	/* The other direction still flows, into a half-closed socket. */
	peer_send(second, y, 1024 * 1024, 0);
	assert_int_equal(rig_run(r, NULL, 30), 0);
	expect_bytes(first, y, 1024 * 1024);
	assert_false(first->eof);
	assert_int_equal(stream_io(r->a, -1, 0), STREAM_RUNNING);
	assert_int_equal(stream_io(r->b, -1, 0), STREAM_RUNNING);
	second->shut_when_sent = 1;
	assert_int_equal(rig_run(r, both_done, 30), 0);
	expect_bytes(first, y, 1024 * 1024);
	free(x);
	free(y);
	rig_free(r);
}

static void
test_half_close(void **state)
{

	(void)state;
	half_close(1);
	half_close(0);
}

/* The tunnel ends before END: at a frame boundary, or inside a frame. */
static void
truncated(long long cut)
{
	struct rig *r = rig_new(TUNNEL_AES256GMAC, 0);
	uint8_t *u = pattern(50000, 5);

	peer_expect(&r->backend, 50000);
	peer_expect(&r->app, 0);
	r->ab.cut_at = cut;
	peer_send(&r->app, u, 50000, 1);
	assert_int_equal(rig_run(r, b_stopped, 30), 0);
	assert_int_equal(stream_io(r->b, -1, 0), STREAM_FAILED);
	assert_int_equal(stream_failure(r->b), STREAM_TRUNCATED);
	assert_string_equal(stream_error(r->b),
	    "the tunnel ended without an END frame");
	/* Only whole, authentic frames were delivered. */
	assert_true(r->backend.in_len <= 50000);
	if (r->backend.in_len > 0)
		assert_memory_equal(r->backend.in, u, r->backend.in_len);
	assert_int_equal(stream_wants(r->b, r->b_tun), 0);
	assert_int_equal(stream_wants(r->b, r->b_in), 0);
	free(u);
	rig_free(r);
}

static void
test_truncated(void **state)
{

	(void)state;
	truncated(0);
	truncated(TUNNEL_OVERHEAD + TUNNEL_FRAME_MAX);	/* after frame 0 */
	truncated(TUNNEL_OVERHEAD + TUNNEL_FRAME_MAX + 100);
	truncated(2);					/* half a header */
	/* All the data, not the END. */
	truncated(4 * TUNNEL_OVERHEAD + 50000);
}

/* A bit flipped on the way: in a header, a payload, a tag, the END. */
static void
flipped(enum tunnel_suite suite, long long at)
{
	struct rig *r = rig_new(suite, 0);
	uint8_t *u = pattern(40000, 9);
	long long frame;

	peer_expect(&r->backend, 40000);
	peer_expect(&r->app, 0);
	r->ab.flip_at = at;
	peer_send(&r->app, u, 40000, 1);
	assert_int_equal(rig_run(r, b_stopped, 30), 0);
	assert_int_equal(stream_failure(r->b), STREAM_FORGED);
	/* Nothing from the tampered frame on reaches the backend. */
	frame = at / (TUNNEL_OVERHEAD + TUNNEL_FRAME_MAX);
	if (at >= 3 * TUNNEL_OVERHEAD + 40000)
		frame = 3;				/* END */
	assert_true(r->backend.in_len <= (size_t)frame * TUNNEL_FRAME_MAX);
	assert_true(r->backend.in_len <= 40000);
	if (r->backend.in_len > 0)
		assert_memory_equal(r->backend.in, u, r->backend.in_len);
	free(u);
	rig_free(r);
}

static void
test_flipped(void **state)
{
	/* Frames: 16384, 16384, 7232, END (3 * 20 + 40000 bytes before). */
	static const long long at[] = {
		0, 3, 4, 100, TUNNEL_HDR_LEN + 16384 + 15,
		TUNNEL_OVERHEAD + 16384 + 2,
		2 * (TUNNEL_OVERHEAD + 16384) + 4 + 7000,
		3 * TUNNEL_OVERHEAD + 40000 + 1,
		3 * TUNNEL_OVERHEAD + 40000 + 19,
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		for (j = 0; j < sizeof(at) / sizeof(at[0]); j++)
			flipped(suites[i], at[j]);
}

/*
 * A's frames for "hello" and its END, as they left A: data_len bytes of
 * DATA frame, then the END frame.
 */
static size_t
sealed_with_end(struct rig *r, uint8_t *buf, size_t cap)
{
	ssize_t n;
	size_t len = 0;

	assert_int_equal(write(r->app.wfd, "hello", 5), 5);
	assert_int_equal(shutdown(r->app.wfd, SHUT_WR), 0);
	assert_int_equal(stream_io(r->a, r->a_in, STREAM_IN), STREAM_RUNNING);
	assert_int_equal(stream_io(r->a, r->a_in, STREAM_IN), STREAM_RUNNING);
	assert_int_equal(stream_wants(r->a, r->a_in), 0);
	while ((n = read(r->ra, buf + len, cap - len)) > 0)
		len += (size_t)n;
	assert_int_equal(n, 0);		/* A shut the tunnel after END */
	assert_int_equal(len, 2 * TUNNEL_OVERHEAD + 5);
	return (len);
}

/* Anything after END fails, in the read with END or in a later one. */
static void
test_after_end(void **state)
{
	uint8_t buf[4096], got[16];
	struct rig *r;
	size_t len;

	(void)state;
	/* In the same read: nothing is delivered. */
	r = rig_new(TUNNEL_AES256GCM, 0);
	len = sealed_with_end(r, buf, sizeof(buf));
	buf[len++] = 0;
	assert_int_equal(send(r->rb, buf, len, 0), (ssize_t)len);
	assert_int_equal(stream_io(r->b, r->b_tun, STREAM_IN), STREAM_FAILED);
	assert_int_equal(stream_failure(r->b), STREAM_FORGED);
	assert_string_equal(stream_error(r->b), "bytes after the END frame");
	rig_free(r);

	/* Later: END was delivered, and then a stray byte came. */
	r = rig_new(TUNNEL_AES256GCM, 0);
	len = sealed_with_end(r, buf, sizeof(buf));
	assert_int_equal(send(r->rb, buf, len, 0), (ssize_t)len);
	assert_int_equal(stream_io(r->b, r->b_tun, STREAM_IN), STREAM_RUNNING);
	assert_int_equal(read(r->backend.rfd, got, sizeof(got)), 5);
	assert_int_equal(read(r->backend.rfd, got, sizeof(got)), 0);
	/* Still reading the tunnel, for its end or for this. */
	assert_int_equal(stream_wants(r->b, r->b_tun), STREAM_IN);
	assert_int_equal(send(r->rb, "", 1, 0), 1);
	assert_int_equal(stream_io(r->b, r->b_tun, STREAM_IN), STREAM_FAILED);
	assert_int_equal(stream_failure(r->b), STREAM_FORGED);
	assert_string_equal(stream_error(r->b), "bytes after the END frame");
	rig_free(r);

	/* Versus: END and then the tunnel's end, done right. */
	r = rig_new(TUNNEL_AES256GCM, 0);
	len = sealed_with_end(r, buf, sizeof(buf));
	assert_int_equal(send(r->rb, buf, len, 0), (ssize_t)len);
	assert_int_equal(shutdown(r->rb, SHUT_WR), 0);
	assert_int_equal(stream_io(r->b, r->b_tun, STREAM_IN), STREAM_RUNNING);
	assert_int_equal(stream_io(r->b, r->b_tun, STREAM_IN), STREAM_RUNNING);
	assert_int_equal(stream_wants(r->b, r->b_tun), 0);
	assert_int_equal(stream_failure(r->b), STREAM_OK);
	rig_free(r);
}

/* Headers are judged on their own, before any payload arrives. */
static void
test_bad_header(void **state)
{
	static const uint8_t bad[][TUNNEL_HDR_LEN] = {
		{ 2, 0, 0, 1 },		/* unknown type */
		{ 0, 1, 0, 1 },		/* reserved byte */
		{ 0, 0, 0, 0 },		/* empty DATA */
		{ 0, 0, 0x40, 0x01 },	/* 16385 */
		{ 0, 0, 0xff, 0xff },
		{ 1, 0, 0, 1 },		/* END with a payload */
	};
	struct rig *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = rig_new(TUNNEL_AES256GCM, 0);
		assert_int_equal(send(r->rb, bad[i], TUNNEL_HDR_LEN, 0),
		    TUNNEL_HDR_LEN);
		assert_int_equal(stream_io(r->b, r->b_tun, STREAM_IN),
		    STREAM_FAILED);
		assert_int_equal(stream_failure(r->b), STREAM_FORGED);
		rig_free(r);
	}
}

/* A's own frames sent back to it: the other direction's keys. */
static void
test_reflected(void **state)
{
	uint8_t buf[4096];
	struct rig *r;
	ssize_t n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		r = rig_new(suites[i], 0);
		assert_int_equal(write(r->app.wfd, "hello", 5), 5);
		assert_int_equal(stream_io(r->a, r->a_in, STREAM_IN),
		    STREAM_RUNNING);
		n = read(r->ra, buf, sizeof(buf));
		assert_int_equal(n, TUNNEL_OVERHEAD + 5);
		assert_int_equal(send(r->ra, buf, (size_t)n, 0), n);
		assert_int_equal(stream_io(r->a, r->a_tun, STREAM_IN),
		    STREAM_FAILED);
		assert_int_equal(stream_failure(r->a), STREAM_FORGED);
		assert_string_equal(stream_error(r->a),
		    "a frame failed authentication");
		/* Nothing reached the application. */
		assert_int_equal(recv(r->app.rfd, buf, sizeof(buf),
		    MSG_DONTWAIT), -1);
		rig_free(r);
	}
}

/* A frame replayed right after itself. */
static void
test_replayed(void **state)
{
	struct rig *r = rig_new(TUNNEL_AES256GCM, 0);
	uint8_t buf[4096], got[16];
	ssize_t n;

	(void)state;
	assert_int_equal(write(r->app.wfd, "hello", 5), 5);
	stream_io(r->a, r->a_in, STREAM_IN);
	n = read(r->ra, buf, sizeof(buf));
	assert_int_equal(n, TUNNEL_OVERHEAD + 5);
	assert_int_equal(send(r->rb, buf, (size_t)n, 0), n);
	assert_int_equal(stream_io(r->b, r->b_tun, STREAM_IN), STREAM_RUNNING);
	assert_int_equal(read(r->backend.rfd, got, sizeof(got)), 5);
	assert_memory_equal(got, "hello", 5);
	assert_int_equal(send(r->rb, buf, (size_t)n, 0), n);
	assert_int_equal(stream_io(r->b, r->b_tun, STREAM_IN), STREAM_FAILED);
	assert_int_equal(stream_failure(r->b), STREAM_FORGED);
	assert_int_equal(recv(r->backend.rfd, got, sizeof(got), MSG_DONTWAIT),
	    -1);
	rig_free(r);
}

static int
fionread(int fd)
{
	int n = 0;

	assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
	return (n);
}

/*
 * The backend never reads: once the buffers on the way are full, each
 * stream stops reading its input and nothing grows.
 */
static void
test_backpressure(void **state)
{
	size_t total = 64 * 1024 * 1024;
	uint8_t *u = pattern(total, 21);
	struct rig *r = rig_new(TUNNEL_AES256GCM, 0);
	uint64_t a_sent, b_received, s, rcv;
	size_t offered;
	int i;

	(void)state;
	r->backend.no_read = 1;
	peer_expect(&r->backend, total);
	peer_expect(&r->app, 0);
	peer_send(&r->app, u, total, 0);
	assert_int_equal(rig_run(r, NULL, 30), 0);
	offered = r->app.out_off;
	assert_true(offered < total);
	/* B holds a batch it cannot deliver and reads no more frames. */
	assert_int_equal(stream_wants(r->b, r->b_tun), 0);
	assert_int_equal(stream_wants(r->b, r->b_in),
	    STREAM_IN | STREAM_OUT);	/* the backend may still send */
	assert_true(fionread(r->b_tun) > 0);
	/* A holds a batch the tunnel cannot take and reads no more. */
	assert_int_equal(stream_wants(r->a, r->a_in), 0);
	assert_int_equal(stream_wants(r->a, r->a_tun),
	    STREAM_IN | STREAM_OUT);
	assert_true(fionread(r->a_in) > 0);
	stream_bytes(r->a, &a_sent, NULL);
	stream_bytes(r->b, NULL, &b_received);
	/* Told "readable" anyway, neither reads. */
	for (i = 0; i < 10; i++) {
		assert_int_equal(stream_io(r->b, r->b_tun, STREAM_IN),
		    STREAM_RUNNING);
		assert_int_equal(stream_io(r->a, r->a_in, STREAM_IN),
		    STREAM_RUNNING);
		assert_int_equal(stream_io(r->b, r->b_in, STREAM_OUT),
		    STREAM_RUNNING);
		assert_int_equal(stream_io(r->a, r->a_tun, STREAM_OUT),
		    STREAM_RUNNING);
	}
	assert_int_equal(rig_run(r, NULL, 30), 0);
	stream_bytes(r->a, &s, NULL);
	stream_bytes(r->b, NULL, &rcv);
	assert_true(s == a_sent && rcv == b_received);
	assert_int_equal(r->app.out_off, offered);
	/* What a stream holds is bounded by its buffers. */
	assert_true(a_sent - b_received < 8 * 1024 * 1024);
	/* Reading resumes the flow; every byte arrives intact. */
	r->backend.no_read = 0;
	r->app.out_len = offered + 1000000;
	r->app.shut_when_sent = 1;
	peer_send(&r->backend, NULL, 0, 1);
	assert_int_equal(rig_run(r, both_done, 60), 0);
	expect_bytes(&r->backend, u, offered + 1000000);
	free(u);
	rig_free(r);
}

/* A TCP connection on loopback: c connected to a, accepted. */
static void
tcp_pair(int *c, int *a)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int l;

	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*c >= 0);
	assert_int_equal(connect(*c, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	*a = accept(l, NULL, NULL);
	assert_true(*a >= 0);
	close(l);
}

/* A reset is what the other end sees: not end of file, ECONNRESET. */
static void
test_reset(void **state)
{
	struct pollfd p;
	uint8_t buf[64];
	struct stream *s;
	int c, a, sv[2];

	(void)state;
	tcp_pair(&c, &a);
	assert_int_equal(write(c, "x", 1), 1);
	stream_reset_fd(a);
	assert_int_equal(read(c, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ECONNRESET);
	close(c);
	stream_reset_fd(-1);

	/* A stream whose tunnel is reset fails with STREAM_IO. */
	tcp_pair(&c, &a);
	set_nonblock(c);
	pair(sv);
	s = make_stream(TUNNEL_AES256GCM, 1, sv[1], sv[1], c, 0);
	stream_reset_fd(a);
	p.fd = c;
	p.events = to_poll(stream_wants(s, c));
	assert_int_equal(p.events, POLLIN);
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(stream_io(s, c, from_poll(p.revents)), STREAM_FAILED);
	assert_int_equal(stream_failure(s), STREAM_IO);
	assert_non_null(strstr(stream_error(s), strerror(ECONNRESET)));
	stream_free(s);
	close(c);
	close(sv[0]);
	close(sv[1]);
}

/* Writing to a tunnel that was reset: STREAM_IO, and no SIGPIPE. */
static void
test_write_reset(void **state)
{
	struct stream *s;
	uint8_t *u = pattern(256 * 1024, 2);
	int c, a, sv[2], i;
	enum stream_state st = STREAM_RUNNING;
	ssize_t n;

	(void)state;
	/* Die of SIGPIPE, as knockd would, if the stream raised it. */
	signal(SIGPIPE, SIG_DFL);
	tcp_pair(&c, &a);
	set_nonblock(c);
	pair(sv);
	s = make_stream(TUNNEL_AES256GMAC, 1, sv[1], sv[1], c, 0);
	stream_reset_fd(a);
	for (i = 0; i < 100 && st == STREAM_RUNNING; i++) {
		n = write(sv[0], u, 256 * 1024);
		assert_true(n > 0 || errno == EAGAIN);
		st = stream_io(s, sv[1], STREAM_IN);
		if (st == STREAM_RUNNING)
			st = stream_io(s, c, STREAM_OUT);
	}
	assert_int_equal(st, STREAM_FAILED);
	assert_int_equal(stream_failure(s), STREAM_IO);
	signal(SIGPIPE, SIG_IGN);
	stream_free(s);
	close(c);
	close(sv[0]);
	close(sv[1]);
	free(u);
}

/* The reader of a stdout-like pipe went away: the stream cannot deliver. */
static void
test_stdout_gone(void **state)
{
	struct rig *r = rig_new(TUNNEL_AES256GCM, 1);

	(void)state;
	assert_int_equal(stream_wants(r->a, r->a_out), 0);
	close_once(&r->app.rfd);
	assert_int_equal(stream_io(r->a, r->a_out, STREAM_ERR), STREAM_FAILED);
	assert_int_equal(stream_failure(r->a), STREAM_IO);
	assert_non_null(strstr(stream_error(r->a), strerror(EPIPE)));
	rig_free(r);
}

/* stream_free(NULL) is a no-op. */
static void
test_free_null(void **state)
{

	(void)state;
	stream_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_pipes),
		cmocka_unit_test(test_small_frames),
		cmocka_unit_test(test_half_close),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_flipped),
		cmocka_unit_test(test_after_end),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_reflected),
		cmocka_unit_test(test_replayed),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_write_reset),
		cmocka_unit_test(test_stdout_gone),
		cmocka_unit_test(test_free_null),
	};

	/* A failing test must not die of a write to a closed pipe. */
	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
