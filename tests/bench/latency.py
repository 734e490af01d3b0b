#!/usr/bin/env python3
"""latency.py: knock-to-open latency, measured from the client's side.

For each of N rounds: close the access (not timed), then start knock and
time two things: until knock exits 0 (it does only after the server's
COMEIN, which knockd sends only after the kernel acknowledged the change),
and until a TCP connect to the protected port succeeds, polling every 1 ms.
Also reads the exchange's own time from knock -v (first KNOCK sent to
COMEIN received: two round trips plus the server's work, without the
process start-up). Prints the percentiles as "name p50_ms p99_ms". Bounded: N rounds, each
with knock's own -w limit and at most 2 s of polling.
"""
import os
import re
import socket
import subprocess
import sys
import time


def connect_ok(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.settimeout(0.5)
    try:
        s.connect((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    knock, conf, addr, port, rounds = sys.argv[1:6]
    port, rounds = int(port), int(rounds)
    exit_ms, open_ms, xchg_ms, fails = [], [], [], 0
    argv = [knock, "-c", conf, "-w", "2", "-v", addr, str(port)]
    for _ in range(rounds):
        subprocess.run([knock, "-c", conf, "-w", "2", "--close", addr,
                        str(port)], check=False)
        t0 = time.perf_counter()
        r, w = os.pipe()
        pid = os.posix_spawn(knock, argv, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, w, 2)])
        _, status = os.waitpid(pid, 0)
        t1 = time.perf_counter()
        os.close(w)
        out = os.read(r, 65536).decode()
        os.close(r)
        if os.waitstatus_to_exitcode(status) != 0:
            fails += 1
            continue
        deadline = t1 + 2
        while not connect_ok(addr, port) and time.perf_counter() < deadline:
            time.sleep(0.001)
        t2 = time.perf_counter()
        if t2 >= deadline:
            fails += 1
            continue
        exit_ms.append((t1 - t0) * 1000)
        m = re.search(r"\(([0-9.]+) ms\)", out)
        if m:
            xchg_ms.append(float(m.group(1)))
        open_ms.append((t2 - t0) * 1000)
    if not open_ms:
        print("no successful knock", file=sys.stderr)
        sys.exit(1)
    if xchg_ms:
        print("exchange %.3f %.3f" % (pct(xchg_ms, 50), pct(xchg_ms, 99)))
    print("knock_exit %.3f %.3f" % (pct(exit_ms, 50), pct(exit_ms, 99)))
    print("connect_ok %.3f %.3f" % (pct(open_ms, 50), pct(open_ms, 99)))
    print("rounds %d failed %d" % (rounds, fails))


if __name__ == "__main__":
    main()
