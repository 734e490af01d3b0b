/*
 * fuzz_stream.c: libFuzzer harness for stream.c, the data path of forward
 * mode, as the tunnel's receiving end.
 *
 * The input is a run of honest frames, sealed here with the direction's
 * real key from chunks the fuzzer chooses, then raw bytes after them
 * (a forged, cut, replayed or garbled frame), all written into the
 * tunnel socket of a real stream over socketpairs, whose plain side is
 * read back. What must hold whatever comes in: the plain side gets a
 * prefix of the honest data and nothing else, the stream ends in a state
 * it can name, and nothing crashes or loops (every loop is bounded).
 *
 *   byte 0  suite (1..3); byte 1 bit 0: end the tunnel's write half
 *   byte 2  how many honest frames (0..7); then per frame one length
 *           byte (1..256 bytes of the input as its data); the rest raw
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream.h"
#include "tunnel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX	(64 * 1024)

static const uint8_t key_c2s[32] = { 1 }, key_s2c[32] = { 2 };
static const uint8_t iv_c2s[12] = { 3 }, iv_s2c[12] = { 4 };

static void
fuzz_pair(int sv[2])
{

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) == -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t wire[FUZZ_MAX], honest[FUZZ_MAX], got[FUZZ_MAX];
	uint8_t hdr[TUNNEL_HDR_LEN], tag[TUNNEL_TAG_LEN], chunk[256];
	size_t nwire = 0, nhonest = 0, ngot = 0, off, len, sent = 0;
	enum tunnel_suite suite;
	struct tunnel_dir *peer, *seal, *open;
	struct stream *s;
	enum stream_state st = STREAM_RUNNING;
	int tun[2], plain[2], i, nframes;
	ssize_t n;

	if (size < 3 || size > FUZZ_MAX / 2)
		return (0);
	suite = (enum tunnel_suite)(1 + data[0] % 3);
	nframes = data[2] & 7;
	off = 3;
	/* The honest frames, sealed as the client would. */
	if ((peer = tunnel_dir_new(suite, key_c2s, iv_c2s)) == NULL)
		abort();
	for (i = 0; i < nframes && off < size; i++) {
		len = 1 + data[off++];
		if (len > size - off)
			len = size - off;
		if (len == 0)
			break;
		memcpy(chunk, data + off, len);
		memcpy(honest + nhonest, chunk, len);
		nhonest += len;
		off += len;
		if (tunnel_seal(peer, TUNNEL_DATA, chunk, len, hdr, tag))
			abort();
		memcpy(wire + nwire, hdr, sizeof(hdr));
		memcpy(wire + nwire + sizeof(hdr), chunk, len);
		memcpy(wire + nwire + sizeof(hdr) + len, tag, sizeof(tag));
		nwire += sizeof(hdr) + len + sizeof(tag);
	}
	tunnel_dir_free(peer);
	/* Then whatever the fuzzer put after them. */
	memcpy(wire + nwire, data + off, size - off);
	nwire += size - off;

	fuzz_pair(tun);
	fuzz_pair(plain);
	seal = tunnel_dir_new(suite, key_s2c, iv_s2c);
	open = tunnel_dir_new(suite, key_c2s, iv_c2s);
	if (seal == NULL || open == NULL ||
	    (s = stream_new(plain[0], plain[0], tun[0], seal, open, 0)) ==
	    NULL)
		abort();
	/* Bounded: each round either moves bytes or ends the run. */
	for (i = 0; i < 256 && st == STREAM_RUNNING; i++) {
		if (sent < nwire) {
			n = write(tun[1], wire + sent, nwire - sent);
			if (n > 0)
				sent += (size_t)n;
		} else if ((data[1] & 1) && sent == nwire) {
			(void)shutdown(tun[1], SHUT_WR);
			sent++;		/* once */
		}
		st = stream_io(s, tun[0], STREAM_IN);
		if (st == STREAM_RUNNING)
			st = stream_io(s, plain[0], STREAM_OUT);
		while ((n = read(plain[1], got + ngot, sizeof(got) - ngot)) >
		    0)
			ngot += (size_t)n;
		if (n == 0)
			break;
		if (sent >= nwire && !(data[1] & 1) && i > 8)
			break;
	}
	/* Only authentic data, in order, ever reaches the plain side. */
	if (ngot > nhonest || memcmp(got, honest, ngot) != 0)
		abort();
	if (st == STREAM_FAILED && stream_failure(s) == STREAM_OK)
		abort();
	stream_free(s);
	close(tun[0]);
	close(tun[1]);
	close(plain[0]);
	close(plain[1]);
	return (0);
}
