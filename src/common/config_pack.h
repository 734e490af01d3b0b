/*
 * config_pack.h: a parsed knockd configuration as one flat buffer, so
 * that the process that may read files (knockd's firewall process) can
 * hand what it parsed to the one that may not (the network process).
 *
 * Both ends are the same binary, so structs travel as they are in memory;
 * only the pointers are rebuilt. The buffer holds the keys: the packer
 * wipes what it allocated, and the unpacker's caller owns the result.
 */
#ifndef KNOCK_CONFIG_PACK_H
#define KNOCK_CONFIG_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * config_pack(cfg, len): cfg as one malloc'd buffer of *len bytes, which
 * the caller wipes (OPENSSL_clear_free) when done. Returns NULL and logs
 * on out of memory.
 */
uint8_t *config_pack(const struct config_server *cfg, size_t *len);

/*
 * config_unpack(buf, len, out): rebuild a config_server from what
 * config_pack made. *out is then the caller's, freed with
 * config_server_free(). Returns 0, or -1 (logged) if buf is not a whole
 * packed config or memory runs out; *out is then zeroed.
 */
int config_unpack(const uint8_t *buf, size_t len, struct config_server *out);

/*
 * config_clone(cfg, out): a deep copy of cfg into *out (freed with
 * config_server_free()). Returns 0, or -1 after logging.
 */
int config_clone(const struct config_server *cfg, struct config_server *out);

#endif
