/*
 * forward.h: knockd's side of forward mode (doc/protocol.md, "Forward
 * mode"): one TCP listener per [forward NAME], and every connection
 * accepted on it taken through the handshake, connected to the backend
 * only once the client has proved a user's key, and then relayed by a
 * stream (stream.h).
 *
 * All of it runs in knockd's one epoll loop: non-blocking sockets, no
 * process or thread per connection, one timerfd for every handshake
 * deadline (armed only while a handshake is under way, so an idle knockd
 * still sleeps until something arrives). Connections are allocated when
 * accepted, at most max-handshakes in the handshake and max-connections
 * streams per forward; a stream's buffers only once it is one; nothing
 * is allocated per frame.
 */
#ifndef KNOCKD_FORWARD_H
#define KNOCKD_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "users.h"

struct forwards;

/*
 * forwards_new(cfg, users, config_path, host_sock, listeners): bind a
 * listener for each of cfg's forwards (knockd binds them itself, also
 * when systemd passed the UDP sockets), or, if listeners is not NULL,
 * take listeners[i], already listening, for forward i (the network
 * process, given them by the firewall process); and take ownership of
 * cfg->forwards (set to NULL). users is the table HELLOs are checked
 * against (see forwards_reload). host_sock, if not -1, is a socket
 * systemd made in the host's network namespace: if knockd runs in
 * another one (PrivateNetwork=) no client could reach a forward, and
 * that is an error that says how to allow forward mode. With no
 * forwards, an object that serves nothing. Returns NULL after logging.
 */
struct forwards *forwards_new(struct config_server *cfg,
    const struct users *users, const char *config_path, int host_sock,
    const int *listeners);

/*
 * forwards_listeners(fw, fds): the listening socket of each forward, in
 * config order, into fds (forwards_count(fw) of them; -1 for one that
 * stopped listening). fw keeps them.
 */
void forwards_listeners(const struct forwards *fw, int *fds);

/*
 * forwards_attach(fw, epfd): add the listeners (and the timer) to the
 * epoll set epfd, with data.ptr pointing at a LOOP_FORWARD tag (loop.h).
 * Returns 0, or -1 after logging.
 */
int forwards_attach(struct forwards *fw, int epfd);

/*
 * forwards_event(fw, tag, events): an epoll event (EPOLLIN, ...) on one of
 * fw's fds, whose data.ptr was tag. Never fails: whatever goes wrong ends
 * that one connection.
 */
void forwards_event(struct forwards *fw, void *tag, uint32_t events);

/*
 * forwards_reap(fw): free the connections closed since the last call.
 * The loop calls it after each batch of events, since a later event of
 * the same batch may still name a connection closed by an earlier one.
 */
void forwards_reap(struct forwards *fw);

/*
 * forwards_reload(fw, cfg, users): take the new users table and, for each
 * forward of cfg that runs already (same name), its new settings, which
 * apply to connections accepted from now on. Every connection whose user
 * is gone, has another key, or is no longer in its forward's users is
 * reset; the others go on with their keys. A forward removed from cfg, or
 * moved to another listen address, stops listening (a restart serves the
 * new address); its connections go on on the same terms. A forward new in
 * cfg needs a restart. Takes cfg->forwards. Never fails.
 */
void forwards_reload(struct forwards *fw, struct config_server *cfg,
    const struct users *users);

/*
 * forwards_count(fw): how many forwards are served (listening: a reload
 * stops those removed or moved).
 */
size_t forwards_count(const struct forwards *fw);

/*
 * forwards_summary(fw, now): at most once a minute (now: monotonic
 * seconds), log each forward whose handshakes were dropped since the last
 * summary, with its counters for that time.
 */
void forwards_summary(struct forwards *fw, uint64_t now);

/*
 * forwards_log_stats(fw): log each forward's totals since start (SIGUSR1).
 */
void forwards_log_stats(const struct forwards *fw);

/*
 * forwards_free(fw): close the listeners and reset every live connection
 * (both ends, so neither takes the cut for a clean end), then free.
 * NULL is a no-op.
 */
void forwards_free(struct forwards *fw);

#endif
