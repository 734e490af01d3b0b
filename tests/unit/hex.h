/*
 * hex.h: hex strings to bytes, for known-answer vectors in unit tests.
 */
#ifndef TEST_HEX_H
#define TEST_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline size_t
hex_decode(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (s[0] != '\0' && s[1] != '\0' && n < max) {
		unsigned v;
		char b[3] = { s[0], s[1], '\0' };

		v = (unsigned)strtoul(b, NULL, 16);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return (n);
}

#endif
