# knock: authenticated port knocking for Linux.
#
#   make            build/knockd and build/knock
#   make check      unit tests, then integration scenarios (root: netns)
#   make demo       a narrated demo in network namespaces (root)
#   make unit       unit tests only
#   make sanitize   unit tests under ASan/UBSan

CC	?= cc
PKG_CONFIG ?= pkg-config
PREFIX	?= /usr/local
SYSCONFDIR ?= /etc
VERSION	:= 0.1.0

CFLAGS	?= -O2 -g
WARN	:= -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
	   -Wstrict-prototypes -Wvla
HARDEN	:= -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
DEFS	:= -D_GNU_SOURCE -DVERSION=\"$(VERSION)\" -DSYSCONFDIR=\"$(SYSCONFDIR)\"
LDHARDEN := -pie -Wl,-z,relro,-z,now

CLIENT_PKGS := libcrypto inih
SERVER_PKGS := libcrypto inih libmnl libnftnl

ALL_CFLAGS = -std=c11 $(WARN) $(HARDEN) $(DEFS) -Isrc/common $(CFLAGS) \
	$(shell $(PKG_CONFIG) --cflags $(SERVER_PKGS))
CLIENT_LIBS = $(shell $(PKG_CONFIG) --libs $(CLIENT_PKGS))
SERVER_LIBS = $(shell $(PKG_CONFIG) --libs $(SERVER_PKGS))

B := build

# fw.c is the only file that speaks netlink; the client never links it.
COMMON_SRC := $(filter-out src/common/fw.c,$(wildcard src/common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
FW_OBJ	   := $(B)/src/common/fw.o
KNOCKD_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard src/knockd/*.c))
# Everything of knockd but main(), so unit tests can drive its parts.
KNOCKD_LIB_OBJ := $(filter-out $(B)/src/knockd/main.o,$(KNOCKD_OBJ))
KNOCK_OBJ  := $(patsubst %.c,$(B)/%.o,$(wildcard src/knock/*.c))

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

all: $(B)/knockd $(B)/knock

$(B)/%.o: %.c $(wildcard src/common/*.h src/knockd/*.h src/knock/*.h) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libcommon.a: $(COMMON_OBJ)
	$(AR) rcs $@ $^

$(B)/libknockd.a: $(KNOCKD_LIB_OBJ)
	$(AR) rcs $@ $^

$(B)/knockd: $(B)/src/knockd/main.o $(B)/libknockd.a $(FW_OBJ) $(B)/libcommon.a
	$(CC) $(CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(SERVER_LIBS)

$(B)/knock: $(KNOCK_OBJ) $(B)/libcommon.a
	$(CC) $(CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(CLIENT_LIBS)

# Unit tests use cmocka, Debian's packaged standard C unit-test library:
# it gives isolated test cases and a summary line CI can read.
$(B)/tests/%: tests/unit/%.c tests/unit/*.h $(B)/libknockd.a $(B)/libcommon.a $(FW_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc/knockd -Itests/unit $(LDHARDEN) $(LDFLAGS) -o $@ $< \
		$(B)/libknockd.a $(FW_OBJ) $(B)/libcommon.a $(SERVER_LIBS) -lcmocka

unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

integration: all
	@tests/run-integration

check: all $(UNIT_BIN)
	@tests/run-check $(UNIT_BIN)

demo: all
	@tests/demo.sh

# Benchmark (root: network namespaces): knock-to-open latency and the cost
# of dropping invalid datagrams. ROUNDS=200 FLOOD_SECONDS=5 by default.
$(B)/flood: tests/bench/flood.c src/common/proto.h src/common/wire.h
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $< $(CLIENT_LIBS)

bench: all $(B)/flood
	@tests/bench/bench.sh

sanitize:
	$(MAKE) B=build-san CC=clang \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		HARDEN="-fPIE" unit

clean:
	rm -rf build build-san build-fuzz

.PHONY: all unit integration check demo bench sanitize clean

# libFuzzer harnesses (clang): make fuzz FUZZ_SECONDS=60
FUZZ_SECONDS ?= 20
FUZZ_SRC := $(COMMON_SRC) src/knockd/users.c src/knockd/handler.c
build-fuzz/%: tests/fuzz/%.c $(FUZZ_SRC) $(wildcard src/common/*.h src/knockd/*.h)
	@mkdir -p build-fuzz
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined $(DEFS) \
		-Isrc/common -Isrc/knockd -o $@ $< $(FUZZ_SRC) $(CLIENT_LIBS)

fuzz: build-fuzz/fuzz_handler build-fuzz/fuzz_config
	@mkdir -p build-fuzz/corpus-handler build-fuzz/corpus-config
	build-fuzz/fuzz_handler -max_total_time=$(FUZZ_SECONDS) -max_len=512 \
		build-fuzz/corpus-handler tests/fuzz/corpus/handler
	build-fuzz/fuzz_config -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		build-fuzz/corpus-config etc

.PHONY: fuzz
