/*
 * fuzz_tunnel.c: libFuzzer harness for what knockd and knock do with a
 * forward peer's bytes (src/common/tunnel.c).
 *
 * The first input byte picks the target, the rest is the peer's bytes:
 *
 *   0  a HELLO, as knockd reads it: tunnel_hello_parse, then
 *      tunnel_hello_verify under a real user's keys;
 *   1  an ACCEPT, as knock reads it: tunnel_client_accept against the
 *      HELLO it sent (a failure must leave the secrets wiped);
 *   2  a FINISH, as knockd reads it after a real handshake;
 *   3  a stream of frames, as either end reads it: tunnel_header, then
 *      tunnel_open under the suite the second byte picks, until one fails;
 *   4  a round trip: the input, cut into frames, sealed and opened again
 *      under that suite, must come back unchanged (else abort).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kx.h"
#include "tunnel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tunnel_user user;
static uint8_t hello[TUNNEL_HELLO_LEN], accept_msg[TUNNEL_ACCEPT_LEN];
static struct tunnel_secrets secrets;
static uint8_t e_c[TUNNEL_EPH_LEN];	/* the HELLO's, kept for target 1 */

static void
fuzz_init(void)
{
	struct tunnel_hello h;
	struct tunnel_accept a;
	struct tunnel_eph e;
	uint8_t key[KEYS_KEY_LEN];

	memset(key, 0x11, sizeof(key));
	memset(&h, 0, sizeof(h));
	strcpy(h.user, "alice");
	memset(e_c, 0xa0, sizeof(e_c));
	memset(&a, 0, sizeof(a));
	a.suite = TUNNEL_AES256GCM;
	strcpy(a.name, "git");
	memset(e.priv, 0xc0, sizeof(e.priv));
	if (kx_public(e_c, h.eph) || kx_public(e.priv, e.pub) ||
	    tunnel_user_derive(key, &user) ||
	    tunnel_hello_encode(&h, &user, hello) ||
	    tunnel_server_accept(hello, &a, &e, &user, accept_msg, &secrets))
		abort();
}

static int
fuzz_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return (0);
	return (1);
}

static void
fuzz_frames(enum tunnel_suite suite, const uint8_t *data, size_t size)
{
	static uint8_t buf[TUNNEL_FRAME_MAX];
	struct tunnel_dir *d;
	size_t len;
	int type;

	if ((d = tunnel_dir_new(suite, secrets.key_c2s,
	    secrets.iv_c2s)) == NULL)
		abort();
	while (size >= TUNNEL_HDR_LEN) {
		if (tunnel_header(data, &type, &len))
			break;
		if (size < TUNNEL_HDR_LEN + len + TUNNEL_TAG_LEN)
			break;
		memcpy(buf, data + TUNNEL_HDR_LEN, len);
		if (tunnel_open(d, data, buf, len,
		    data + TUNNEL_HDR_LEN + len))
			break;
		data += TUNNEL_OVERHEAD + len;
		size -= TUNNEL_OVERHEAD + len;
		if (type == TUNNEL_END)
			break;
	}
	tunnel_dir_free(d);
}

static void
fuzz_roundtrip(enum tunnel_suite suite, const uint8_t *data, size_t size)
{
	static uint8_t buf[TUNNEL_FRAME_MAX];
	uint8_t hdr[TUNNEL_HDR_LEN], tag[TUNNEL_TAG_LEN];
	struct tunnel_dir *tx, *rx;
	size_t n, len;
	int type;

	tx = tunnel_dir_new(suite, secrets.key_s2c, secrets.iv_s2c);
	rx = tunnel_dir_new(suite, secrets.key_s2c, secrets.iv_s2c);
	if (tx == NULL || rx == NULL)
		abort();
	for (;;) {
		/* Frame sizes from the data itself, so all of them occur. */
		n = size == 0 ? 0 : 1 + (size_t)data[0] * 67 % size;
		if (n > TUNNEL_FRAME_MAX)
			n = TUNNEL_FRAME_MAX;
		type = n == 0 ? TUNNEL_END : TUNNEL_DATA;
		memcpy(buf, data, n);
		if (tunnel_seal(tx, type, buf, n, hdr, tag) ||
		    tunnel_header(hdr, &type, &len) || len != n ||
		    tunnel_open(rx, hdr, buf, n, tag) ||
		    memcmp(buf, data, n) != 0)
			abort();
		if (n == 0)
			break;
		data += n;
		size -= n;
	}
	tunnel_dir_free(tx);
	tunnel_dir_free(rx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tunnel_hello h;
	struct tunnel_accept a;
	struct tunnel_secrets s;
	enum tunnel_suite suite;
	uint8_t eph[TUNNEL_EPH_LEN];

	if (hello[0] == 0)
		fuzz_init();
	if (size < 1)
		return (0);
	switch (data[0]) {
	case 0:
		if (size >= 1 + TUNNEL_HELLO_LEN &&
		    tunnel_hello_parse(data + 1, &h) == 0)
			(void)tunnel_hello_verify(data + 1, &user);
		break;
	case 1:
		if (size < 1 + TUNNEL_ACCEPT_LEN)
			break;
		memset(&s, 0xff, sizeof(s));
		/* A copy: the call wipes the ephemeral it is given. */
		memcpy(eph, e_c, sizeof(eph));
		if (tunnel_client_accept(hello, data + 1, eph, &user, &a,
		    &s) != 0) {
			if (!fuzz_zero(&s, sizeof(s)) ||
			    !fuzz_zero(eph, sizeof(eph)))
				abort();
		} else if (memcmp(data + 1, accept_msg, TUNNEL_ACCEPT_LEN)
		    != 0) {
			/* Only the server's own ACCEPT may verify. */
			abort();
		}
		break;
	case 2:
		if (size >= 1 + TUNNEL_FINISH_LEN &&
		    tunnel_finish_verify(&secrets, data + 1) == 0 &&
		    memcmp(data + 1, secrets.c_conf, TUNNEL_FINISH_LEN) != 0)
			abort();
		break;
	case 3:
	case 4:
		if (size < 2)
			break;
		suite = (enum tunnel_suite)(1 + data[1] % 3);
		if (data[0] == 3)
			fuzz_frames(suite, data + 2, size - 2);
		else
			fuzz_roundtrip(suite, data + 2, size - 2);
		break;
	default:
		break;
	}
	return (0);
}
