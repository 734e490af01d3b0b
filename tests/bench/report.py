#!/usr/bin/env python3
"""report: turn one bench.sh run into doc/benchmarks.md and its plot.

    report.py RESULTS RUNDIR DOCDIR

RESULTS holds "key value" lines; RUNDIR the latency samples (e2e.NAME,
srv.NAME: one millisecond figure per line). The previous run's figures
are read from DOCDIR/benchmarks.json before it is replaced, and shown
beside the new ones so that a regression is visible. Writes
benchmarks.md, benchmarks.json, benchmarks-latency.png (gnuplot), and
prints the table.
"""

import json
import os
import subprocess
import sys


def load(path):
    r = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(" ")
            if k:
                r[k] = v
    return r


def samples(rundir, name):
    try:
        with open(os.path.join(rundir, name)) as f:
            return sorted(float(x) for x in f if x.strip())
    except FileNotFoundError:
        return []


def pct(v, p):
    if not v:
        return None
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]


def num(r, k):
    try:
        return float(r[k])
    except (KeyError, ValueError):
        return None


def fmt(x, digits=2):
    if x is None:
        return "n/a"
    if abs(x) >= 1000:
        return "{:,.0f}".format(x)
    return "{:.{}f}".format(x, digits)


def main():
    results, rundir, docdir = sys.argv[1:4]
    r = load(results)
    jpath = os.path.join(docdir, "benchmarks.json")
    try:
        with open(jpath) as f:
            old = json.load(f)
    except (FileNotFoundError, ValueError):
        old = {}
    prev = old.get("figures", {})
    # forward.sh's section and figures (forward_report.py) are its own:
    # kept as they are.
    try:
        with open(os.path.join(docdir, "benchmarks.md")) as f:
            text = f.read()
        a = text.find(FORWARD_BEGIN)
        b = text.find(FORWARD_END)
        forward_md = text[a:b + len(FORWARD_END)] + "\n" \
            if 0 <= a < b else ""
    except FileNotFoundError:
        forward_md = ""

    fig = {}        # key: value, kept for the next run
    rows = []       # (measure, knock, fwknop, ratio, target, met, key)

    def row(measure, key, k, f=None, target="", met=None, better="lower",
            digits=2):
        """better: "lower" or "higher" is better, or None (no ratio)."""
        fig[key] = k
        if f is not None:
            fig[key + ".fwknop"] = f
        ratio = None
        if better and k is not None and f is not None and k > 0 and f > 0:
            ratio = f / k if better == "lower" else k / f
        rows.append((measure, k, f, ratio, target, met, key, digits))

    lat = {}
    for name in ("knock", "knockpair", "fwknop"):
        for kind in ("e2e", "srv"):
            v = samples(rundir, "%s.%s" % (kind, name))
            lat[kind, name] = v
    for kind, label, target in (
            ("e2e", "end to end", 1.5), ("srv", "server side", 0.3)):
        k50, f50 = pct(lat[kind, "knock"], .5), pct(lat[kind, "fwknop"], .5)
        k99, f99 = pct(lat[kind, "knock"], .99), pct(lat[kind, "fwknop"], .99)
        want = 7 if kind == "e2e" else 30
        met = (k50 is not None and f50 is not None and k50 <= target and
               f50 / k50 >= want)
        row("latency %s p50 (ms)" % label, "lat.%s.p50" % kind, k50, f50,
            "<= %s ms, >= %dx" % (target, want), met, digits=3)
        row("latency %s p99 (ms)" % label, "lat.%s.p99" % kind, k99, f99,
            digits=3)

    # A key pair's X25519 (at the client's start): at most 0.5 ms more.
    kp50, k50 = pct(lat["e2e", "knockpair"], .5), pct(lat["e2e", "knock"], .5)
    row("latency end to end p50, key pair (ms)", "lat.e2e_pair.p50", kp50,
        pct(lat["e2e", "fwknop"], .5), "<= shared key + 0.5 ms",
        kp50 is not None and k50 is not None and kp50 <= k50 + 0.5,
        digits=3)

    for kind, label in (("random", "random bytes"),
                        ("badmac", "bad MAC (worst case)")):
        kn, fn = "knock-" + kind, "fwknop-" + kind
        def per_million(n, own=False):
            # Per datagram delivered to the daemon's socket (the kernel's
            # Udp InDatagrams): what was dropped before cost the kernel.
            c = num(r, "flood.%s.cpu" % n)
            if own:     # without reaped children (fwknopd's iptables)
                us = r.get("flood.%s.user_sys" % n, "")
                c = sum(float(x) for x in us.split("/")) if us else None
            got = num(r, "flood.%s.delivered" % n)
            return c / got * 1e6 if c is not None and got else None
        k, f = per_million(kn), per_million(fn)
        if kind == "random":
            # knockd's socket filter drops these in the kernel: next to
            # the few that reach it, any CPU looks large; per datagram
            # offered says what the flood costs.
            def per_offered(n):
                c, s = num(r, "flood.%s.cpu" % n), num(r, "flood.%s.sent" % n)
                return c / s * 1e6 if c is not None and s else None
            row("flood %s: daemon CPU-s per million datagrams offered"
                % label, "flood.random.cpu_per_m_offered", per_offered(kn),
                per_offered(fn))
            row("flood %s: datagrams that reached the daemon (knockd: "
                "after its socket filter)" % label, "flood.random.delivered",
                num(r, "flood.%s.delivered" % kn),
                num(r, "flood.%s.delivered" % fn), better=None, digits=0)
        row("flood %s: daemon CPU-s per million datagrams delivered" % label,
            "flood.%s.cpu_per_m" % kind, k, f,
            "<= 1" if kind == "badmac" else "",
            (k is not None and k <= 1) if kind == "badmac" else None)
        row("flood %s: the same, without the programs the daemon runs"
            % label, "flood.%s.own_cpu_per_m" % kind, per_million(kn, True),
            per_million(fn, True))
        for what, key, digits in (("datagrams/s offered", "rate", 0),
                                  ("socket drops", "dropped", 0)):
            def val(n):
                if key == "rate":
                    s, t = num(r, "flood.%s.sent" % n), num(r, "flood.%s.seconds" % n)
                    return s / t if s and t else None
                return num(r, "flood.%s.%s" % (n, key))
            row("flood %s: %s" % (label, what), "flood.%s.%s" % (kind, key),
                val(kn), val(fn), better=None, digits=digits)
        def okpct(n):
            a, b = num(r, "flood.%s.knocks_ok" % n), num(r, "flood.%s.knocks" % n)
            return 100.0 * a / b if a is not None and b else None
        k, f = okpct(kn), okpct(fn)
        row("flood %s: valid knocks that worked within 100 ms (%%, of %s "
            "and %s)" % (label, r.get("flood.%s.knocks" % kn, "?"),
                         r.get("flood.%s.knocks" % fn, "?")),
            "flood.%s.ok_pct" % kind, k, f, ">= 99 %", (k or 0) >= 99,
            better="higher", digits=1)
        k, f = num(r, "flood.%s.knock_p99" % kn), num(r, "flood.%s.knock_p99" % fn)
        if (num(r, "flood.%s.knocks_ok" % fn) or 0) < 20:
            f = None    # the p99 of a handful is no p99
        row("flood %s: valid knocks p99 (ms; fwknop's only if 20 worked)"
            % label, "flood.%s.p99" % kind, k, f, "<= 50 ms",
            k is not None and k <= 50, digits=1)
        k0, k1 = num(r, "flood.%s.rss_before" % kn), num(r, "flood.%s.rss_after" % kn)
        f0, f1 = num(r, "flood.%s.rss_before" % fn), num(r, "flood.%s.rss_after" % fn)
        # The flood itself must add nothing; each valid knock's open may
        # touch one more page of the replay cache (one page = 4 KiB).
        nk = num(r, "flood.%s.knocks_ok" % kn) or 0
        row("flood %s: RSS after (KiB; before: knock %s, fwknop %s)"
            % (label, fmt(k0, 0), fmt(f0, 0)), "flood.%s.rss" % kind, k1,
            f1, "flat (<= 4 KiB per valid open)",
            k0 is not None and k1 is not None and k1 - k0 <= 4 * nk,
            better=None, digits=0)

    rate = num(r, "opens.rate")
    row("opens per second (1000 addresses, 8 users)", "opens.rate", rate,
        None, ">= 20,000", rate is not None and rate >= 20000,
        better="higher", digits=0)
    gw = num(r, "opens_gw.rate")
    row("opens per second, gateway elements (a host behind the server: "
        "source . destination . proto . port; same run, fresh knockd)",
        "opens_gw.rate", gw, None, "none: beside the row above",
        None, better="higher", digits=0)
    row("opens: knockd RSS after them (KiB; the replay cache in use)",
        "opens.rss", num(r, "opens.rss_after"), None, digits=0)
    n = num(r, "scale.elements")
    rss, rss1 = num(r, "scale.rss_n"), num(r, "scale.rss_1")
    # Both of knockd's processes; the target is that it does not grow.
    row("scale: knockd RSS with %s elements in the set (added with nft: "
        "knockd keeps nothing per element; both processes; with 1: %s) "
        "(KiB)" % (fmt(n, 0), fmt(rss1, 0)), "scale.rss",
        rss, None, "<= with 1 + 1 MiB",
        rss is not None and rss1 is not None and rss <= rss1 + 1024,
        digits=0)
    c1, cn = num(r, "scale.connect1_p50"), num(r, "scale.connectN_p50")
    row("scale: TCP connect p50, 1 element (ms)", "scale.connect1", c1,
        None, digits=3)
    row("scale: TCP connect p50, %s elements (ms)" % fmt(n, 0),
        "scale.connectN", cn, None, "no change",
        c1 is not None and cn is not None and cn <= c1 * 1.25 + 0.01,
        digits=3)
    row("idle: wake-ups per second", "idle.wakeups",
        num(r, "idle.knock.wakeups"), num(r, "idle.fwknop.wakeups"), "0",
        num(r, "idle.knock.wakeups") == 0, digits=1)
    row("idle: RSS (KiB)", "idle.rss", num(r, "idle.knock.rss"),
        num(r, "idle.fwknop.rss"), better=None, digits=0)
    ce = num(r, "latency.knock.client_exit")
    row("client exits, p50 (ms; knock after the whole exchange, fwknop "
        "after sending its one datagram)", "client_exit", ce,
        num(r, "latency.fwknop.client_exit"), "<= 2.5 ms",
        ce is not None and ce <= 2.5, better=None, digits=3)
    row("client exits, p50, key pair (ms)", "client_exit_pair",
        num(r, "latency.knockpair.client_exit"), None, digits=3)

    # The table, for the terminal and for the document.
    head = ("| measure | knock | fwknop | knock's advantage | target | met | "
            "previous knock |")
    lines = [head, "|---|---:|---:|---:|---|---|---:|"]
    for measure, k, f, ratio, target, met, key, digits in rows:
        pk = prev.get(key)
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            measure, fmt(k, digits), fmt(f, digits) if f is not None else "",
            ("%.1fx" % ratio) if ratio else "", target,
            "" if met is None else ("yes" if met else "**no**"),
            fmt(pk, digits) if pk is not None else ""))
    table = "\n".join(lines)
    print(table)

    # The plot: latency distributions, one curve per tool and kind.
    dat = os.path.join(docdir, "benchmarks-latency.dat")
    with open(dat, "w") as f:
        for (kind, name), v in sorted(lat.items()):
            f.write("# %s %s\n" % (kind, name))
            for i, x in enumerate(v):
                f.write("%.4f %.4f\n" % (x, (i + 1) / len(v)))
            f.write("\n\n")
    order = sorted(lat)
    plot = [
        "set terminal pngcairo size 900,520 font 'sans,10'",
        "set output '%s'" % os.path.join(docdir, "benchmarks-latency.png"),
        "set title 'knock-to-open latency, %s rounds each (cumulative)'"
        % r.get("latency.knock.rounds", "?"),
        "set logscale x",
        "set xlabel 'milliseconds (log scale)'",
        "set ylabel 'fraction of knocks'",
        "set key bottom right",
        "set grid",
        "plot " + ", ".join(
            "'%s' index %d using 1:2 with steps lw 2 title '%s %s'" % (
                dat, i, name, "end to end" if kind == "e2e" else
                "server side") for i, (kind, name) in enumerate(order)),
    ]
    subprocess.run(["gnuplot"], input="\n".join(plot), text=True,
                   check=True)
    os.unlink(dat)

    meta = {k[5:]: v for k, v in r.items() if k.startswith("meta.")}
    with open(jpath, "w") as f:
        out = {"meta": meta, "figures": fig, "raw": r,
               "samples": {"%s.%s" % k: v for k, v in lat.items()}}
        if "forward" in old:
            out["forward"] = old["forward"]
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(docdir, "benchmarks.md"), "w") as f:
        def per_dgram(n, i):
            us, got = r.get("flood.%s.user_sys" % n), num(
                r, "flood.%s.delivered" % n)
            if not us or not got:
                return "?"
            return "%.2f" % (float(us.split("/")[i]) / got * 1e6)
        f.write(DOC.format(
            table=table, bm_user=per_dgram("knock-badmac", 0),
            bm_sys=per_dgram("knock-badmac", 1),
            rnd_user=per_dgram("knock-random", 0),
            **{k: meta.get(k, "?") for k in
               ("date", "commit", "kernel", "cpus", "cpu", "fwknop")}))
        if forward_md:
            f.write("\n" + forward_md)
    # The bench runs under umask 077; these are documents.
    for name in ("benchmarks.md", "benchmarks.json",
                 "benchmarks-latency.png"):
        os.chmod(os.path.join(docdir, name), 0o644)


# The markers of forward_report.py's section of benchmarks.md.
FORWARD_BEGIN = "<!-- forward.sh: begin -->"
FORWARD_END = "<!-- forward.sh: end -->"

DOC = """# Benchmarks

Written by `make bench` (tests/bench/bench.sh, then report.py) from its
last run: {date}, commit {commit}, kernel {kernel}, {cpus} CPUs ({cpu}),
fwknop {fwknop}. Everything runs on one machine, between network
namespaces joined by veth pairs and a bridge, on the real kernel: knockd
hides tcp/22 with nftables, fwknopd (UDP server mode, iptables,
Rijndael + HMAC-SHA256, 30 s access) hides tcp/2222. The column
"previous knock" is the run before this one, so a regression shows.

{table}

![latency distributions](benchmarks-latency.png)

## How each figure is measured

- **End to end**: benchlat.c starts the client (posix_spawn) and tries a
  TCP connect to the protected port every millisecond, and once more the
  moment the client exits, until one succeeds. Before each round the
  port is closed again (nft flush / iptables -F), untimed.
- **Server side**: observe.py, in the server's namespace, takes the
  kernel's receive timestamp of the first knock datagram of a round, and
  the moment the port is open: for knock the kernel's transmit timestamp
  of the COMEIN, which knockd sends only once the kernel has committed
  the set element (so an upper bound); for fwknop, which answers
  nothing, the time observe.py reads the kernel's netlink announcement
  of the new rule (no timestamp on those), which adds its own wake-up,
  0.1-0.2 ms, to fwknop's figure.
- **Floods**: flood.c sends from the third host with sendmmsg for the
  whole period: random bytes, or the worst case, a well-formed message
  with a known user and a bad MAC (for fwknop, a real SPA packet made
  with the wrong HMAC key, its tail varied so each one is new). CPU is
  the daemon's from /proc (for fwknopd including the iptables processes
  it runs), per million datagrams the daemon received (sent less those
  its socket dropped); socket drops are the server's UDP RcvbufErrors. Meanwhile the client knocks every 100 ms (benchlat
  with a reset before each knock).
- **Opens per second**: openload.c runs the real client exchange, MACs
  checked, from 1000 IPv6 addresses at once for 8 users; each COMEIN is
  one open (a repeated open refreshes the element: add, delete, add in
  one transaction).
- **Scale**: elements are added to allow4 with nft (knockd keeps no state
  per element: they live in the kernel), on a freshly started knockd,
  then knockd's RSS and the time of a TCP connect to an allowed port
  (2000 connects, through the same set) are compared with one element.
- **Idle**: context switches of the daemon over 10 s.

## Where the time goes, and the targets not met

Measured separately on this machine (2 vCPUs in a VM; `perf` has no
cycle counters here), with `/tmp`-built probes and `valgrind
--tool=callgrind`:

- **End-to-end latency** is almost all process start-up, which no
  daemon can change. Starting a process and waiting for it (posix_spawn
  from C, 200 runs, p50): an empty static binary 1.45 ms, `/bin/true`
  2.07 ms. Before the client-perf work, `knock --version` took 4.73 ms
  (loading libcrypto and its relocations: 3,574 symbol and 16,958
  relative) and OpenSSL 3's first use about 2.8 ms more; a knock
  executed 13.0 M instructions (callgrind). What each change saved,
  in instructions per knock (load-independent; tests/bench/startup.sh
  and firstuse.c, which also time A/B in interleaved blocks): nonces
  from getrandom(2) instead of OpenSSL's DRBG, 3.8 M (the cipher table
  and CTR-DRBG seeding); OPENSSL_init_crypto flags in mac_init(), 5.4 M
  together (openssl.cnf 0.8 M, error strings 1.1 M, the legacy name
  tables copied into the provider name map 3.3 M, OPENSSL_cleanup at
  exit 0.8 M); HKDF as two HMACs through EVP_MAC instead of EVP_KDF,
  0.16 M (no KDF table); libcrypto and inih linked statically, 2.3 M
  (knock --version 1.3 ms sooner; the binary is 3.9 MB). A knock now
  executes 1.4 M instructions: 0.45 M loading, 0.9 M building the
  digest and MAC tables for HMAC-SHA256 and BLAKE2s. A key-pair
  user's X25519 (protocol v2) adds 1.44 M (0.57 M of it deriving the
  public key EVP_PKEY computes on importing the private one), about
  0.3 ms. The exchange itself, from the first KNOCK sent to COMEIN
  received, is 0.33 ms p50. fwknop's client exits sooner (the "client
  exits" row), but after sending its one datagram, where knock's exits
  after the whole exchange.
- **Server-side latency** (0.3 ms target): knock's figure includes the
  client's own leg between CHALLENGE and RESPONSE, fwknop's one datagram
  has none. observe.py also splits each
  knock round (kernel timestamps, in RUNDIR/observe.knock): KNOCK in to
  CHALLENGE out, CHALLENGE out to RESPONSE in (the client), RESPONSE in
  to COMEIN out. Seen on 2026-11-22: 0.08-0.45 ms, 0.08-0.25 ms and 0.12-0.42
  ms. knockd's work in the two server steps is a few keyed hashes and,
  in the second, the netlink transaction (about 13 µs measured alone);
  the rest is the time to wake a process on an idle vCPU of this VM,
  paid twice per exchange, which a daemon that must not poll cannot
  avoid. Control: a ten-line C UDP echo server (blocking recvfrom,
  sendto) in the same namespace, timed the same way, takes 0.09-0.36
  ms from datagram in to reply out, p50 0.16 ms, over 40 probes.
- **Flood CPU** (1 CPU-s per million worst-case datagrams), from this
  run's user and system time (`flood.*.user_sys`): for the bad-MAC
  flood {bm_user} µs of user time per datagram (parsing, the user lookup
  and one keyed BLAKE2s through EVP) and {bm_sys} µs of system time. The
  kernel's receive path (recvmmsg in batches of 64, the copy, the
  socket accounting) alone is at or above the target on this VM,
  whatever the daemon does. Random bytes cost {rnd_user} µs of user
  time each. fwknopd's default RULES_CHECK_THRESHOLD (20) has it run
  `iptables -L` every 20 datagrams under a flood: most of its CPU is
  those processes (the row "without the programs the daemon runs").
- **Offered load**: the flood generator sends as fast as it can on the
  same two CPUs, so it offers less to knockd, which uses more CPU
  handling everything, than to fwknopd, whose socket drops almost all
  (the "offered" row). Each daemon runs as it ships: knockd asks for a
  4 MiB receive buffer, fwknopd keeps the kernel's default.
- **RSS**: about 3.5 MiB of it is libcrypto's text, shared with every
  other process using it; knockd's own anonymous memory is about 1 MiB
  at rest. The replay cache (2 x 2^19 slots of 16 bytes, sized for
  20,000 opens per second sustained) is touched only as opens use it and
  is given back when its epoch ends: a pure flood adds nothing.
"""

if __name__ == "__main__":
    main()
