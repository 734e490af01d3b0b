/*
 * test_status.c: knockd --status sorts by time left and prints an
 * aligned table and JSON with every member, null where unknown (an
 * administrator's own comment names no user, and is escaped), and "[]"
 * or a sentence for nothing open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cmocka.h>

#include "addr.h"
#include "fw_list.h"
#include "status.h"

static void
elem(struct fw_elem *e, const char *ip, uint8_t proto, uint16_t port,
    int timeout_s, uint64_t left_ms, const char *comment)
{

	memset(e, 0, sizeof(*e));
	assert_int_equal(addr_parse_ip(ip, &e->addr), 0);
	e->ipproto = proto;
	e->port = port;
	if (timeout_s >= 0) {
		e->has_timeout = 1;
		e->timeout_ms = (uint64_t)timeout_s * 1000;
		e->expires_ms = left_ms;
	}
	if (comment != NULL) {
		e->has_comment = 1;
		snprintf(e->comment, sizeof(e->comment), "%s", comment);
	}
}

/* What f(v, n) prints, in a buffer for the caller to free(). */
static char *
printed(int json, const struct fw_elem *v, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(json ? status_print_json(f, v, n) :
	    status_print_table(f, v, n, "inet knock"), 0);
	fclose(f);
	return (buf);
}

static void
sample(struct fw_elem v[4])
{

	elem(&v[0], "2001:db8::2", IPPROTO_UDP, 53, 3600, 3599000,
	    "bob key 0123456789abcdef");
	elem(&v[1], "192.0.2.10", IPPROTO_TCP, 22, 30, 12500,
	    "alice key fedcba9876543210");
	elem(&v[2], "192.0.2.9", IPPROTO_TCP, 22, -1, 0, NULL);
	elem(&v[3], "192.0.2.2", IPPROTO_TCP, 8080, 90, 12500,
	    "say \"hi\"\n");
}

static void
test_sort(void **state)
{
	struct fw_elem v[4];

	(void)state;
	sample(v);
	status_sort(v, 4);
	/* Soonest first; a tie by address; never-expiring last. */
	assert_int_equal(v[0].port, 8080);
	assert_int_equal(v[1].port, 22);
	assert_int_equal(v[1].addr.ip[3], 10);
	assert_int_equal(v[2].port, 53);
	assert_false(v[3].has_timeout);
}

static void
test_table(void **state)
{
	struct fw_elem v[4];
	char *t;

	(void)state;
	t = printed(0, NULL, 0);
	assert_string_equal(t, "nothing is open: the sets of inet knock are "
	    "empty\n");
	free(t);

	sample(v);
	status_sort(v, 4);
	t = printed(0, v, 4);
	assert_string_equal(t,
	    "ADDRESS      PROTO/PORT  USER   KEY ID            TIMEOUT  LEFT\n"
	    "192.0.2.2    tcp/8080    -      -                 1m30s    12s\n"
	    "192.0.2.10   tcp/22      alice  fedcba9876543210  30s      12s\n"
	    "2001:db8::2  udp/53      bob    0123456789abcdef  1h00m    59m59s\n"
	    "192.0.2.9    tcp/22      -      -                 never    never\n");
	free(t);
}

static void
test_json(void **state)
{
	struct fw_elem v[4];
	char *t;

	(void)state;
	t = printed(1, NULL, 0);
	assert_string_equal(t, "[]\n");
	free(t);

	sample(v);
	status_sort(v, 4);
	t = printed(1, v, 4);
	assert_string_equal(t, "[\n"
	    "  {\"address\": \"192.0.2.2\", \"family\": \"ipv4\", "
	    "\"kind\": \"port\", \"protocol\": \"tcp\", \"port\": 8080, "
	    "\"destination\": null, \"destination_port\": null, "
	    "\"chain\": null, \"user\": null, "
	    "\"key_id\": null, \"timeout_s\": 90, \"expires_in_s\": 12, "
	    "\"comment\": \"say \\\"hi\\\"\\u000a\"},\n"
	    "  {\"address\": \"192.0.2.10\", \"family\": \"ipv4\", "
	    "\"kind\": \"port\", \"protocol\": \"tcp\", \"port\": 22, "
	    "\"destination\": null, \"destination_port\": null, "
	    "\"chain\": null, \"user\": \"alice\", "
	    "\"key_id\": \"fedcba9876543210\", \"timeout_s\": 30, "
	    "\"expires_in_s\": 12, "
	    "\"comment\": \"alice key fedcba9876543210\"},\n"
	    "  {\"address\": \"2001:db8::2\", \"family\": \"ipv6\", "
	    "\"kind\": \"port\", \"protocol\": \"udp\", \"port\": 53, "
	    "\"destination\": null, \"destination_port\": null, "
	    "\"chain\": null, \"user\": \"bob\", "
	    "\"key_id\": \"0123456789abcdef\", \"timeout_s\": 3600, "
	    "\"expires_in_s\": 3599, "
	    "\"comment\": \"bob key 0123456789abcdef\"},\n"
	    "  {\"address\": \"192.0.2.9\", \"family\": \"ipv4\", "
	    "\"kind\": \"port\", \"protocol\": \"tcp\", \"port\": 22, "
	    "\"destination\": null, \"destination_port\": null, "
	    "\"chain\": null, \"user\": null, "
	    "\"key_id\": null, \"timeout_s\": null, \"expires_in_s\": null, "
	    "\"comment\": null}\n"
	    "]\n");
	free(t);
}

/* A gateway's elements: inside host, NAT and chain, in both families. */
static void
gateway_sample(struct fw_elem v[5])
{

	elem(&v[0], "192.0.2.7", IPPROTO_TCP, 22, 60, 50000,
	    "alice key fedcba9876543210");
	v[0].kind = FW_HOST;
	assert_int_equal(addr_parse_ip("198.51.100.5", &v[0].dest), 0);
	elem(&v[1], "2001:db8::7", IPPROTO_UDP, 53, 60, 40000, "bob");
	v[1].kind = FW_HOST;
	assert_int_equal(addr_parse_ip("2001:db8:1::5", &v[1].dest), 0);
	elem(&v[2], "192.0.2.7", IPPROTO_TCP, 2222, 60, 30000, "alice");
	v[2].kind = FW_NAT;
	assert_int_equal(addr_parse_ip("198.51.100.5", &v[2].dest), 0);
	v[2].dest_port = 22;
	elem(&v[3], "2001:db8::7", IPPROTO_TCP, 2222, 60, 20000, NULL);
	v[3].kind = FW_NAT;
	assert_int_equal(addr_parse_ip("2001:db8:1::5", &v[3].dest), 0);
	v[3].dest_port = 22;
	elem(&v[4], "192.0.2.8", 0, 0, 600, 10000,
	    "carol key 0123456789abcdef");
	v[4].kind = FW_CHAIN;
	v[4].verdict = NFT_JUMP;
	snprintf(v[4].chain, sizeof(v[4].chain), "admin");
}

static void
test_gateway_kinds(void **state)
{
	struct fw_elem v[5];
	char *t;

	(void)state;
	gateway_sample(v);
	status_sort(v, 5);
	t = printed(0, v, 5);
	assert_string_equal(t,
	    "ADDRESS      PROTO/PORT                   USER   KEY ID        "
	    "    TIMEOUT  LEFT\n"
	    "192.0.2.8    chain/admin                  carol  0123456789abc"
	    "def  10m00s   10s\n"
	    "2001:db8::7  tcp/2222>[2001:db8:1::5]:22  -      -            "
	    "     1m00s    20s\n"
	    "192.0.2.7    tcp/2222>198.51.100.5:22     alice  -            "
	    "     1m00s    30s\n"
	    "2001:db8::7  udp/53@[2001:db8:1::5]       bob    -            "
	    "     1m00s    40s\n"
	    "192.0.2.7    tcp/22@198.51.100.5          alice  fedcba9876543"
	    "210  1m00s    50s\n");
	free(t);

	t = printed(1, v, 2);
	assert_string_equal(t, "[\n"
	    "  {\"address\": \"192.0.2.8\", \"family\": \"ipv4\", "
	    "\"kind\": \"chain\", \"protocol\": null, \"port\": null, "
	    "\"destination\": null, \"destination_port\": null, "
	    "\"chain\": \"admin\", \"user\": \"carol\", "
	    "\"key_id\": \"0123456789abcdef\", \"timeout_s\": 600, "
	    "\"expires_in_s\": 10, "
	    "\"comment\": \"carol key 0123456789abcdef\"},\n"
	    "  {\"address\": \"2001:db8::7\", \"family\": \"ipv6\", "
	    "\"kind\": \"nat\", \"protocol\": \"tcp\", \"port\": 2222, "
	    "\"destination\": \"2001:db8:1::5\", \"destination_port\": 22, "
	    "\"chain\": null, \"user\": null, "
	    "\"key_id\": null, \"timeout_s\": 60, \"expires_in_s\": 20, "
	    "\"comment\": null}\n"
	    "]\n");
	free(t);

	/* An administrator's own verdicts are shown as what they are. */
	v[0].verdict = NF_DROP;
	t = printed(0, v, 1);
	assert_non_null(strstr(t, "192.0.2.8  drop  "));
	free(t);
	t = printed(1, v, 1);
	assert_non_null(strstr(t, "\"kind\": \"chain\", \"protocol\": null, "
	    "\"port\": null, \"destination\": null, \"destination_port\": "
	    "null, \"chain\": null,"));
	free(t);
	gateway_sample(v);
	t = printed(1, v + 1, 1);
	assert_non_null(strstr(t, "\"kind\": \"host\", \"protocol\": "
	    "\"udp\", \"port\": 53, \"destination\": \"2001:db8:1::5\", "
	    "\"destination_port\": null, \"chain\": null,"));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_gateway_kinds),
	};

	return (cmocka_run_group_tests_name("status", tests, NULL, NULL));
}
