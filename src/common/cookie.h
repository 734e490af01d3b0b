/*
 * cookie.h: the stateless challenge.
 *
 * A cookie is a MAC, under a server secret, of everything a KNOCK asked
 * for and of where it came from. The server sends it in the CHALLENGE and
 * keeps nothing; a RESPONSE that carries a valid cookie proves that the
 * sender received the CHALLENGE at the address it claims (so it cannot be
 * spoofed) and that it did so recently (so an old one cannot be replayed).
 *
 * Time is cut into epochs of COOKIE_EPOCH_SECONDS. Each epoch has its own
 * random secret, made when first needed and wiped once the epoch can no
 * longer be answered; a cookie is accepted in its own epoch and the next,
 * so it lives between one and two epochs (15 to 30 s). Nothing runs on a
 * timer: the secrets move on when a packet shows the clock has.
 */
#ifndef KNOCK_COOKIE_H
#define KNOCK_COOKIE_H

#include <stdint.h>

#include "addr.h"
#include "proto.h"

#define COOKIE_EPOCH_SECONDS	15

struct cookie_jar;

/*
 * cookie_jar_new(): a jar with no secrets yet. The wire epoch numbers are
 * offset by a random amount so they do not reveal the host's uptime.
 * Returns NULL on failure.
 */
struct cookie_jar *cookie_jar_new(void);

/*
 * cookie_jar_free(jar): wipe the secrets and free. NULL is a no-op.
 */
void cookie_jar_free(struct cookie_jar *jar);

/*
 * cookie_epoch(jar, now): the wire epoch number for monotonic time now
 * (seconds).
 */
uint32_t cookie_epoch(const struct cookie_jar *jar, uint64_t now);

/*
 * cookie_make(jar, now, req, peer, epoch, cookie): compute the cookie for
 * request req (a KNOCK: user, action, ipproto, port, nonce) received from
 * peer, in the current epoch. Sets *epoch and cookie. Returns 0 or -1.
 */
int cookie_make(struct cookie_jar *jar, uint64_t now,
    const struct proto_msg *req, const struct addr *peer, uint32_t *epoch,
    uint8_t cookie[static PROTO_COOKIE_LEN]);

/*
 * cookie_check(jar, now, resp, peer): 0 if resp->cookie is the cookie
 * this server made for resp's fields and peer in resp->epoch, and that
 * epoch is the current or the previous one; -1 otherwise (forged, for
 * another address or port, for another request, or stale).
 */
int cookie_check(struct cookie_jar *jar, uint64_t now,
    const struct proto_msg *resp, const struct addr *peer);

#endif
