#!/bin/bash
# test-hooks-not-shipped: the test hook that writes knock's ephemeral
# private key to a file (KNOCK_TEST_EPHEMERAL_FILE, -DKNOCK_TEST_HOOKS)
# is in build/hooks/knock, the test build, and not in build/knock, the
# one make install ships: a key that ends forward secrecy must not be
# one environment variable away. Likewise knockd's hook that makes its
# network process misbehave (KNOCKD_TEST_HOOK): only build/hooks/knockd.
set -u
cd "$(dirname "$0")/../.." || exit 1

for b in build/knock build/hooks/knock build/knockd build/hooks/knockd; do
	if [ ! -x "$b" ]; then
		echo "SKIP: $b is not built (make all build/hooks/knock build/hooks/knockd)"
		exit 77
	fi
done
if grep -q -a KNOCK_TEST_EPHEMERAL_FILE build/knock; then
	echo "FAIL: build/knock contains KNOCK_TEST_EPHEMERAL_FILE"
	exit 1
fi
# The control: the string is what the hook looks for, so the check above
# would see it.
if ! grep -q -a KNOCK_TEST_EPHEMERAL_FILE build/hooks/knock; then
	echo "FAIL: build/hooks/knock lacks KNOCK_TEST_EPHEMERAL_FILE: the check proves nothing"
	exit 1
fi
echo "ok: the ephemeral-key hook is only in build/hooks/knock"
if grep -q -a KNOCKD_TEST_HOOK build/knockd; then
	echo "FAIL: build/knockd contains KNOCKD_TEST_HOOK"
	exit 1
fi
if ! grep -q -a KNOCKD_TEST_HOOK build/hooks/knockd; then
	echo "FAIL: build/hooks/knockd lacks KNOCKD_TEST_HOOK: the check proves nothing"
	exit 1
fi
echo "ok: the network-process hook is only in build/hooks/knockd"
# The pause between CHALLENGE and RESPONSE (KNOCK_TEST_CHALLENGED), for
# restarted-server-gets-fresh-knock.sh: harmless, but a test's only.
if grep -q -a KNOCK_TEST_CHALLENGED build/knock; then
	echo "FAIL: build/knock contains KNOCK_TEST_CHALLENGED"
	exit 1
fi
if ! grep -q -a KNOCK_TEST_CHALLENGED build/hooks/knock; then
	echo "FAIL: build/hooks/knock lacks KNOCK_TEST_CHALLENGED: the check proves nothing"
	exit 1
fi
echo "ok: the exchange's pause hook is only in build/hooks/knock"
