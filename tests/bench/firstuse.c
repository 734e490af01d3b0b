/*
 * firstuse.c: what libcrypto's first use costs knock, step by step, in a
 * fresh process, through the very functions the client calls (mac.c,
 * kx.c).
 *
 *   firstuse [-n REPEATS] STEP...
 *
 * STEP is init (mac_init, as knock's main() calls it first), derive
 * (the two HKDF-SHA256 direction keys), mac (a BLAKE2s context and one
 * tag), nonce (16 bytes of mac_random) or x25519 (one kx_shared, as a
 * key-pair user's knock will make). Each step runs once, in the order
 * given, and its time is printed in microseconds; with -n, the steps
 * run REPEATS times, each time in a fresh child, and the median of each
 * is printed. Run it under valgrind --tool=callgrind for instruction counts,
 * which the load of other processes does not change. Benchmark tool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kx.h"
#include "mac.h"

#define FIRSTUSE_MAX_STEPS	8
#define FIRSTUSE_MAX_REPEATS	10000

static double
firstuse_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3);
}

/* One step; 0 or -1. */
static int
firstuse_step(const char *step)
{
	/* Fixed inputs: the cost, not the values, is measured. */
	static const uint8_t key[MAC_KEY_LEN] = { 1, 2, 3 };
	static const uint8_t priv[KX_KEY_LEN] = { 7, 7, 7 };
	/* RFC 7748's Bob public key. */
	static const uint8_t peer[KX_KEY_LEN] = {
		0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4,
		0xd3, 0x5b, 0x61, 0xc2, 0xec, 0xe4, 0x35, 0x37,
		0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d,
		0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f
	};
	uint8_t out[MAC_KEY_LEN], tag[MAC_TAG_LEN];
	struct mac *m;
	int rc = -1;

	if (strcmp(step, "init") == 0)
		rc = mac_init();
	else if (strcmp(step, "derive") == 0)
		rc = mac_derive(key, "c2s", out) || mac_derive(key, "s2c", out) ?
		    -1 : 0;
	else if (strcmp(step, "mac") == 0) {
		if ((m = mac_new(key)) != NULL) {
			rc = mac_compute(m, key, sizeof(key), tag);
			mac_free(m);
		}
	} else if (strcmp(step, "nonce") == 0)
		rc = mac_random(out, 16);
	else if (strcmp(step, "x25519") == 0)
		rc = kx_shared(priv, peer, out);
	else
		fprintf(stderr, "firstuse: unknown step '%s'\n", step);
	return (rc);
}

static int
firstuse_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

int
main(int argc, char *argv[])
{
	static double t[FIRSTUSE_MAX_STEPS][FIRSTUSE_MAX_REPEATS];
	double us[FIRSTUSE_MAX_STEPS], t0;
	long repeats = 0, r;
	int fds[2], i, nsteps, ch, status;
	pid_t pid;

	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n')
			goto usage;
		repeats = strtol(optarg, NULL, 10);
	}
	argv += optind;
	nsteps = argc - optind;
	if (nsteps < 1 || nsteps > FIRSTUSE_MAX_STEPS || repeats < 0 ||
	    repeats > FIRSTUSE_MAX_REPEATS)
		goto usage;
	for (r = 0; r < (repeats > 0 ? repeats : 1); r++) {
		if (repeats > 0) {
			if (pipe(fds) == -1 || (pid = fork()) == -1) {
				perror("firstuse");
				return (1);
			}
			if (pid != 0) {
				close(fds[1]);
				if (read(fds[0], us, sizeof(us)) !=
				    (ssize_t)sizeof(us) ||
				    waitpid(pid, &status, 0) != pid ||
				    status != 0)
					return (1);
				close(fds[0]);
				for (i = 0; i < nsteps; i++)
					t[i][r] = us[i];
				continue;
			}
			close(fds[0]);
		}
		for (i = 0; i < nsteps; i++) {
			t0 = firstuse_now_us();
			if (firstuse_step(argv[i])) {
				fprintf(stderr, "firstuse: %s failed\n",
				    argv[i]);
				_exit(1);
			}
			us[i] = firstuse_now_us() - t0;
		}
		if (repeats == 0) {
			for (i = 0; i < nsteps; i++)
				printf("%s %.1f us\n", argv[i], us[i]);
			return (0);
		}
		if (write(fds[1], us, sizeof(us)) != (ssize_t)sizeof(us))
			_exit(1);
		_exit(0);
	}
	for (i = 0; i < nsteps; i++) {
		qsort(t[i], (size_t)repeats, sizeof(t[i][0]), firstuse_cmp);
		printf("%s p50 %.1f us\n", argv[i], t[i][repeats / 2]);
	}
	return (0);

usage:
	fprintf(stderr, "usage: firstuse [-n REPEATS] "
	    "init|derive|mac|nonce|x25519...\n");
	return (2);
}
