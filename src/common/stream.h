/*
 * stream.h: the data path of one forwarded connection once the handshake
 * is over, the same at both ends: bytes read from the plain side are
 * sealed into frames and written to the tunnel; frames read from the
 * tunnel are opened and their data written to the plain side.
 *
 * knockd: plain = the backend connection, tunnel = the client's.
 * knock:  plain = the local application (or stdin/stdout), tunnel = knockd.
 *
 * All fds are non-blocking and belong to the caller's event loop (knockd's
 * epoll, knock's poll; level-triggered): the caller reports readiness with stream_io() and
 * asks stream_wants() which events each fd should wait for next. Memory
 * is fixed when the stream is made: one read buffer per direction, so a
 * slow reader on one side stops reads on the other (backpressure) instead
 * of growing anything.
 */
#ifndef KNOCK_STREAM_H
#define KNOCK_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tunnel.h"

#define STREAM_READ	(128 * 1024)	/* plaintext read per read() */

/* Events, as stream_io() takes them and stream_wants() gives them. */
#define STREAM_IN	0x1
#define STREAM_OUT	0x2
#define STREAM_ERR	0x4		/* EPOLLERR or EPOLLHUP (POLLERR,
					 * POLLHUP, POLLNVAL) */

/*
 * send() flags for a socket that must not raise SIGPIPE: MSG_NOSIGNAL
 * (POSIX 2008), which macOS lacks; knock ignores SIGPIPE there instead
 * (it does everywhere, for stdout), and knockd runs on Linux only.
 */
#ifdef MSG_NOSIGNAL
#define STREAM_NOSIGNAL	MSG_NOSIGNAL
#else
#define STREAM_NOSIGNAL	0
#endif

enum stream_state {
	STREAM_RUNNING = 0,
	STREAM_DONE = 1,	/* both directions ended with END, flushed */
	STREAM_FAILED = -1	/* stream_error() says why */
};

/* Why a stream failed, for the caller's counters and log line. */
enum stream_failure {
	STREAM_OK = 0,
	STREAM_FORGED,		/* a frame failed authentication, or a bad
				 * header, or bytes after END */
	STREAM_TRUNCATED,	/* the tunnel ended without an END frame */
	STREAM_IO		/* a read or write failed (reset, ...) */
};

/* Flags for stream_new(). */
#define STREAM_PLAIN_OUT_CLOSE 0x1	/* plain_out is not a socket (stdout):
					 * end it with close(), not shutdown() */

struct stream;

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
struct stream *stream_new(int plain_in, int plain_out, int tun,
    struct tunnel_dir *seal, struct tunnel_dir *open, unsigned flags);

/*
 * stream_free(s): free buffers and wipe the direction keys. Does not close
 * the fds. NULL is a no-op.
 */
void stream_free(struct stream *s);

/*
 * stream_io(s, fd, events): fd (one of the stream's) is ready for events:
 * do the reads and writes that allows, without blocking. Returns the
 * stream's state after that.
 */
enum stream_state stream_io(struct stream *s, int fd, unsigned events);

/*
 * stream_wants(s, fd): the events (STREAM_IN, STREAM_OUT, both or none)
 * fd should wait for now. A direction whose output is full waits for
 * STREAM_OUT on its output and not for STREAM_IN on its input.
 */
unsigned stream_wants(const struct stream *s, int fd);

/*
 * stream_failure(s): why the stream failed (STREAM_OK if it did not), and
 * stream_error(s) the same as a phrase for a log line ("a frame failed
 * authentication", "the tunnel ended without an END frame", "read from
 * the tunnel: Connection reset by peer", ...).
 */
enum stream_failure stream_failure(const struct stream *s);
const char *stream_error(const struct stream *s);

/*
 * stream_bytes(s, sent, received): plaintext bytes sealed so far, and
 * opened so far (for the log line at the end of a connection).
 */
void stream_bytes(const struct stream *s, uint64_t *sent, uint64_t *received);

/*
 * stream_reset_fd(fd): close a TCP socket with a reset rather than a clean
 * FIN (SO_LINGER 0), so that the program at the other end sees that the
 * stream was cut, not finished. What a failed stream does to its sockets.
 */
void stream_reset_fd(int fd);

#endif
