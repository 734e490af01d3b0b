/*
 * fwdc_relay.c: a knock --forward connection's stream (fwdc_conn.h):
 * relaying through stream.h with the poll interest the stream asks for,
 * and ending a connection in any phase. stdin or stdout that is a
 * regular file or /dev/null needs nothing of its own: poll() reports it
 * always ready, as POSIX says.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exchange.h"
#include "log.h"
#include "relay.h"
#include "stream.h"
#include "tunnel.h"
#include "forward.h"
#include "fwdc_conn.h"

/*
 * fwdc_conn_end(c, result): tear c down now (its fds closed, so their
 * numbers may come back at once) and free it after the batch of events,
 * some of which may still point at its handles. result is how it ended:
 * FORWARD_OK closes the sockets, anything else resets them, so that the
 * peers see the connection cut.
 */
void
fwdc_conn_end(struct fwdc_conn *c, enum forward_result result)
{
	struct fwdc *f = c->f;
	uint64_t sent, received;
	size_t i;

	if (c->dead)
		return;
	c->dead = 1;
	if (c->s != NULL && result == FORWARD_OK && f->fc->verbose &&
	    !f->closing) {
		stream_bytes(c->s, &sent, &received);
		log_info("%sended: %" PRIu64 " bytes sent, %" PRIu64
		    " received", c->pfx, sent, received);
	}
	for (i = 0; i < c->nt; i++)
		fwdc_unwatch(f, &c->knock[i]);
	exchange_end(c->t, c->nt);
	fwdc_unwatch(f, &c->in);
	fwdc_unwatch(f, &c->out);
	fwdc_unwatch(f, &c->tun);
	stream_free(c->s);
	c->s = NULL;
	if (c->tun.fd >= 0) {
		if (result == FORWARD_OK)
			close(c->tun.fd);
		else
			stream_reset_fd(c->tun.fd);
	}
	if (c->stdio) {
		/* stdin and stdout stay open until exit; their flags not. */
		relay_std_restore(STDIN_FILENO, STDIN_FILENO);
		if (c->out.wfd != c->out.fd) {
			relay_std_restore(STDOUT_FILENO, c->out.wfd);
			close(c->out.wfd);
		} else
			relay_std_restore(STDOUT_FILENO, STDOUT_FILENO);
		f->result = result;
		f->stdio = NULL;
		f->stdio_done = 1;
	} else if (result == FORWARD_OK)
		close(c->in.fd);
	else
		stream_reset_fd(c->in.fd);
	fwdc_list_remove(c->phase == FWDC_STREAMING ? &f->streams : &f->setup,
	    c);
	c->next = f->dead;
	f->dead = c;
	f->nconns--;
	f->full = 0;
	fwdc_listen_resume(f);
}

static unsigned
fwdc_poll_events(unsigned want)
{

	return ((want & STREAM_IN ? POLLIN : 0) |
	    (want & STREAM_OUT ? POLLOUT : 0));
}

/* After stream_io(): wait for what the stream wants next, or end. */
static void
fwdc_stream_after(struct fwdc_conn *c, enum stream_state st)
{
	struct fwdc *f = c->f;
	unsigned want;

	if (st == STREAM_DONE) {
		fwdc_conn_end(c, FORWARD_OK);
		return;
	}
	if (st == STREAM_FAILED) {
		if (!fwdc_quiet(f))
			log_err("%stunnel to %s broke: %s", c->pfx, c->peer,
			    stream_error(c->s));
		fwdc_conn_end(c, FORWARD_BROKEN);
		return;
	}
	if (fwdc_watch(f, &c->in, fwdc_poll_events(stream_wants(c->s,
	    c->in.fd))) || fwdc_watch(f, &c->tun,
	    fwdc_poll_events(stream_wants(c->s, c->tun.fd)))) {
		fwdc_conn_end(c, FORWARD_LOCAL);
		return;
	}
	if (c->out.fd < 0 || c->out_closed)
		return;
	want = stream_wants(c->s, c->out.fd);
	/*
	 * After the server's END the stream closes stdout and no longer
	 * names it: restore the flags through the dup, then close that
	 * too, so that the reader sees the end of the stream now.
	 */
	if (want == 0 && c->out.wfd != c->out.fd &&
	    fcntl(c->out.fd, F_GETFD) == -1 && errno == EBADF) {
		c->out_closed = 1;
		fwdc_unwatch(f, &c->out);
		relay_std_restore(STDOUT_FILENO, c->out.wfd);
		close(c->out.wfd);
		c->out.wfd = c->out.fd;
		return;
	}
	if (fwdc_watch(f, &c->out, fwdc_poll_events(want)))
		fwdc_conn_end(c, FORWARD_LOCAL);
}

/*
 * fwdc_relay_begin(c, seal, open): the tunnel is up: hand everything to a
 * stream, which owns seal and open from now on, even on failure.
 */
void
fwdc_relay_begin(struct fwdc_conn *c, struct tunnel_dir *seal,
    struct tunnel_dir *open)
{
	struct fwdc *f = c->f;
	struct stat st;
	unsigned flags = 0;

	if (c->stdio) {
		relay_std_nonblock();
		/*
		 * A pipe or file on stdout ends with close(); the stream
		 * then closes fd 1, and poll() watches a dup of it instead,
		 * which keeps the file description's flags ours to restore
		 * and poll() from meeting a closed fd (POLLNVAL).
		 */
		if (fstat(STDOUT_FILENO, &st) == -1 || !S_ISSOCK(st.st_mode)) {
			flags = STREAM_PLAIN_OUT_CLOSE;
			c->out.wfd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
			if (c->out.wfd == -1) {
				log_err("cannot dup stdout: %s",
				    strerror(errno));
				tunnel_dir_free(seal);
				tunnel_dir_free(open);
				fwdc_conn_end(c, FORWARD_LOCAL);
				return;
			}
		}
	}
	c->s = stream_new(c->in.fd, c->out.fd >= 0 ? c->out.fd : c->in.fd,
	    c->tun.fd, seal, open, flags);
	if (c->s == NULL) {
		log_err("%sout of memory", c->pfx);
		fwdc_conn_end(c, FORWARD_LOCAL);
		return;
	}
	fwdc_list_remove(&f->setup, c);
	fwdc_list_add(&f->streams, c);
	c->phase = FWDC_STREAMING;
	fwdc_stream_after(c, STREAM_RUNNING);
}

/*
 * fwdc_relay_event(c, h, ev): poll() reported ev (its revents) on h, one
 * of streaming c's handles: move the bytes, then wait for what the stream
 * wants next, or end c.
 */
void
fwdc_relay_event(struct fwdc_conn *c, struct fwdc_handle *h, unsigned ev)
{
	unsigned io = 0;

	if (h == &c->out && c->out_closed)
		return;
	if (ev & POLLIN)
		io |= STREAM_IN;
	if (ev & POLLOUT)
		io |= STREAM_OUT;
	if (ev & (POLLERR | POLLHUP | POLLNVAL))
		io |= STREAM_ERR;
	fwdc_stream_after(c, stream_io(c->s, h->fd, io));
}
