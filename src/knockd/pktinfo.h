/*
 * pktinfo.h: where a knock datagram arrived (IP_PKTINFO,
 * IPV6_PKTINFO), and answering from there.
 */
#ifndef KNOCKD_PKTINFO_H
#define KNOCKD_PKTINFO_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"

/*
 * Room for the control data of one reply, aligned as a cmsghdr (not a
 * member of that type: glibc ends it with a flexible array, and clang
 * then objects to this union anywhere but at the end of a struct).
 */
union pktinfo_cmsg {
	_Alignas(struct cmsghdr) char buf[CMSG_SPACE(sizeof(struct
	    in6_pktinfo))];
};

/*
 * pktinfo_local(rx, port, local): where the datagram rx arrived: its
 * destination address (IP_PKTINFO or IPV6_PKTINFO, which listen.c asks
 * for on every knock socket, and which gives an IPv4 datagram on a
 * dual-stack socket as ::ffff:a.b.c.d) and port, the socket's. family
 * stays 0 if the kernel said nothing, and handler.c then treats the
 * datagram as sent elsewhere.
 */
void pktinfo_local(struct msghdr *rx, uint16_t port, struct addr *local);

/*
 * pktinfo_reply_from(rx, tx, c): make the reply tx go out from the
 * address the request rx was sent to, with its control data in c (which
 * must live until tx is sent); none if rx said nothing.
 */
void pktinfo_reply_from(struct msghdr *rx, struct msghdr *tx,
    union pktinfo_cmsg *c);

#endif
