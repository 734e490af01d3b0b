/*
 * fw.c: knockd's only conversation with nftables, over netlink.
 *
 * Changes go to the kernel as one nfnetlink batch, which nf_tables runs as
 * a transaction: it commits whole or not at all. The messages are built by
 * hand in a buffer allocated once by fw_open(), so fw_apply() allocates
 * nothing; libnftnl's objects (which do allocate) are used only by
 * fw_check(), at start-up.
 */
#include <sys/socket.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "addr.h"
#include "fw_udata.h"
#include "log.h"
#include "fw.h"
#include "fw_impl.h"

/*
 * nftables' datatype ids (its include/datatype.h). The kernel only stores
 * the key type for user space; nft packs a concatenation into it 6 bits per
 * component, first component highest.
 */
#define FW_TYPE_BITS		6
#define FW_TYPE_IPV4_ADDR	7
#define FW_TYPE_IPV6_ADDR	8
#define FW_TYPE_INET_PROTO	12
#define FW_TYPE_INET_SERVICE	13
#define FW_CONCAT3(a, b, c)	\
	((((uint32_t)(a) << FW_TYPE_BITS | (b)) << FW_TYPE_BITS) | (c))
#define FW_KEYTYPE4	FW_CONCAT3(FW_TYPE_IPV4_ADDR, FW_TYPE_INET_PROTO, \
			    FW_TYPE_INET_SERVICE)
#define FW_KEYTYPE6	FW_CONCAT3(FW_TYPE_IPV6_ADDR, FW_TYPE_INET_PROTO, \
			    FW_TYPE_INET_SERVICE)

/* Names for the datatypes a misconfigured set is most likely to have. */
static const char *const fw_type_names[] = {
	[4] = "integer", [5] = "string", [6] = "ll_addr",
	[FW_TYPE_IPV4_ADDR] = "ipv4_addr", [FW_TYPE_IPV6_ADDR] = "ipv6_addr",
	[9] = "ether_addr", [10] = "ether_type",
	[FW_TYPE_INET_PROTO] = "inet_proto",
	[FW_TYPE_INET_SERVICE] = "inet_service", [19] = "mark",
	[20] = "iface_index", [41] = "ifname"
};

static int
fw_name_ok(const char *what, const char *name)
{

	if (name == NULL || name[0] == '\0') {
		log_err("nftables: the %s name is empty", what);
		return (-1);
	}
	if (strlen(name) >= NFT_NAME_MAXLEN) {
		log_err("nftables: the %s name '%.40s...' is longer than "
		    "nftables allows (%d bytes)", what, name,
		    NFT_NAME_MAXLEN - 1);
		return (-1);
	}
	return (0);
}

/*
 * fw_open(family, table, set4, set6, fd): see fw.h.
 */
struct fw *
fw_open(const char *family, const char *table, const char *set4,
    const char *set6, int fd)
{
	struct fw *fw;
	uint16_t nfproto;
	const char *fname;
	int on = 1, rcvbuf = FW_RCVBUF;

	if (family != NULL && strcmp(family, "inet") == 0) {
		nfproto = NFPROTO_INET;
		fname = "inet";
	} else if (family != NULL && strcmp(family, "ip") == 0) {
		nfproto = NFPROTO_IPV4;
		fname = "ip";
	} else if (family != NULL && strcmp(family, "ip6") == 0) {
		nfproto = NFPROTO_IPV6;
		fname = "ip6";
	} else {
		log_err("nftables: unknown family '%s': use inet, ip or ip6",
		    family != NULL ? family : "");
		goto err0;
	}
	if (fw_name_ok("table", table))
		goto err0;
	if (nfproto != NFPROTO_IPV6 && fw_name_ok("IPv4 set", set4))
		goto err0;
	if (nfproto != NFPROTO_IPV4 && fw_name_ok("IPv6 set", set6))
		goto err0;

	if ((fw = calloc(1, sizeof(*fw))) == NULL) {
		log_err("nftables: out of memory");
		goto err0;
	}
	fw->family = nfproto;
	fw->familyname = fname;
	strcpy(fw->table, table);
	if (nfproto != NFPROTO_IPV6)
		strcpy(fw->set4, set4);
	if (nfproto != NFPROTO_IPV4)
		strcpy(fw->set6, set6);

	if (fd != -1) {
		/*
		 * A socket systemd opened (and bound) in the host's network
		 * namespace: it still reaches the host's nftables when this
		 * process runs with PrivateNetwork=. Blocking, as ours would
		 * be: fw_request() waits for its answers.
		 */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) ==
		    -1 || (fw->nl = mnl_socket_fdopen(fd)) == NULL) {
			log_err("nftables: cannot use the netlink socket "
			    "passed by systemd: %s", strerror(errno));
			goto err1;
		}
	} else if ((fw->nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL) {
		log_err("nftables: cannot open a netlink socket: %s",
		    strerror(errno));
		goto err1;
	} else if (mnl_socket_bind(fw->nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		log_err("nftables: cannot bind the netlink socket: %s",
		    strerror(errno));
		goto err2;
	}
	/*
	 * Extended ACKs carry the kernel's own words about an error; capped
	 * ACKs do not echo our message back. Both are optional niceties, so
	 * a kernel without them is not an error.
	 */
	(void)mnl_socket_setsockopt(fw->nl, NETLINK_EXT_ACK, &on, sizeof(on));
	(void)mnl_socket_setsockopt(fw->nl, NETLINK_CAP_ACK, &on, sizeof(on));
	/* FORCE passes net.core.rmem_max, which we may (CAP_NET_ADMIN). */
	if (setsockopt(mnl_socket_get_fd(fw->nl), SOL_SOCKET, SO_RCVBUFFORCE,
	    &rcvbuf, sizeof(rcvbuf)) == -1)
		(void)setsockopt(mnl_socket_get_fd(fw->nl), SOL_SOCKET,
		    SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	fw->portid = mnl_socket_get_portid(fw->nl);
	/* Like nft: a fresh start makes a stale answer easy to tell apart. */
	fw->seq = (uint32_t)time(NULL);
	return (fw);

err2:
	mnl_socket_close(fw->nl);
err1:
	free(fw);
err0:
	return (NULL);
}

/* Throw away anything queued, such as ACKs left by an interrupted batch. */
static void
fw_drain(struct fw *fw)
{

	while (recv(mnl_socket_get_fd(fw->nl), fw->rx, sizeof(fw->rx),
	    MSG_DONTWAIT) != -1 || errno == EINTR || errno == ENOBUFS)
		;
}

/*
 * Send the request nlh (with NLM_F_ACK, or a dump) and read the answer
 * into rx, passing data messages to cb. Returns 0, or -1 with errno set
 * (ENOENT: no such object; ENOSPC: an answer larger than rx).
 */
static int
fw_request(struct fw *fw, const struct nlmsghdr *nlh, mnl_cb_t cb, void *arg,
    uint8_t *rx, size_t rxlen)
{
	ssize_t n;
	int rc;

	fw_drain(fw);
	if (mnl_socket_sendto(fw->nl, nlh, nlh->nlmsg_len) == -1)
		return (-1);
	/*
	 * With NLM_F_ACK the kernel always ends with an ACK or an error, a
	 * dump with NLMSG_DONE or an error.
	 */
	for (;;) {
		if ((n = mnl_socket_recvfrom(fw->nl, rx, rxlen)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		rc = mnl_cb_run(rx, (size_t)n, nlh->nlmsg_seq, fw->portid,
		    cb, arg);
		if (rc == MNL_CB_ERROR)
			return (-1);
		if (rc == MNL_CB_STOP)
			return (0);
	}
}

static int
fw_check_table(struct fw *fw)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;

	if ((t = nftnl_table_alloc()) == NULL) {
		log_err("nftables: out of memory");
		goto err0;
	}
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, fw->table) == -1) {
		log_err("nftables: out of memory");
		goto err1;
	}
	nlh = nftnl_table_nlmsg_build_hdr((char *)fw->buf, NFT_MSG_GETTABLE,
	    fw->family, NLM_F_ACK, fw->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	if (fw_request(fw, nlh, NULL, NULL, fw->rx, sizeof(fw->rx)) == -1) {
		if (errno == ENOENT)
			log_err("nftables table %s %s does not exist: load "
			    "one (nftables.conf.example, in the sources or "
			    DOCDIR ", has table inet knock), "
			    "or set family and table in [nftables] to the "
			    "table you use", fw->familyname, fw->table);
		else
			log_err("nftables: cannot read table %s %s: %s%s",
			    fw->familyname, fw->table, strerror(errno),
			    errno == EPERM ? " (reading nftables needs root, or "
			    "CAP_NET_ADMIN)" : "");
		goto err1;
	}
	nftnl_table_free(t);
	return (0);

err1:
	nftnl_table_free(t);
err0:
	return (-1);
}

static int
fw_set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_set *s = arg;

	if (nftnl_set_nlmsg_parse(nlh, s) == -1)
		return (MNL_CB_ERROR);
	return (MNL_CB_OK);
}

/* "ipv4_addr . inet_service" for a key type, "#N" for unknown parts. */
static const char *
fw_type_format(uint32_t type, char *buf, size_t size)
{
	uint32_t part[32 / FW_TYPE_BITS + 1];
	size_t n = 0, off = 0;
	const char *name;

	do {
		part[n++] = type & ((1U << FW_TYPE_BITS) - 1);
		type >>= FW_TYPE_BITS;
	} while (type != 0);
	buf[0] = '\0';
	while (n-- > 0 && off < size) {
		name = part[n] < sizeof(fw_type_names) /
		    sizeof(fw_type_names[0]) ? fw_type_names[part[n]] : NULL;
		if (name != NULL)
			off += (size_t)snprintf(buf + off, size - off, "%s%s",
			    off > 0 ? " . " : "", name);
		else
			off += (size_t)snprintf(buf + off, size - off, "%s#%u",
			    off > 0 ? " . " : "", part[n]);
	}
	return (buf);
}

static int
fw_check_set(struct fw *fw, const char *name, uint32_t want_type,
    uint32_t want_len)
{
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	uint32_t flags, type, len;
	char want[64], got[64];
	int rc = 0;

	fw_type_format(want_type, want, sizeof(want));
	if ((s = nftnl_set_alloc()) == NULL) {
		log_err("nftables: out of memory");
		goto err0;
	}
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, fw->table) == -1 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) == -1) {
		log_err("nftables: out of memory");
		goto err1;
	}
	nlh = nftnl_set_nlmsg_build_hdr((char *)fw->buf, NFT_MSG_GETSET,
	    fw->family, NLM_F_ACK, fw->seq++);
	nftnl_set_nlmsg_build_payload(nlh, s);
	/* The answer's attributes land in the same object. */
	if (fw_request(fw, nlh, fw_set_cb, s, fw->rx, sizeof(fw->rx)) ==
	    -1) {
		if (errno == ENOENT)
			log_err("nftables set %s %s %s does not exist: add it "
			    "to the table as 'set %s { type %s; flags timeout; "
			    "}' (see nftables.conf.example)", fw->familyname,
			    fw->table, name, name, want);
		else
			log_err("nftables: cannot read set %s %s %s: %s",
			    fw->familyname, fw->table, name, strerror(errno));
		goto err1;
	}
	flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
	len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);

	/* Every problem gets its own line, so one run shows them all. */
	if (flags & (NFT_SET_MAP | NFT_SET_OBJECT)) {
		log_err("nftables set %s %s %s is a map: it must be a plain "
		    "set of type %s (see nftables.conf.example)",
		    fw->familyname, fw->table, name, want);
		rc = -1;
	}
	if (type != want_type) {
		log_err("nftables set %s %s %s has type %s: it must be "
		    "'type %s' (see nftables.conf.example)", fw->familyname,
		    fw->table, name, fw_type_format(type, got, sizeof(got)),
		    want);
		rc = -1;
	} else if (len != want_len) {
		log_err("nftables set %s %s %s has a %u-byte key where %s "
		    "takes %u: recreate it with 'type %s'", fw->familyname,
		    fw->table, name, len, want, want_len, want);
		rc = -1;
	}
	if (!(flags & NFT_SET_TIMEOUT)) {
		log_err("nftables set %s %s %s has no timeout flag: add "
		    "'flags timeout' to it (see nftables.conf.example)",
		    fw->familyname, fw->table, name);
		rc = -1;
	}
	if (flags & NFT_SET_CONSTANT) {
		log_err("nftables set %s %s %s is constant, so knockd cannot "
		    "add to it: remove 'flags constant'", fw->familyname,
		    fw->table, name);
		rc = -1;
	}
	nftnl_set_free(s);
	return (rc);

err1:
	nftnl_set_free(s);
err0:
	return (-1);
}

/*
 * fw_check(fw): ask the kernel for the table and sets and verify that each
 * exists, has the key type "ipv4_addr . inet_proto . inet_service" (set4)
 * or "ipv6_addr . inet_proto . inet_service" (set6), is not a map, and has
 * the timeout flag. Logs one clear line per problem, naming the object and
 * what to do. Returns 0 if all is well, -1 otherwise.
 */
int
fw_check(struct fw *fw)
{
	int rc = 0;

	/* Without the table every set would be missing too: say it once. */
	if (fw_check_table(fw))
		return (-1);
	if (fw->set4[0] != '\0' &&
	    fw_check_set(fw, fw->set4, FW_KEYTYPE4, FW_KEY4_LEN))
		rc = -1;
	if (fw->set6[0] != '\0' &&
	    fw_check_set(fw, fw->set6, FW_KEYTYPE6, FW_KEY6_LEN))
		rc = -1;
	return (rc);
}

/*
 * fw_query(fw, nlh, cb, arg): see fw.h.
 */
int
fw_query(struct fw *fw, struct nlmsghdr *nlh,
    int (*cb)(const struct nlmsghdr *, void *), void *arg)
{
	uint8_t *rx;
	int rc;

	/*
	 * A dump packs many objects into each datagram, as large as the
	 * buffer we read with (the kernel sizes them by it, up to 32 KiB):
	 * more than fw->rx holds, and only needed at start-up.
	 */
	if ((rx = malloc(FW_DUMP_RXBUF)) == NULL)
		return (-1);
	nlh->nlmsg_seq = fw->seq++;
	rc = fw_request(fw, nlh, cb, arg, rx, FW_DUMP_RXBUF);
	free(rx);
	return (rc);
}

/* The set a change goes to, or NULL if the family has none for it. */
static const char *
fw_change_set(const struct fw *fw, const struct fw_change *c)
{

	if (c->addr.family == AF_INET && fw->set4[0] != '\0')
		return (fw->set4);
	if (c->addr.family == AF_INET6 && fw->set6[0] != '\0')
		return (fw->set6);
	return (NULL);
}

/* "192.0.2.1 . tcp . 22", as nft list set shows it, for the log. */
static const char *
fw_change_format(const struct fw_change *c, char *buf, size_t size)
{
	char a[ADDR_STRLEN], p[8];

	if (c->ipproto == IPPROTO_TCP)
		strcpy(p, "tcp");
	else if (c->ipproto == IPPROTO_UDP)
		strcpy(p, "udp");
	else
		snprintf(p, sizeof(p), "%u", c->ipproto);
	snprintf(buf, size, "%s . %s . %u", addr_format(&c->addr, a, 0), p,
	    c->port);
	return (buf);
}

/*
 * One line per failed change, but a full set fails every open, and each
 * is a knock: at most FW_LOG_PER_SECOND lines a second, and a count of
 * those held back before the next. knockd's minute summary counts them.
 */
static void
fw_log_failure(struct fw *fw, const struct fw_change *c)
{
	char elem[ADDR_STRLEN + 16];
	const char *set = fw_change_set(fw, c);
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!log_limit_take(&fw->loglim, (uint64_t)ts.tv_sec,
	    FW_LOG_PER_SECOND))
		return;
	if (fw->loglim.suppressed > 0) {
		log_err("nftables: %llu more failed changes not logged (at "
		    "most %d lines a second)",
		    (unsigned long long)fw->loglim.suppressed,
		    FW_LOG_PER_SECOND);
		fw->loglim.suppressed = 0;
	}
	fw_change_format(c, elem, sizeof(elem));
	if (set == NULL)
		log_err("nftables: cannot %s %s: family %s has no IPv%c set",
		    c->op == FW_OPEN ? "add" : "delete", elem, fw->familyname,
		    c->addr.family == AF_INET ? '4' : '6');
	else if (c->op == FW_OPEN && c->timeout == 0)
		log_err("nftables: not adding %s to %s %s %s without a "
		    "timeout: it would stay open forever", elem,
		    fw->familyname, fw->table, set);
	else
		log_err("nftables: cannot %s %s %s %s %s %s: %s%s%s%s",
		    c->op == FW_OPEN ? "add" : "delete", elem,
		    c->op == FW_OPEN ? "to" : "from", fw->familyname,
		    fw->table, set, c->err == ENFILE ?
		    /* What nf_tables answers when a set hits its size. */
		    "the set is full (raise or remove its size)" :
		    c->err == ENOENT ?
		    "the table or set is gone (ruleset reloaded without it?)" :
		    strerror(c->err),
		    fw->extack[0] != '\0' ? " (kernel: " : "", fw->extack,
		    fw->extack[0] != '\0' ? ")" : "");
}

/* Build the element's key: address . protocol . port, in network order. */
static size_t
fw_key(const struct fw_change *c, uint8_t key[static FW_KEY6_LEN])
{
	size_t alen = addr_ip_len(&c->addr);

	memset(key, 0, FW_KEY6_LEN);
	memcpy(key, c->addr.ip, alen);
	key[alen] = c->ipproto;
	key[alen + FW_REG_LEN] = (uint8_t)(c->port >> 8);
	key[alen + FW_REG_LEN + 1] = (uint8_t)c->port;
	return (alen + 2 * FW_REG_LEN);
}

/*
 * Append a NEWSETELEM or DELSETELEM message for c, the batch's k-th
 * change, with the element userdata ud of udlen bytes (0: none).
 */
static void
fw_put_elem(struct fw *fw, uint16_t type, uint16_t flags,
    const struct fw_change *c, size_t k, uint64_t timeout_ms,
    const uint8_t *ud, size_t udlen)
{
	struct nlmsghdr *nlh;
	struct nlattr *list, *elem, *key;
	uint8_t kbuf[FW_KEY6_LEN];
	size_t klen = fw_key(c, kbuf);
	uint64_t be;

	nlh = nftnl_nlmsg_build_hdr((char *)fw->buf + fw->len, type,
	    fw->family, flags | NLM_F_ACK, fw->seq++);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, fw->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, fw_change_set(fw, c));
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, klen, kbuf);
	mnl_attr_nest_end(nlh, key);
	if (timeout_ms != 0) {
		be = htobe64(timeout_ms);
		mnl_attr_put(nlh, NFTA_SET_ELEM_TIMEOUT, sizeof(be), &be);
	}
	if (udlen != 0)
		mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, udlen, ud);
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, list);
	fw->len += nlh->nlmsg_len;
	fw->slot[fw->nmsg] = (uint8_t)k;
	fw->msgerr[fw->nmsg++] = -1;
}

/* Keep the first error's text from an extended ACK, if it has one. */
static void
fw_extack(struct fw *fw, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || fw->extack[0] != '\0')
		return;
	/* Uncapped, our whole message sits between the header and TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(fw->extack, sizeof(fw->extack), "%s",
			    mnl_attr_get_str(attr));
			return;
		}
	}
}

static int
fw_ack_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct fw *fw = arg;
	const struct nlmsgerr *e;
	uint32_t m;
	int err;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return (MNL_CB_ERROR);
	}
	e = mnl_nlmsg_get_payload(nlh);
	err = e->error < 0 ? -e->error : e->error;
	if (err != 0)
		fw_extack(fw, nlh);
	/* Unsigned, so begin (seq0 - 1) and stale answers fall outside. */
	m = e->msg.nlmsg_seq - fw->seq0;
	if (m < fw->nmsg) {
		if (fw->msgerr[m] == -1)
			fw->msgerr[m] = err;
	} else if (err != 0 && (e->msg.nlmsg_seq == fw->seq0 - 1 ||
	    m == fw->nmsg))
		fw->batch_err = err;
	return (MNL_CB_OK);
}

/*
 * Send the batch at fw->buf and collect an answer per message. The kernel
 * has run the whole batch, and queued every answer, before sendmsg returns;
 * so whatever is not queued once the socket runs dry never will be (a
 * malformed batch is refused with one error for its first message), and
 * reading without blocking cannot hang on it.
 */
static void
fw_send_batch(struct fw *fw)
{
	/* Not const only because mnl_cb_run2() does not take it so. */
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = fw_ack_cb
	};
	size_t nacked = 0, m;
	ssize_t n;

	if (mnl_socket_sendto(fw->nl, fw->buf, fw->len) == -1) {
		fw->batch_err = errno;
		return;
	}
	while (nacked < fw->nmsg) {
		n = recv(mnl_socket_get_fd(fw->nl), fw->rx, sizeof(fw->rx),
		    MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			/* ENOBUFS: answers were lost; the rest is unknown. */
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fw->batch_err = errno;
			break;
		}
		if (mnl_cb_run2(fw->rx, (size_t)n, 0, fw->portid, NULL, fw,
		    ctl, NLMSG_MIN_TYPE) == MNL_CB_ERROR) {
			fw->batch_err = errno;
			break;
		}
		for (nacked = 0, m = 0; m < fw->nmsg; m++)
			if (fw->msgerr[m] != -1)
				nacked++;
	}
}

/*
 * Apply the cnt changes in group as one transaction and set each one's
 * err. Returns 0 if it committed, -1 if not (nothing of it took effect,
 * unless the answers were lost). Only a lone change's failure is logged:
 * in a larger batch an error may be a consequence of another change's, so
 * the caller retries those one by one.
 */
static int
fw_batch(struct fw *fw, struct fw_change **group, size_t cnt)
{
	struct fw_change *c;
	uint8_t ud[FW_UDATA_MAX];
	size_t k, m, udlen;
	uint64_t ms;
	int err, failed = 0;

	fw_drain(fw);
	fw->len = 0;
	fw->nmsg = 0;
	fw->batch_err = 0;
	fw->extack[0] = '\0';
	fw->len += nftnl_batch_begin((char *)fw->buf, fw->seq++)->nlmsg_len;
	fw->seq0 = fw->seq;
	for (k = 0; k < cnt; k++) {
		c = group[k];
		c->err = 0;
		if (c->op == FW_CLOSE) {
			fw_put_elem(fw, NFT_MSG_DELSETELEM, 0, c, k, 0, NULL, 0);
			continue;
		}
		/*
		 * Kernels before 6.10 (Debian 12 has 6.1) keep an existing
		 * element's expiry when it is added again, so a repeated knock
		 * would not extend access. Delete and re-create it instead,
		 * in the same transaction so that no packet sees it missing;
		 * the first add (no NLM_F_EXCL: a no-op if it exists) is there
		 * so that the delete always finds something to delete.
		 */
		ms = (uint64_t)c->timeout * 1000;
		/* On the stack, a few dozen bytes: nothing allocated. */
		udlen = fw_udata_comment(ud, c->user,
		    c->have_key_id ? c->key_id : NULL);
		fw_put_elem(fw, NFT_MSG_NEWSETELEM, NLM_F_CREATE, c, k, ms,
		    ud, udlen);
		fw_put_elem(fw, NFT_MSG_DELSETELEM, 0, c, k, 0, NULL, 0);
		fw_put_elem(fw, NFT_MSG_NEWSETELEM, NLM_F_CREATE, c, k, ms,
		    ud, udlen);
	}
	fw->len += nftnl_batch_end((char *)fw->buf + fw->len,
	    fw->seq++)->nlmsg_len;

	fw_send_batch(fw);

	/* A change takes the first error among its messages. */
	for (m = 0; m < fw->nmsg; m++) {
		err = fw->msgerr[m];
		if (err == -1)
			err = fw->batch_err != 0 ? fw->batch_err : EPROTO;
		if (err == 0)
			continue;
		failed = 1;
		c = group[fw->slot[m]];
		if (c->err == 0)
			c->err = err;
	}
	if (!failed)
		return (0);
	if (cnt > 1)
		return (-1);
	c = group[0];
	/* Gone already (expired, most likely): that is what was asked. */
	if (c->op == FW_CLOSE && c->err == ENOENT) {
		c->err = 0;
		return (0);
	}
	fw_log_failure(fw, c);
	return (-1);
}

/*
 * fw_apply(fw, changes, n): apply n changes in one netlink batch and wait
 * for the kernel's acknowledgement of each. An FW_OPEN of an element that
 * already exists restarts its timeout. If the kernel refuses the batch,
 * each change is retried alone so that one bad change does not fail the
 * others. Sets changes[i].err, logs the kernel's error text (extended ACK
 * message if any, and strerror) once per failed change, and returns 0 if
 * every change succeeded, -1 otherwise.
 */
int
fw_apply(struct fw *fw, struct fw_change *changes, size_t n)
{
	struct fw_change *c;
	size_t i = 0, k, cnt;
	int rc = 0;

	while (i < n) {
		/* Refuse here what the kernel has no set for, or must not get. */
		for (cnt = 0; i < n && cnt < FW_BATCH_CHANGES; i++) {
			c = &changes[i];
			c->err = 0;
			if (fw_change_set(fw, c) == NULL)
				c->err = EAFNOSUPPORT;
			else if ((c->op != FW_OPEN && c->op != FW_CLOSE) ||
			    (c->op == FW_OPEN && c->timeout == 0))
				c->err = EINVAL;
			/* Only allow4/allow6 elements are built here yet: a
			 * gateway kind must fail, never open a port. */
			else if (c->kind != FW_PORT)
				c->err = EINVAL;
			if (c->err != 0) {
				fw->extack[0] = '\0';
				fw_log_failure(fw, c);
				continue;
			}
			fw->group[cnt++] = c;
		}
		if (cnt == 0 || fw_batch(fw, fw->group, cnt) == 0 || cnt == 1)
			continue;
		/* Nothing took effect: find who failed, and save the rest. */
		for (k = 0; k < cnt; k++)
			(void)fw_batch(fw, &fw->group[k], 1);
	}
	for (i = 0; i < n; i++)
		if (changes[i].err != 0)
			rc = -1;
	return (rc);
}

/*
 * fw_close(fw): close the socket and free fw. fw_close(NULL) is a no-op.
 */
void
fw_close(struct fw *fw)
{

	if (fw == NULL)
		return;
	mnl_socket_close(fw->nl);
	free(fw);
}
