/*
 * fuzz_config.c: libFuzzer harness for the knockd and knock config
 * parsers: each input is written to a private file (mode 0600, so inline
 * keys are accepted) and parsed by the same functions the programs call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static FILE *devnull;
	struct config_server s;
	struct config_client c;
	FILE *f;

	if (path[0] == '\0') {
		int fd;

		snprintf(path, sizeof(path), "/tmp/knock-fuzz-XXXXXX");
		if ((fd = mkstemp(path)) == -1)
			abort();
		close(fd);
		/* Errors are expected: keep them out of libFuzzer's output. */
		if ((devnull = fopen("/dev/null", "w")) == NULL)
			abort();
		log_set_output(devnull);
	}
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);

	memset(&s, 0, sizeof(s));
	if (config_server_load(path, &s) == 0)
		config_server_free(&s);
	memset(&c, 0, sizeof(c));
	(void)config_client_load(path, &c, 1);
	config_client_free(&c);
	return (0);
}
