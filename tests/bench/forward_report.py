#!/usr/bin/env python3
"""forward_report: turn one forward.sh run into its section of
doc/benchmarks.md and its part of doc/benchmarks.json.

    forward_report.py RESULTS DOCDIR

RESULTS holds "key value" lines (fwd.NAME.mbps, .cpu_per_gb, .rtt_p50,
.rtt_p99, .conn_rate, .conn_p50, .conn_p99, .conn_cpu_per_1000,
.conn_failed; meta.*). Prints the tables and the issue's targets, each
PASS or FAIL. In benchmarks.md the section sits between two marker comments
and replaces the previous one (report.py, which rewrites the rest of the
file, keeps it); in benchmarks.json it is the key "forward", whose
previous figures are shown beside the new ones.
"""

import json
import os
import sys

# One loader, one number format and one pair of section markers for
# both reports (report.py sits beside this script).
from report import FORWARD_BEGIN as BEGIN, FORWARD_END as END, load, num
from report import fmt as fmt2

PATHS = (
    ("direct", "direct, no forwarder (baseline)"),
    ("relay", "minimal C relay, two hops (reference)"),
    ("socat", "socat, two hops (plain relay)"),
    ("spiped", "spiped -e / -d"),
    ("ssh", "ssh -L, aes128-gcm@openssh.com"),
    ("integrity", "knock forward, integrity (AES-GMAC)"),
    ("encrypt", "knock forward, encrypt (AES-256-GCM)"),
    ("chacha", "knock forward, encrypt (ChaCha20-Poly1305)"),
)


# In the set-up table, what one connection costs each path.
SETUP = {
    "direct": "direct, no forwarder (baseline)",
    "relay": "minimal C relay, two hops (two forks per hop)",
    "socat": "socat, two hops (a fork per hop)",
    "spiped": "spiped -e / -d (its handshake)",
    "ssh": "ssh -L (a channel open; the session is already up)",
    "integrity": "knock forward, integrity (handshake + backend connect)",
    "encrypt": "knock forward, encrypt AES-256-GCM (the same)",
    "chacha": "knock forward, encrypt ChaCha20-Poly1305 (the same)",
}


def fmt(x, digits=1):
    return fmt2(x, digits)


def ratio(a, b):
    return a / b if a is not None and b else None


def main():
    results, docdir = sys.argv[1:3]
    r = load(results)
    jpath = os.path.join(docdir, "benchmarks.json")
    try:
        with open(jpath) as f:
            doc = json.load(f)
    except (FileNotFoundError, ValueError):
        doc = {}
    prev = doc.get("forward", {}).get("figures", {})

    fig = {}
    direct = num(r, "fwd.direct.rtt_p50")
    ssh, spiped = num(r, "fwd.ssh.mbps"), num(r, "fwd.spiped.mbps")
    lines = [
        "| path | MB/s | vs ssh -L | vs spiped | forwarders' CPU-s per GB "
        "(user + system) | RTT p50 (µs) | RTT p99 (µs) "
        "| added per hop (µs) | previous MB/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, label in PATHS:
        mbps = num(r, "fwd.%s.mbps" % name)
        cpu = num(r, "fwd.%s.cpu_per_gb" % name)
        cu = num(r, "fwd.%s.cpu_user" % name)
        cs = num(r, "fwd.%s.cpu_sys" % name)
        p50 = num(r, "fwd.%s.rtt_p50" % name)
        p99 = num(r, "fwd.%s.rtt_p99" % name)
        hop = (p50 - direct) / 2 if p50 is not None and direct is not None \
            and name != "direct" else None
        fig.update({name + ".mbps": mbps, name + ".cpu_per_gb": cpu,
                    name + ".rtt_p50": p50, name + ".rtt_p99": p99,
                    name + ".hop_us": hop})
        vs_ssh = ratio(mbps, ssh) if name not in ("direct", "ssh") else None
        vs_sp = ratio(mbps, spiped) if name not in ("direct", "spiped") \
            else None
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, fmt(mbps), "%.2fx" % vs_ssh if vs_ssh else "",
            "%.2fx" % vs_sp if vs_sp else "",
            "%s (%s + %s)" % (fmt(cpu, 2), fmt(cu, 2), fmt(cs, 2))
            if name != "direct" and cpu is not None else "",
            fmt(p50), fmt(p99), fmt(hop) if hop is not None else "",
            fmt(prev.get(name + ".mbps"))
            if prev.get(name + ".mbps") is not None else ""))
    table = "\n".join(lines)
    setup, conn_out = setup_table(r, prev, fig)

    integ, enc = num(r, "fwd.integrity.mbps"), num(r, "fwd.encrypt.mbps")
    targets = [       # (what, measured ratio, wanted at least)
        ("integrity vs ssh -L", ratio(integ, ssh), 2.0),
        ("encrypt vs ssh -L", ratio(enc, ssh), 1.7),
        ("integrity vs spiped", ratio(integ, spiped), 6.0),
        ("encrypt vs spiped", ratio(enc, spiped), 6.0),
    ]
    tl = ["| target | measured | wanted | met |", "|---|---:|---:|---|"]
    out = []
    for what, v, want in targets:
        met = v is not None and v >= want
        tl.append("| %s throughput | %s | >= %.1fx | %s |" % (
            what, "%.2fx" % v if v is not None else "n/a", want,
            "PASS" if met else "**FAIL**"))
        out.append("%s %s throughput: %s (wanted >= %.1fx)" % (
            "PASS" if met else "FAIL", what,
            "%.2fx" % v if v is not None else "n/a", want))
    for name in ("integrity", "encrypt"):
        hop = fig.get(name + ".hop_us")
        met = hop is not None and hop < 10
        tl.append("| %s: added round-trip latency per hop | %s µs | "
                  "< 10 µs | %s |" % (name, fmt(hop),
                                      "PASS" if met else "**FAIL**"))
        out.append("%s %s added round-trip latency per hop: %s us "
                   "(wanted < 10)" % ("PASS" if met else "FAIL", name,
                                      fmt(hop)))
    print(table)
    print()
    print(setup)
    print()
    print("\n".join(out))

    meta = {k[5:]: v for k, v in r.items() if k.startswith("meta.")}
    runs = ["%s %s" % (name, r["fwd.%s.runs" % name]) for name, _ in PATHS
            if "fwd.%s.runs" % name in r]
    section = SECTION.format(
        table=table, targets="\n".join(tl), setup=setup,
        conn_detail=conn_out,
        conn_workers=meta.get("conn_workers", "?"),
        conn_seconds=meta.get("conn_seconds", "?"),
        conn_max=meta.get("conn_max", "?"),
        gib="%g" % (int(meta.get("bytes", "0")) / 2**30),
        runs_detail="; ".join(runs), direct=fmt(direct),
        **{k: meta.get(k, "?") for k in
           ("date", "commit", "kernel", "cpus", "cpu", "runs", "pings",
            "socat", "spiped", "ssh")})
    section = "%s\n%s%s\n" % (BEGIN, section, END)

    md = os.path.join(docdir, "benchmarks.md")
    try:
        with open(md) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    a, b = text.find(BEGIN), text.find(END)
    if a >= 0 and b > a:
        text = text[:a] + section + text[b + len(END):].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(md, "w") as f:
        f.write(text)
    doc["forward"] = {"meta": meta, "figures": fig, "raw": r}
    with open(jpath, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    for path in (md, jpath):
        os.chmod(path, 0o644)   # the bench runs under umask 077


def setup_table(r, prev, fig):
    """The connection set-up table, and what it rests on (connections
    and seconds of each path) for the notes under it; adds its figures
    to fig."""
    ssh, spiped = num(r, "fwd.ssh.conn_rate"), num(r, "fwd.spiped.conn_rate")
    lines = [
        "| path | connections/s | vs ssh -L | vs spiped | set-up p50 (µs) "
        "| set-up p99 (µs) | forwarders' CPU-s per 1000 connections "
        "(user + system) | failed | previous connections/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    detail = []
    for name, _ in PATHS:
        k = "fwd.%s." % name
        rate = num(r, k + "conn_rate")
        if rate is None:
            continue
        cpu = num(r, k + "conn_cpu_per_1000")
        cu, cs = num(r, k + "conn_cpu_user"), num(r, k + "conn_cpu_sys")
        p50, p99 = num(r, k + "conn_p50"), num(r, k + "conn_p99")
        failed = num(r, k + "conn_failed")
        fig.update({name + ".conn_rate": rate,
                    name + ".conn_p50": p50, name + ".conn_p99": p99,
                    name + ".conn_cpu_per_1000": cpu,
                    name + ".conn_failed": failed})
        vs_ssh = ratio(rate, ssh) if name not in ("direct", "ssh") else None
        vs_sp = ratio(rate, spiped) if name not in ("direct", "spiped") \
            else None
        was = prev.get(name + ".conn_rate")
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            SETUP[name], fmt(rate, 0), "%.2fx" % vs_ssh if vs_ssh else "",
            "%.2fx" % vs_sp if vs_sp else "", fmt(p50), fmt(p99),
            "%s (%s + %s)" % (fmt(cpu, 2), fmt(cu, 2), fmt(cs, 2))
            if name != "direct" and cpu is not None else "",
            "%d" % failed if failed is not None else "n/a",
            fmt(was, 0) if was is not None else ""))
        detail.append("%s %s in %s s" % (name, r.get(k + "conn_done", "?"),
                                         r.get(k + "conn_seconds", "?")))
    return "\n".join(lines), "; ".join(detail)


SECTION = """## Forward mode: throughput, CPU and latency

Written by `make bench-forward` (also part of `make bench`;
tests/bench/forward.sh, then forward_report.py) from its last run.
One TCP stream of {gib} GiB through a client-side and a server-side
forwarder, all on the loopback of one network namespace, the best of
{runs} runs; then {pings} round trips of 64 bytes. The sender and the
receiver (tests/bench/fwdbench.c) write from and read into memory, 1 MiB
at a time.

- run: {date}, commit {commit}
- machine: kernel {kernel}, {cpus} CPUs ({cpu})
- compared: socat {socat}, spiped {spiped}, {ssh}

{table}

{targets}

- **MB/s**: 10^6 bytes per second, from the sender's first write to the
  receiver's one-byte confirmation that it has every byte. Every run:
  {runs_detail}.
- **Forwarders' CPU-s per GB**: the user and system time of every
  process of both forwarders (knock and knockd; both socats and their
  per-connection children; both spipeds; ssh and sshd with its session
  processes), from /proc, over all the runs, per 10^9 bytes.
- **RTT**: one 64-byte message written, the same 64 bytes read back
  (TCP_NODELAY at both ends), median and 99th percentile. **Added per
  hop**: (RTT through the pair of forwarders - RTT direct) / 2. The
  direct round trip, {direct} µs, is two process wake-ups (the echo's,
  then the sender's) and their system calls; each forwarder adds two
  more wake-ups per round trip, one in each direction.
- **Minimal C relay**: `fwdbench relay`, twice in a row, a process per
  direction that does blocking read() and write() of 128 KiB and nothing
  else: about the most any pair of forwarders that read and write every
  byte can do on this machine, with no crypto and no event loop.
- The machine has {cpus} CPUs for the sender, both forwarders and the
  receiver at once, so a forwarder that uses less CPU also leaves more
  to the others.

### Connection set-up rate

How many new connections per second a program can open through each
pair of forwarders: {conn_workers} processes (`fwdbench conn`) each
connect to the client-side forwarder, send one byte, read it back from
the far end (fwdbench's server answers it in its own event loop, without
a fork) and close, one connection after another, for {conn_seconds} s
or {conn_max} connections in all, after 20 unmeasured ones.

{setup}

- **What a connection costs**: for knock, the whole forward handshake
  (HELLO, ACCEPT, FINISH, the keys derived for the connection) and
  knockd's connect to the backend; for spiped, its handshake (by
  default with a Diffie-Hellman exchange per connection); for `ssh -L`,
  **only a channel open**: the SSH transport, its key exchange and the
  user's authentication happened once, before the measure, and every
  connection rides that one session. That is the comparison asked for:
  a new connection through knock beside a new channel in an SSH session
  already up. knockd's figures include its log of each connection (a
  line when it is connected, one when it closes; to a file here).
  socat and the minimal relay fork a process per
  connection on each hop (the relay one more per direction), so their
  figures are mostly this machine's fork, exit and wait.
- **connections/s**: connections whose byte came back, over the wall
  time from the start to the last worker's end. Every path:
  {conn_detail}.
- **Set-up p50 / p99**: from before connect() to the byte read back,
  with {conn_workers} connections under way at once on {cpus} CPUs, so
  it includes the wait for a CPU: a latency under load, not the least a
  connection can take.
- **CPU-s per 1000 connections**: as for the throughput, every process
  of both forwarders from /proc, over the measure, per 1000 connections
  answered; the kernel's work for the TCP set-ups is in the system time
  of whichever process it ran for.
- **failed**: connections refused, reset, cut before the byte came back,
  or stuck for more than 5 s at one step; the measure goes on without
  them.
"""

if __name__ == "__main__":
    main()
