/*
 * pktinfo.c: where a knock datagram arrived, and answering from there.
 * knockd binds its knock sockets to any address: the kernel says in
 * IP_PKTINFO / IPV6_PKTINFO where each datagram was sent, which the
 * destination check needs, and the reply must leave from that address,
 * or a client behind a strict firewall would drop it.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "pktinfo.h"

/*
 * pktinfo_local(rx, port, local): where the datagram rx arrived: its
 * destination address (IP_PKTINFO or IPV6_PKTINFO, which listen.c asks
 * for on every knock socket, and which gives an IPv4 datagram on a
 * dual-stack socket as ::ffff:a.b.c.d) and port, the socket's. family
 * stays 0 if the kernel said nothing, and handler.c then treats the
 * datagram as sent elsewhere.
 */
void
pktinfo_local(struct msghdr *rx, uint16_t port, struct addr *local)
{
	struct cmsghdr *c;

	memset(local, 0, sizeof(*local));
	for (c = CMSG_FIRSTHDR(rx); c != NULL; c = CMSG_NXTHDR(rx, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->family = AF_INET;
			memcpy(local->ip, &pi.ipi_addr, 4);
			break;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			addr_from_mapped(pi.ipi6_addr.s6_addr, port, local);
			break;
		}
	}
	if (local->family != 0)
		local->port = port;
}

/*
 * pktinfo_reply_from(rx, tx, c): make the reply tx go out from the
 * address the request rx was sent to, with its control data in c (which
 * must live until tx is sent); none if rx said nothing.
 */
void
pktinfo_reply_from(struct msghdr *rx, struct msghdr *tx,
    union pktinfo_cmsg *c)
{
	struct cmsghdr *in;
	struct cmsghdr *out;

	tx->msg_control = NULL;
	tx->msg_controllen = 0;
	for (in = CMSG_FIRSTHDR(rx); in != NULL; in = CMSG_NXTHDR(rx, in)) {
		if (in->cmsg_level == IPPROTO_IP &&
		    in->cmsg_type == IP_PKTINFO &&
		    in->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(in), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			tx->msg_control = c->buf;
			tx->msg_controllen = CMSG_SPACE(sizeof(pi));
			out = CMSG_FIRSTHDR(tx);
			out->cmsg_level = IPPROTO_IP;
			out->cmsg_type = IP_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(out), &pi, sizeof(pi));
			return;
		}
		if (in->cmsg_level == IPPROTO_IPV6 &&
		    in->cmsg_type == IPV6_PKTINFO &&
		    in->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			tx->msg_control = c->buf;
			tx->msg_controllen = CMSG_SPACE(sizeof(struct
			    in6_pktinfo));
			out = CMSG_FIRSTHDR(tx);
			out->cmsg_level = IPPROTO_IPV6;
			out->cmsg_type = IPV6_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(out), CMSG_DATA(in),
			    sizeof(struct in6_pktinfo));
			return;
		}
	}
}

