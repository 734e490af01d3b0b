# knock: authenticated port knocking for Linux. GNU make (gmake on the
# BSDs).
#
#   make            build/knockd and build/knock
#   make knock      build/knock alone: needs libcrypto and inih only, and
#                   builds on macOS and the BSDs too (untested there)
#   make posix-check  the client's sources against strict POSIX 2008
#                   (tests/misc/client-is-posix.sh runs it)
#   make check      unit tests, then integration scenarios (root: netns)
#   make demo       a narrated demo in network namespaces (root)
#   make unit       unit tests only
#   make build/hooks/knock  knock with test hooks (tests only; make check
#                   builds it, and build/hooks/knockd)
#   make sanitize   unit tests under ASan/UBSan
#   make bench      benchmarks beside fwknop (root), doc/benchmarks.md
#   make bench-forward  forward mode beside socat, spiped, ssh -L (root)
#   make install    binaries, man pages, units, example configs (DESTDIR,
#                   PREFIX, SYSCONFDIR, ... below); make uninstall
#   make install-client  knock, its man pages, completion and knock.conf:
#                   nothing of the server's; make uninstall-client

CC	?= cc
PKG_CONFIG ?= pkg-config
VERSION	:= 0.1.0

# Where make install puts things. The systemd directories come from
# pkg-config with its prefix set to PREFIX (else the usual path under
# PREFIX): systemd also reads /usr/local/lib/systemd/system and
# /usr/local/lib/sysusers.d, and bash-completion
# /usr/local/share/bash-completion, so a local install stays out of the
# directories Debian's packages own.
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/knock
SYSCONFDIR ?= /etc
pc_var	= $(or $(shell $(PKG_CONFIG) --define-variable=prefix=$(PREFIX) \
	    --define-variable=rootprefix=$(PREFIX) --variable=$(1) $(2) \
	    2>/dev/null),$(3))
SYSTEMDUNITDIR ?= $(call pc_var,systemdsystemunitdir,systemd,$(PREFIX)/lib/systemd/system)
SYSUSERSDIR ?= $(call pc_var,sysusersdir,systemd,$(PREFIX)/lib/sysusers.d)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

CFLAGS	?= -O2 -g
WARN	:= -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
	   -Wstrict-prototypes -Wvla
HARDEN	:= -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
DEFS	:= -D_GNU_SOURCE -DVERSION=\"$(VERSION)\" -DSYSCONFDIR=\"$(SYSCONFDIR)\" \
	   -DDOCDIR=\"$(DOCDIR)\"
# macOS's linker knows neither -z nor -Bstatic, and makes every program
# position-independent anyway (untested: only Linux is at hand).
UNAME_S := $(shell uname -s)
ifeq ($(UNAME_S),Darwin)
LDHARDEN := -Wl,-pie
KNOCK_LINK ?= shared
else
LDHARDEN := -pie -Wl,-z,relro,-z,now
endif

# The client needs libcrypto and inih alone: nothing of the client's is
# compiled with the server's flags, and pkg-config is asked about the
# server's libraries only when something of knockd's is built (every
# variable that names them is expanded late, "=").
CLIENT_PKGS := libcrypto inih
SERVER_PKGS := libcrypto inih libmnl libnftnl libseccomp

BASE_CFLAGS = -std=c11 $(WARN) $(HARDEN) $(DEFS) -Isrc/common $(CFLAGS)
CLIENT_CFLAGS = $(BASE_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(CLIENT_PKGS))
SERVER_CFLAGS = $(BASE_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(SERVER_PKGS))
# Unit tests and benchmarks, which link parts of both programs.
ALL_CFLAGS = $(SERVER_CFLAGS)
CLIENT_LIBS = $(shell $(PKG_CONFIG) --libs $(CLIENT_PKGS))

# knock links libcrypto and inih statically where their archives are
# installed (Debian's libssl-dev and libinih-dev ship them): loading the
# shared libcrypto, its 3,000 symbol bindings and 17,000 relocations,
# was a quarter of knock's run (2.3 M of its 3.7 M instructions), and
# knock is a program started for every connection. The price: a 3.9 MB
# binary instead of 0.1 MB, and a fix to libcrypto reaches knock only
# when knock is rebuilt. KNOCK_LINK=shared links the shared libraries,
# as a distribution that wants its libcrypto updates to reach knock
# will; knockd, started once, always does.
KNOCK_LINK ?= $(if $(and \
	$(wildcard $(shell $(PKG_CONFIG) --variable=libdir libcrypto)/libcrypto.a), \
	$(wildcard $(shell $(PKG_CONFIG) --variable=libdir inih)/libinih.a)),static,shared)
ifeq ($(KNOCK_LINK),static)
KNOCK_LIBS = -Wl,-Bstatic $(CLIENT_LIBS) -Wl,-Bdynamic \
	$(filter-out $(CLIENT_LIBS),$(shell $(PKG_CONFIG) --static --libs $(CLIENT_PKGS)))
else
KNOCK_LIBS = $(CLIENT_LIBS)
endif
SERVER_LIBS = $(shell $(PKG_CONFIG) --libs $(SERVER_PKGS))

B := build

# fw.c speaks netlink, fw_check.c checks knockd's table through it,
# fw_list.c lists knockd's sets through it (knockd --status),
# fw_inspect.c reads the ruleset through it and ruleset.c judges what
# it read: the client never links them.
FW_SRC	   := src/common/fw.c src/common/fw_check.c src/common/fw_list.c \
	src/common/fw_inspect.c src/common/ruleset.c
COMMON_SRC := $(filter-out $(FW_SRC),$(wildcard src/common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
FW_OBJ	   := $(FW_SRC:%.c=$(B)/%.o)
KNOCKD_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard src/knockd/*.c))
# Everything of knockd but main(), so unit tests can drive its parts.
KNOCKD_LIB_OBJ := $(filter-out $(B)/src/knockd/main.o,$(KNOCKD_OBJ))
KNOCK_OBJ  := $(patsubst %.c,$(B)/%.o,$(wildcard src/knock/*.c))
# And of knock, likewise.
KNOCK_LIB_OBJ := $(filter-out $(B)/src/knock/main.o,$(KNOCK_OBJ))

# The test build of knock (make check builds it): the same sources with
# -DKNOCK_TEST_HOOKS, in an object directory of its own, so that no hook
# can reach build/knock (tests/misc/test-hooks-not-shipped.sh checks).
HOOKS_OBJ  := $(KNOCK_OBJ:$(B)/%=$(B)/hooks/obj/%)
# And knockd's: its network process misbehaves on request, as one taken
# over would (tests privileges-are-separated and the like).
HOOKSD_OBJ := $(KNOCKD_OBJ:$(B)/%=$(B)/hooks/obj/%)

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

all: $(B)/knockd $(B)/knock

knock: $(B)/knock
knockd: $(B)/knockd

# The compiler and flags of the last build (SYSCONFDIR among them): a
# change rebuilds everything, so "make install SYSCONFDIR=..." cannot
# install binaries that look for their config elsewhere. The server's
# own flags have a file of their own, which only knockd's objects need.
$(B)/flags: FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(CLIENT_CFLAGS) $(LDHARDEN) $(KNOCK_LIBS)' | cmp -s - $@ || \
		echo '$(CC) $(CLIENT_CFLAGS) $(LDHARDEN) $(KNOCK_LIBS)' >$@
$(B)/flags-server: FORCE
	@mkdir -p $(B)
	@echo '$(SERVER_CFLAGS)' | cmp -s - $@ || echo '$(SERVER_CFLAGS)' >$@

HDRS := $(wildcard src/common/*.h src/knockd/*.h src/knock/*.h)

# knockd's objects, and the netlink files (FW_SRC): the server's flags.
# Everything else: the client's (src/common's other files compile with
# them for both).
$(B)/src/knockd/%.o: src/knockd/%.c $(HDRS) Makefile $(B)/flags $(B)/flags-server
	@mkdir -p $(dir $@)
	$(CC) $(SERVER_CFLAGS) -c -o $@ $<

$(FW_OBJ): $(B)/%.o: %.c $(HDRS) Makefile $(B)/flags $(B)/flags-server
	@mkdir -p $(dir $@)
	$(CC) $(SERVER_CFLAGS) -c -o $@ $<

$(B)/%.o: %.c $(HDRS) Makefile $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CLIENT_CFLAGS) -c -o $@ $<

$(B)/hooks/obj/src/knockd/%.o: src/knockd/%.c $(HDRS) Makefile $(B)/flags $(B)/flags-server
	@mkdir -p $(dir $@)
	$(CC) $(SERVER_CFLAGS) -DKNOCK_TEST_HOOKS -c -o $@ $<

$(B)/hooks/obj/%.o: %.c $(HDRS) Makefile $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CLIENT_CFLAGS) -DKNOCK_TEST_HOOKS -c -o $@ $<

$(B)/hooks/knock: $(HOOKS_OBJ) $(B)/libcommon.a
	$(CC) $(CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(CLIENT_LIBS)

$(B)/hooks/knockd: $(HOOKSD_OBJ) $(FW_OBJ) $(B)/libcommon.a
	$(CC) $(CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(SERVER_LIBS)

$(B)/libcommon.a: $(COMMON_OBJ)
	rm -f $@; $(AR) rcs $@ $^

$(B)/libknockd.a: $(KNOCKD_LIB_OBJ)
	rm -f $@; $(AR) rcs $@ $^

$(B)/libknock.a: $(KNOCK_LIB_OBJ)
	rm -f $@; $(AR) rcs $@ $^

$(B)/knockd: $(B)/src/knockd/main.o $(B)/libknockd.a $(FW_OBJ) $(B)/libcommon.a
	$(CC) $(CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(SERVER_LIBS)

$(B)/knock: $(KNOCK_OBJ) $(B)/libcommon.a
	$(CC) $(CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(KNOCK_LIBS)

# Unit tests use cmocka, Debian's packaged standard C unit-test library:
# it gives isolated test cases and a summary line CI can read.
$(B)/tests/%: tests/unit/%.c tests/unit/*.h $(B)/libknockd.a $(B)/libknock.a $(B)/libcommon.a $(FW_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc/knockd -Isrc/knock -Itests/unit $(LDHARDEN) $(LDFLAGS) -o $@ $< \
		$(B)/libknockd.a $(B)/libknock.a $(FW_OBJ) $(B)/libcommon.a $(SERVER_LIBS) -lcmocka

unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

integration: all $(B)/hooks/knock $(B)/hooks/knockd
	@tests/run-integration

check: all $(UNIT_BIN) $(B)/hooks/knock $(B)/hooks/knockd
	@tests/run-check $(UNIT_BIN)

demo: all
	@tests/demo.sh

# Benchmark (root: network namespaces), knockd beside fwknop: latency,
# floods, opens per second, scale, idle; writes doc/benchmarks.md and its
# plot. About two minutes; ROUNDS, FLOOD_SECONDS, OPEN_SECONDS, SCALE and
# IDLE_SECONDS change it (tests/bench/bench.sh).
$(B)/flood: tests/bench/flood.c src/common/proto.h src/common/wire.h
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $< $(CLIENT_LIBS)

$(B)/openload: tests/bench/openload.c $(B)/libcommon.a
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $< $(B)/libcommon.a $(CLIENT_LIBS)

$(B)/benchlat: tests/bench/benchlat.c
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $<

# What libcrypto's first use costs the client, step by step; with
# tests/bench/startup.sh, for A/B work on knock's start-up.
$(B)/firstuse: tests/bench/firstuse.c $(B)/libcommon.a
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $< $(B)/libcommon.a $(KNOCK_LIBS)

$(B)/fwdbench: tests/bench/fwdbench.c
	$(CC) $(ALL_CFLAGS) $(LDHARDEN) $(LDFLAGS) -o $@ $<

bench: all $(B)/flood $(B)/openload $(B)/benchlat $(B)/fwdbench
	@tests/bench/bench.sh
	@tests/bench/forward.sh

# Forward mode alone (root): 2 GiB through knock --forward and knockd,
# socat, spiped and ssh -L, then new connections per second through
# each; its own section of doc/benchmarks.md. About three minutes;
# BYTES, RUNS, PINGS, CONN_WORKERS, CONN_SECONDS and CONN_MAX change it
# (tests/bench/forward.sh).
bench-forward: all $(B)/fwdbench
	@tests/bench/forward.sh

sanitize:
	$(MAKE) B=build-san CC=clang \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		HARDEN="-fPIE" unit

clean:
	rm -rf build build-san build-fuzz

# Example configs are installed only where no file exists: an edited config
# (and its keys) is never overwritten, and uninstall removes a config only
# while it is still the unedited example. knockd.conf is root:knockd 0640
# when the knockd group exists (knockd.service runs as knockd), else 0600.
# knock.conf is 0644: it is the [host] list every user shares, and users
# keep their keys in ~/.config/knock (knock refuses a key in a file others
# can read; made 0600 for root's keys, other users skip it). On a real
# install (no DESTDIR) systemd-sysusers creates the user knockd first.
# The documentation names its own paths as the default PREFIX puts them
# (/usr/local/share/doc/knock); make install rewrites them to DOCDIR, so
# a path copied from an installed man page or config always exists.
DOCSUB	= sed 's|/usr/local/share/doc/knock|$(DOCDIR)|g'

MAN1	:= man/knock.1
MAN5	:= man/knockd.conf.5 man/knock.conf.5
MAN8	:= man/knockd.8
ETC	:= $(DESTDIR)$(SYSCONFDIR)/knock

# The files make install writes, for the check below.
INSTALLED = $(BINDIR)/knock $(SBINDIR)/knockd \
	$(SYSTEMDUNITDIR)/knockd.service $(SYSTEMDUNITDIR)/knockd.socket \
	$(SYSUSERSDIR)/knockd.conf $(BASHCOMPDIR)/knock \
	$(MANDIR)/man8/knockd.8 $(MANDIR)/man1/knock.1

# Debian packages an unrelated knockd (and a knock with it): never
# overwrite a file that belongs to a package. $(1): the files.
define refuse_packaged
	@if [ -z "$(DESTDIR)" ] && command -v dpkg-query >/dev/null; then \
		for f in $(1); do \
			if o=$$(dpkg-query -S "$$f" 2>/dev/null); then \
				echo "make $@: $$f belongs to package" \
				    "$${o%%:*}; remove it or choose another" \
				    "PREFIX" >&2; exit 1; \
			fi; \
		done; \
	fi
endef

install: all
	$(call refuse_packaged,$(INSTALLED))
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(ETC)
	install -m 755 $(B)/knock $(DESTDIR)$(BINDIR)/knock
	install -m 755 $(B)/knockd $(DESTDIR)$(SBINDIR)/knockd
	for f in $(MAN1) $(MAN5) $(MAN8); do s=$${f##*.}; \
		$(DOCSUB) $$f >$(DESTDIR)$(MANDIR)/man$$s/$${f##*/} && \
		chmod 644 $(DESTDIR)$(MANDIR)/man$$s/$${f##*/} || exit 1; \
	done
	sed 's|/usr/sbin/knockd|$(SBINDIR)/knockd|' systemd/knockd.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/knockd.service
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/knockd.service
	install -m 644 systemd/knockd.socket $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 644 systemd/knockd.sysusers $(DESTDIR)$(SYSUSERSDIR)/knockd.conf
	install -m 644 completion/knock.bash $(DESTDIR)$(BASHCOMPDIR)/knock
	for f in nftables.conf.example nftables-gateway.conf.example \
	    README.md doc/protocol.md systemd/forward.conf; do \
		$(DOCSUB) $$f >$(DESTDIR)$(DOCDIR)/$${f##*/} && \
		chmod 644 $(DESTDIR)$(DOCDIR)/$${f##*/} || exit 1; \
	done
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		echo "systemd-sysusers $(SYSUSERSDIR)/knockd.conf"; \
		systemd-sysusers $(SYSUSERSDIR)/knockd.conf || exit 1; \
	fi
	@set -e; f=$(ETC)/knockd.conf; \
	if [ -e $$f ]; then echo "keeping $$f"; \
	else (umask 077; $(DOCSUB) etc/knockd.conf >$$f.new); \
		if getent group knockd >/dev/null 2>&1 && \
		    chgrp knockd $$f.new 2>/dev/null; then chmod 640 $$f.new; fi; \
		mv $$f.new $$f; echo "installed $$f ($$(stat -c "%U:%G 0%a" $$f))"; fi; \
	if [ "$$(stat -c %G:%a $$f)" != knockd:640 ]; then \
		echo "note: knockd.service runs as user knockd: once that user" \
		    "exists, run: chgrp knockd $(SYSCONFDIR)/knock/knockd.conf;" \
		    "chmod 640 $(SYSCONFDIR)/knock/knockd.conf"; \
	fi
	@set -e; f=$(ETC)/knock.conf; \
	if [ -e $$f ]; then echo "keeping $$f"; \
	else install -m 644 etc/knock.conf $$f; echo "installed $$f (0644)"; fi
	@# The server's key pair, made once, as sshd's host keys are: a
	@# reinstall never replaces it (clients hold its public key).
	@set -e; f=$(ETC)/knockd.key; \
	if [ -e $$f ]; then echo "keeping $$f"; \
	else (umask 077; $(B)/knock --genkey >$$f.new); \
		if getent group knockd >/dev/null 2>&1 && \
		    chgrp knockd $$f.new 2>/dev/null; then chmod 640 $$f.new; fi; \
		mv $$f.new $$f; \
		echo "made the server's key pair in $$f ($$(stat -c "%U:%G 0%a" $$f)); its" \
		    "public key, for the clients' server-key: $$($(B)/knock --pubkey <$$f)"; \
	fi; \
	if [ "$$(stat -c %G:%a $$f)" != knockd:640 ]; then \
		echo "note: knockd.service runs as user knockd: once that user" \
		    "exists, run: chgrp knockd $(SYSCONFDIR)/knock/knockd.key;" \
		    "chmod 640 $(SYSCONFDIR)/knock/knockd.key"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/knock $(DESTDIR)$(SBINDIR)/knockd \
		$(DESTDIR)$(MANDIR)/man1/knock.1 \
		$(DESTDIR)$(MANDIR)/man5/knockd.conf.5 \
		$(DESTDIR)$(MANDIR)/man5/knock.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/knockd.8 \
		$(DESTDIR)$(SYSTEMDUNITDIR)/knockd.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/knockd.socket \
		$(DESTDIR)$(SYSUSERSDIR)/knockd.conf \
		$(DESTDIR)$(BASHCOMPDIR)/knock \
		$(DESTDIR)$(DOCDIR)/nftables.conf.example \
		$(DESTDIR)$(DOCDIR)/nftables-gateway.conf.example \
		$(DESTDIR)$(DOCDIR)/README.md $(DESTDIR)$(DOCDIR)/protocol.md \
		$(DESTDIR)$(DOCDIR)/forward.conf
	@rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@# The server's key is never removed: clients trust its public key.
	@[ ! -e $(ETC)/knockd.key ] || echo "keeping $(ETC)/knockd.key"
	@for f in knockd.conf knock.conf; do \
		if $(DOCSUB) etc/$$f | cmp -s - $(ETC)/$$f; then rm -f $(ETC)/$$f; \
		elif [ -e $(ETC)/$$f ]; then echo "keeping $(ETC)/$$f: edited"; fi; \
	done
	@rmdir $(ETC) 2>/dev/null || true

# The client alone, for a laptop: knock, its man pages, its completion,
# and the example knock.conf (the shared [host] list, where server-key
# lines go) if none is there, on the same terms as make install's. No
# knockd, no unit, no user, no knockd.conf or server key, and nothing
# built or asked of pkg-config but the client's. Plain POSIX install(1)
# and cmp(1), for macOS and the BSDs.
CLIENT_INSTALLED = $(BINDIR)/knock $(MANDIR)/man1/knock.1 \
	$(MANDIR)/man5/knock.conf.5 $(BASHCOMPDIR)/knock

install-client: $(B)/knock
	$(call refuse_packaged,$(CLIENT_INSTALLED))
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR) $(ETC)
	install -m 755 $(B)/knock $(DESTDIR)$(BINDIR)/knock
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/knock.conf.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 completion/knock.bash $(DESTDIR)$(BASHCOMPDIR)/knock
	@f=$(ETC)/knock.conf; \
	if [ -e $$f ]; then echo "keeping $$f"; \
	else install -m 644 etc/knock.conf $$f && echo "installed $$f (0644)"; fi

uninstall-client:
	rm -f $(addprefix $(DESTDIR),$(CLIENT_INSTALLED))
	@f=$(ETC)/knock.conf; \
	if cmp -s etc/knock.conf $$f; then rm -f $$f; \
	elif [ -e $$f ]; then echo "keeping $$f: edited"; fi
	@rmdir $(ETC) 2>/dev/null || true

# The client's sources, and the files of src/common it links (checked
# against knock's link map by tests/misc/client-is-posix.sh), compiled
# against strict POSIX 2008: no _GNU_SOURCE, no _DEFAULT_SOURCE, so a
# call glibc declares only for those is an implicit declaration, an
# error. What glibc declares whatever the feature macros (epoll,
# signalfd, getrandom, SOCK_NONBLOCK, ...) tests/posix/poison.h poisons,
# and no Linux header may be included at all.
POSIX_SRC := $(wildcard src/knock/*.c) $(addprefix src/common/,access.c addr.c \
	config_client.c config_file.c keys.c kx.c log.c mac.c pathcheck.c \
	proto.c secure.c service.c stream.c tunnel.c userkey.c)
POSIX_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -DVERSION=\"$(VERSION)\" \
	-DSYSCONFDIR=\"$(SYSCONFDIR)\" $(WARN) -Werror \
	-Werror=implicit-function-declaration -include tests/posix/poison.h \
	-Isrc/common $(shell $(PKG_CONFIG) --cflags $(CLIENT_PKGS))

posix-check:
	@bad=$$(awk -f tests/posix/linux-headers.awk $(POSIX_SRC)); \
	if [ -n "$$bad" ]; then \
		echo "posix-check: Linux headers in the client:" >&2; \
		echo "$$bad" >&2; exit 1; \
	fi
	@for f in $(POSIX_SRC); do \
		$(CC) $(POSIX_CFLAGS) -fsyntax-only $$f || { \
		    echo "posix-check: $$f is not POSIX 2008" >&2; exit 1; }; \
	done
	@echo "posix-check: $(words $(POSIX_SRC)) client sources are POSIX 2008"

posix-sources:
	@echo $(POSIX_SRC)

.PHONY: all knock knockd unit integration check demo bench bench-forward sanitize clean install uninstall \
	install-client uninstall-client posix-check posix-sources FORCE

# libFuzzer harnesses (clang): make fuzz FUZZ_SECONDS=60
FUZZ_SECONDS ?= 20
FUZZ_SRC := $(COMMON_SRC) src/knockd/users.c src/knockd/handler.c \
	src/knockd/dest.c src/knockd/opens.c
build-fuzz/%: tests/fuzz/%.c $(FUZZ_SRC) $(wildcard src/common/*.h src/knockd/*.h)
	@mkdir -p build-fuzz
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined $(DEFS) \
		-Isrc/common -Isrc/knockd -o $@ $< $(FUZZ_SRC) $(CLIENT_LIBS)

fuzz: build-fuzz/fuzz_handler build-fuzz/fuzz_config build-fuzz/fuzz_tunnel \
		build-fuzz/fuzz_sealed build-fuzz/fuzz_stream
	@mkdir -p build-fuzz/corpus-handler build-fuzz/corpus-config \
		build-fuzz/corpus-tunnel build-fuzz/corpus-sealed \
		build-fuzz/corpus-stream
	build-fuzz/fuzz_handler -max_total_time=$(FUZZ_SECONDS) -max_len=512 \
		build-fuzz/corpus-handler tests/fuzz/corpus/handler
	build-fuzz/fuzz_config -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		build-fuzz/corpus-config etc
	build-fuzz/fuzz_tunnel -max_total_time=$(FUZZ_SECONDS) -max_len=20000 \
		build-fuzz/corpus-tunnel
	build-fuzz/fuzz_sealed -max_total_time=$(FUZZ_SECONDS) -max_len=2400 \
		build-fuzz/corpus-sealed
	build-fuzz/fuzz_stream -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		build-fuzz/corpus-stream

.PHONY: fuzz
