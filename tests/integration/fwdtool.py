#!/usr/bin/env python3
"""fwdtool.py: the test programs of the forward-mode scenarios.

Each runs inside a network namespace the scenario made (the caller wraps
it in "ip netns exec"), and every loop here is bounded in count and time.
Data is random (os.urandom) and every end hashes what it sent and what it
received, so "byte-exact" is checked by comparing SHA-256 digests between
the two ends ("compare"). A connection "ended clean" when each direction
saw end of stream, and "was reset" when any read or write on it failed
with ECONNRESET or EPIPE: what a forwarder that detects tampering must
make its ends see.

  backend --port P --log FILE --ready FILE [--bind ADDR] [--down N]
          [--after-eof] [--status FILE] [--seconds S]
      a TCP service: logs "accept ID" the moment it accepts a connection
      (so a scenario can prove there was none), sends N random bytes to
      each (at once, or only after the client's end of stream with
      --after-eof), then shuts down its write half; reads until end of
      stream; logs one "end ID ..." line per connection.
  client --connect HOST PORT [--count C] [--up N] [--after-eof]
         [--wait-first] [--hold FILE --hold-after N] [--seconds S]
      the local application: C connections, each sends N random bytes
      (after the backend's end of stream with --after-eof; only once
      every connection has its first byte with --wait-first), shuts down
      its write half and reads until end of stream. --hold: stop reading
      after N bytes until FILE exists (FILE.paused says when). Prints one
      "end ..." line per connection and a "summary" line.
  compare CLIENT-OUTPUT BACKEND-LOG [--count C]
      every connection ended clean and byte-exact both ways.
  relay --listen ADDR PORT --to HOST PORT --log FILE --ready FILE
        [--attack A] [--at N] [--find TEXT] [--seconds S]
      a man in the middle that understands the framing (not the keys).
      Attacks: none, flip-c2s, flip-s2c (one bit of frame N of that
      direction), truncate-c2s, truncate-s2c (a clean FIN instead of
      frame N and the rest), drop-DIR (frame N left out), dup-DIR (frame
      N twice), swap-DIR (frames N and N+1 in the other order),
      inject-DIR (a made-up frame before frame N), replay (the first
      connection passes and is recorded; each later one gets the
      recording sent to the server instead of its client's bytes),
      reflect-sconf (the server's S_conf sent back
      to it as FINISH), reflect-s2c (the server's frames back to the
      server), reflect-c2s (the client's frames back to the client),
      reflect-hello (the client's HELLO back to it as ACCEPT). --find
      TEXT: count where TEXT appears in the frames (found=N). --record
      FILE: write every byte of the first connection, "c2s HEX" and
      "s2c HEX", to FILE once it ends (for forward.py decrypt).
  hello --connect HOST PORT --user U (--key B64 | --bad-tag)
        [--key-id HEX | --key-id-of B64] [--dst ADDR] [--dst-port P] [--name N]
        [--partial N] [--finish good|bad|none] [--wait S]
      speak the handshake by hand and say what the server answered. The
      HELLO says it goes to ADDR port P (default: HOST and PORT), for
      forward N (default: none), with key id HEX (default: the key's).
  hold --connect HOST PORT --count N --partial B --ready FILE [--seconds S]
      N connections that each send B bytes of a HELLO and stall; report
      when and how the server closed each.
  flood --connect HOST PORT --count N --user U [--seconds S]
      N connections with well-formed HELLOs, random key ids and bad tags.
"""

import argparse
import base64
import errno
import hashlib
import hmac
import ipaddress
import os
import selectors
import signal
import socket
import struct
import sys
import time

MAX_SECONDS = 170       # a hard ceiling for every command
CHUNK = 256 * 1024      # bytes per read and per write
HELLO_LEN, ACCEPT_LEN = 160, 104
FINISH_LEN = 32
HDR_LEN, TAG_LEN = 4, 16
MAGIC = b"KNF2"
RESET_ERRNOS = (errno.ECONNRESET, errno.EPIPE)


def deadline_of(seconds):
    return time.monotonic() + min(seconds, MAX_SECONDS)


def touch(path, text="ready\n"):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def stop_on_term():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def reset_close(s):
    """Close with a reset (SO_LINGER 0), as a forwarder that gives up."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


def err_name(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else str(e)


# ---------------------------------------------------------------- the ends

class End:
    """One end of a test connection: sends `up` random bytes, reads until
    end of stream, hashes both. Non-blocking, driven by select."""

    def __init__(self, sock, cid, up, after_eof=False):
        self.sock, self.id = sock, cid
        self.up_left, self.after_eof = up, after_eof
        self.shash, self.rhash = hashlib.sha256(), hashlib.sha256()
        self.sent = self.recv = 0
        self.pending = memoryview(b"")
        self.rend = self.wend = None    # eof|reset|ERR, done|reset|ERR
        self.cut = False                # a reset seen anywhere
        self.may_send = not after_eof
        self.hold = False               # the reader is paused
        self.start = time.monotonic()
        sock.setblocking(False)

    def done(self):
        return self.rend is not None and self.wend is not None

    def wants(self):
        ev = 0
        if self.rend is None and not self.hold:
            ev |= selectors.EVENT_READ
        if self.wend is None and self.may_send:
            ev |= selectors.EVENT_WRITE
        return ev

    def broke(self, e):
        # A call that fails for another reason (shutdown() after the
        # peer's reset gives ENOTCONN) may leave the reset itself pending.
        pending = 0
        if e.errno not in RESET_ERRNOS:
            try:
                pending = self.sock.getsockopt(socket.SOL_SOCKET,
                                               socket.SO_ERROR)
            except OSError:
                pass
        reset = e.errno in RESET_ERRNOS or pending in RESET_ERRNOS
        self.cut = self.cut or reset
        what = "reset" if reset else err_name(e)
        if self.rend is None:
            self.rend = what
        if self.wend is None:
            self.wend = what

    def on_read(self):
        try:
            b = self.sock.recv(CHUNK)
        except BlockingIOError:
            return
        except OSError as e:
            self.broke(e)
            return
        if not b:
            self.rend = "eof"
            if self.after_eof:
                self.may_send = True
            return
        self.recv += len(b)
        self.rhash.update(b)

    def on_write(self):
        while True:
            if not self.pending:
                if self.up_left == 0:
                    try:
                        self.sock.shutdown(socket.SHUT_WR)
                        self.wend = "done"
                    except OSError as e:
                        self.broke(e)
                    return
                b = os.urandom(min(CHUNK, self.up_left))
                self.up_left -= len(b)
                self.shash.update(b)
                self.pending = memoryview(b)
            try:
                n = self.sock.send(self.pending)
            except BlockingIOError:
                return
            except OSError as e:
                self.broke(e)
                return
            self.sent += n
            self.pending = self.pending[n:]
            if self.pending:
                return

    def line(self):
        ended = "reset" if self.cut else (
            "clean" if self.rend == "eof" and self.wend == "done"
            else "broken")
        return ("end %d ended=%s sent=%d ssha=%s recv=%d rsha=%s rend=%s "
                "wend=%s secs=%.3f" % (
                    self.id, ended, self.sent, self.shash.hexdigest(),
                    self.recv, self.rhash.hexdigest(), self.rend,
                    self.wend, time.monotonic() - self.start))


def drive(sel, ends, fd_of, timeout=0.05):
    """One round of select over ends (a dict fd -> End)."""
    for fd, e in ends.items():
        ev = e.wants()
        key = sel.get_map().get(fd)
        if ev and key is None:
            sel.register(fd, ev, e)
        elif ev and key.events != ev:
            sel.modify(fd, ev, e)
        elif not ev and key is not None:
            sel.unregister(fd)
    if not sel.get_map():
        time.sleep(timeout)
        return
    for key, ev in sel.select(timeout):
        e = key.data
        if ev & selectors.EVENT_READ:
            e.on_read()
        if ev & selectors.EVENT_WRITE and e.wend is None:
            e.on_write()


def cmd_backend(a):
    stop_on_term()
    fam = family_of(a.bind)
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(1024)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    ends = {}
    accepted = peak = sent_done = recv_done = 0
    last_status = None
    end = deadline_of(a.seconds)
    log = open(a.log, "w", buffering=1)
    touch(a.ready)

    def status():
        nonlocal last_status
        if not a.status:
            return
        s = "accepted=%d active=%d peak=%d sent=%d recv=%d\n" % (
            accepted, len(ends), peak,
            sent_done + sum(e.sent for e in ends.values()),
            recv_done + sum(e.recv for e in ends.values()))
        if s != last_status:
            touch(a.status, s)
            last_status = s

    next_status = 0
    try:
        while time.monotonic() < end:
            # Accept everything waiting first: the log must show every
            # connection the moment it exists.
            for _ in range(1024):
                try:
                    c, peer = ls.accept()
                except BlockingIOError:
                    break
                accepted += 1
                log.write("accept %d %s\n" % (accepted, peer[0]))
                e = End(c, accepted, a.down, a.after_eof)
                ends[c.fileno()] = e
                peak = max(peak, len(ends))
            drive(sel, ends, None, 0.02)
            for fd in [fd for fd, e in ends.items() if e.done()]:
                e = ends.pop(fd)
                if sel.get_map().get(fd) is not None:
                    sel.unregister(fd)
                sent_done += e.sent
                recv_done += e.recv
                e.sock.close()
                log.write(e.line() + "\n")
            if time.monotonic() >= next_status:
                status()
                next_status = time.monotonic() + 0.1
    finally:
        for e in ends.values():
            log.write(e.line().replace("end ", "open ", 1) + "\n")
        status()
        log.close()
    return 0


def cmd_client(a):
    stop_on_term()
    ends = {}
    lines = []
    failed = 0
    end = deadline_of(a.seconds)
    out = sys.stdout
    for i in range(1, a.count + 1):
        s = socket.socket(family_of(a.host), socket.SOCK_STREAM)
        s.settimeout(max(0.1, min(5, end - time.monotonic())))
        try:
            s.connect((a.host, a.port))
        except ConnectionResetError:
            # The connection was made, and reset before connect() came
            # back to us (on a busy machine the forwarder can take it,
            # fail its tunnel and reset it first): a connection that was
            # cut with no byte either way, which is what it reports.
            e = End(s, i, 0, False)
            e.cut = True
            e.rend = e.wend = "reset"
            lines.append(e.line())
            s.close()
            continue
        except OSError as e:
            out.write("end %d ended=connect-failed %s\n" % (
                i, err_name(e) if e.errno else "timeout"))
            failed += 1
            s.close()
            continue
        e = End(s, i, a.up, a.after_eof)
        e.may_send = e.may_send and not a.wait_first
        ends[s.fileno()] = e
    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    waiting_first = a.wait_first
    paused = False
    while ends and time.monotonic() < end:
        if waiting_first and all(e.recv > 0 or e.rend for e in
                                 ends.values()):
            waiting_first = False
            for e in ends.values():
                e.may_send = not e.after_eof or e.rend is not None
        if a.hold:
            go = os.path.exists(a.hold)
            for e in ends.values():
                e.hold = not go and e.recv >= a.hold_after
                if e.hold and not paused:
                    paused = True
                    touch(a.hold + ".paused", "recv=%d\n" % e.recv)
        drive(sel, ends, None, 0.02)
        for fd in [fd for fd, e in ends.items() if e.done()]:
            e = ends.pop(fd)
            if sel.get_map().get(fd) is not None:
                sel.unregister(fd)
            e.sock.close()
            lines.append(e.line())
    for e in ends.values():
        e.rend = e.rend or "timeout"
        e.wend = e.wend or "timeout"
        lines.append(e.line())
        e.sock.close()
    took = time.monotonic() - t0
    for ln in lines:
        out.write(ln + "\n")
    kinds = [ln.split()[2] for ln in lines]
    out.write("summary conns=%d clean=%d reset=%d other=%d "
              "connect_failed=%d secs=%.3f\n" % (
                  a.count, kinds.count("ended=clean"),
                  kinds.count("ended=reset"),
                  len(kinds) - kinds.count("ended=clean") -
                  kinds.count("ended=reset"), failed, took))
    return 0


def end_lines(path, prefix="end "):
    res = []
    with open(path) as f:
        for ln in f:
            if not ln.startswith(prefix):
                continue
            d = {}
            for w in ln.split()[2:]:
                k, _, v = w.partition("=")
                d[k] = v
            res.append(d)
    return res


def cmd_compare(a):
    c = end_lines(a.client)
    b = end_lines(a.backend)
    bad = []
    if a.count is not None and len(c) != a.count:
        bad.append("the client has %d connections, not %d" % (len(c),
                                                             a.count))
    if a.count is not None and len(b) != a.count:
        bad.append("the backend ended %d connections, not %d" % (len(b),
                                                               a.count))
    for side, ends in (("client", c), ("backend", b)):
        n = sum(1 for d in ends if d.get("ended") != "clean")
        if n:
            bad.append("%d of the %s's connections did not end clean (%s)"
                       % (n, side, ", ".join(sorted(set(
                           "%s/%s/%s" % (d.get("ended"), d.get("rend"),
                                         d.get("wend"))
                           for d in ends if d.get("ended") != "clean")))))
    up_c = sorted("%s:%s" % (d.get("sent"), d.get("ssha")) for d in c)
    up_b = sorted("%s:%s" % (d.get("recv"), d.get("rsha")) for d in b)
    down_b = sorted("%s:%s" % (d.get("sent"), d.get("ssha")) for d in b)
    down_c = sorted("%s:%s" % (d.get("recv"), d.get("rsha")) for d in c)
    if up_c != up_b:
        bad.append("client to backend: %d streams differ" %
                   len(set(up_c) ^ set(up_b)))
    if down_b != down_c:
        bad.append("backend to client: %d streams differ" %
                   len(set(down_b) ^ set(down_c)))
    up = sum(int(d.get("sent", 0)) for d in c)
    down = sum(int(d.get("recv", 0)) for d in c)
    if bad:
        print("; ".join(bad))
        return 1
    print("byte-exact: %d connections, %d bytes up, %d bytes down" % (
        len(c), up, down))
    return 0


# ---------------------------------------------------------------- relay

class Dir:
    """The frames of one direction, as an observer sees them: the
    handshake messages (fixed sizes), then header, payload, tag."""

    def __init__(self, hs):
        self.buf = bytearray()
        self.off = 0
        self.hs = list(hs)
        self.msgs = 0           # handshake messages so far
        self.frames = 0

    def feed(self, b):
        if self.off:
            del self.buf[:self.off]
            self.off = 0
        self.buf += b

    def units(self):
        while True:
            avail = len(self.buf) - self.off
            if self.hs:
                n = self.hs[0]
                if avail < n:
                    return
                kind = "hs%d" % self.msgs
                self.msgs += 1
                self.hs.pop(0)
            else:
                if avail < HDR_LEN:
                    return
                n = HDR_LEN + struct.unpack_from(
                    ">H", self.buf, self.off + 2)[0] + TAG_LEN
                if avail < n:
                    return
                kind = "frame"
            u = bytes(self.buf[self.off:self.off + n])
            self.off += n
            if kind == "frame":
                self.frames += 1
            yield kind, u

    def rest(self):
        u = bytes(self.buf[self.off:])
        self.buf, self.off = bytearray(), 0
        return u


class Relay:
    LIMIT = 1 << 20     # bytes waiting for one socket before reads stop
    recorded = b""      # "replay": what the first client sent

    def __init__(self, cid, cli, srv, a, log, sel):
        self.id, self.a, self.log, self.sel = cid, a, log, sel
        self.cli, self.srv = cli, srv
        self.out = {cli: bytearray(), srv: bytearray()}
        self.shut_after = {cli: False, srv: False}     # FIN once flushed
        self.shut = {cli: False, srv: False}
        self.eof = {cli: False, srv: False}
        self.d = {cli: Dir([HELLO_LEN, FINISH_LEN]), srv: Dir([ACCEPT_LEN])}
        self.closed = False
        self.ends = {}
        self.fired = ""
        self.bytes = {cli: 0, srv: 0}
        self.held = b""
        self.found = 0          # --find: times the text was seen
        self.rec = {cli: bytearray(), srv: bytearray()}    # --record
        for s in (cli, srv):
            s.setblocking(False)
        if a.attack == "replay" and cid > 1 and Relay.recorded:
            # Everything the first client sent, HELLO, FINISH and frames,
            # sent again to the server as this connection's.
            self.out[srv] += Relay.recorded
            self.note("replaying the first connection's %d bytes" %
                      len(Relay.recorded))

    def note(self, text):
        self.fired = text
        self.log.write("conn %d %s\n" % (self.id, text))

    def other(self, s):
        return self.srv if s is self.cli else self.cli

    def route(self, src, kind, u):
        """Where unit u read from src goes: (socket or None, bytes)."""
        a, at = self.a.attack, self.a.at
        c2s = src is self.cli
        dst = self.other(src)
        d = self.d[src]
        if kind == "hs0" and c2s and a == "reflect-hello":
            self.note("reflected the HELLO to the client")
            return self.cli, u
        if kind == "hs0" and not c2s and a == "reflect-sconf":
            self.note("sent S_conf back to the server as FINISH")
            return self.srv, u[72:104]
        if a == "replay" and c2s and self.id > 1:
            return None, b""    # the recording speaks for this client
        if kind != "frame":
            return dst, u
        if self.a.find:
            self.found += u.count(self.a.find.encode())
        i = d.frames - 1
        mine = "c2s" if c2s else "s2c"
        if a == "flip-" + mine and i == at:
            b = bytearray(u)
            b[HDR_LEN if len(u) > HDR_LEN + TAG_LEN else len(u) - 1] ^= 1
            self.note("flipped one bit of %s frame %d (%d bytes)" % (
                mine, i, len(u)))
            return dst, bytes(b)
        if a == "drop-" + mine and i == at:
            self.note("dropped %s frame %d" % (mine, i))
            return None, b""
        if a == "dup-" + mine and i == at:
            self.note("sent %s frame %d twice" % (mine, i))
            return dst, u + u
        if a == "swap-" + mine and i in (at, at + 1):
            if i == at:
                self.held = u
                return None, b""
            self.note("swapped %s frames %d and %d" % (mine, at, i))
            return dst, u + self.held
        if a == "inject-" + mine and i == at:
            self.note("injected a frame before %s frame %d" % (mine, i))
            fake = bytes([0, 0]) + struct.pack(">H", 100) + \
                os.urandom(100 + TAG_LEN)
            return dst, fake + u
        if a == "truncate-" + mine and i >= at:
            if i == at:
                self.note("ended %s with a FIN before frame %d" % (mine, i))
                self.shut_after[dst] = True
            return None, b""
        if a == "reflect-s2c":
            if c2s:
                return None, b""
            if not self.fired:
                self.note("reflecting the server's frames back to it")
            return self.srv, u
        if a == "reflect-c2s":
            if not c2s:
                return None, b""
            if not self.fired:
                self.note("reflecting the client's frames back to it")
            return self.cli, u
        return dst, u

    def on_read(self, s):
        try:
            b = s.recv(CHUNK)
        except BlockingIOError:
            return
        except OSError as e:
            self.fail(s, e)
            return
        if not b:
            self.eof[s] = True
            self.ends[s] = "fin"
            rest = self.d[s].rest()
            if rest and not self.shut_after[self.other(s)]:
                self.out[self.other(s)] += rest
            self.shut_after[self.other(s)] = True
            return
        self.bytes[s] += len(b)
        if self.a.record and self.id == 1:
            self.rec[s] += b
        if self.a.attack == "replay" and self.id == 1 and s is self.cli \
                and len(Relay.recorded) < (1 << 20):
            Relay.recorded += b
        self.d[s].feed(b)
        for kind, u in self.d[s].units():
            dst, data = self.route(s, kind, u)
            if dst is not None and not self.shut[dst] and \
                    not self.shut_after[dst]:
                self.out[dst] += data

    def on_write(self, s):
        try:
            n = s.send(self.out[s])
        except BlockingIOError:
            return
        except OSError as e:
            self.fail(s, e)
            return
        del self.out[s][:n]

    def fail(self, s, e):
        """s broke: cut the other side too, with a reset."""
        self.ends[s] = "rst" if e.errno in RESET_ERRNOS else err_name(e)
        self.finish(reset=True)

    def finish(self, reset=False):
        if self.closed:
            return
        self.closed = True
        for s in (self.cli, self.srv):
            if self.sel.get_map().get(s.fileno()) is not None:
                self.sel.unregister(s)
            if reset:
                reset_close(s)
            else:
                s.close()
        if self.a.record and self.id == 1:
            with open(self.a.record + ".tmp", "w") as f:
                f.write("c2s %s\ns2c %s\n" % (self.rec[self.cli].hex(),
                                               self.rec[self.srv].hex()))
            os.rename(self.a.record + ".tmp", self.a.record)
        self.log.write(
            "end %d attack=%s fired=%s found=%d c2s_frames=%d "
            "s2c_frames=%d from_client=%d from_server=%d client=%s "
            "server=%s\n" % (
                self.id, self.a.attack, "yes" if self.fired else "no",
                self.found,
                self.d[self.cli].frames, self.d[self.srv].frames,
                self.bytes[self.cli], self.bytes[self.srv],
                self.ends.get(self.cli, "open"),
                self.ends.get(self.srv, "open")))

    def step(self):
        """Flush and shut what can be; True when the connection is over."""
        if self.closed:
            return True
        for s in (self.cli, self.srv):
            if self.shut_after[s] and not self.out[s] and not self.shut[s]:
                self.shut[s] = True
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError as e:
                    self.fail(s, e)
                    return True
        if all(self.eof.values()) and not any(self.out.values()):
            self.finish()
            return True
        return False

    def wants(self, s):
        if self.closed:
            return 0
        ev = 0
        full = any(len(b) > self.LIMIT for b in self.out.values())
        if not self.eof[s] and not full:
            ev |= selectors.EVENT_READ
        if self.out[s] and not self.shut[s]:
            ev |= selectors.EVENT_WRITE
        return ev


def cmd_relay(a):
    stop_on_term()
    ls = socket.socket(family_of(a.listen), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.listen, a.port))
    ls.listen(64)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    relays = []
    n = 0
    end = deadline_of(a.seconds)
    log = open(a.log, "w", buffering=1)
    touch(a.ready)
    try:
        while time.monotonic() < end:
            for key, ev in sel.select(0.05):
                if key.data is None:
                    try:
                        c, _ = ls.accept()
                    except BlockingIOError:
                        continue
                    n += 1
                    s = socket.create_connection((a.to, a.to_port), 5)
                    r = Relay(n, c, s, a, log, sel)
                    relays.append(r)
                    log.write("accept %d\n" % n)
                    for x in (c, s):
                        sel.register(x, selectors.EVENT_READ, r)
                    continue
                r, s = key.data, key.fileobj
                if r.closed:
                    continue
                if ev & selectors.EVENT_READ:
                    r.on_read(s)
                if ev & selectors.EVENT_WRITE and not r.closed:
                    r.on_write(s)
            for r in relays:
                if r.step():
                    continue
                for s in (r.cli, r.srv):
                    key = sel.get_map().get(s.fileno())
                    ev = r.wants(s)
                    if key is None and ev:
                        sel.register(s, ev, r)
                    elif key is not None and ev == 0:
                        sel.unregister(s)
                    elif key is not None and key.events != ev:
                        sel.modify(s, ev, r)
            relays = [r for r in relays if not r.closed]
    finally:
        for r in relays:
            r.finish(reset=True)
        log.close()
    return 0


# ---------------------------------------------------------------- handshake

def hkdf(ikm, info, length=32, salt=b""):
    prk = hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()
    okm, t, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    return okm[:length]


def user_keys(b64):
    """K_hello, K_fwd and the key ID of a shared key (doc/protocol.md)."""
    k = base64.b64decode(b64)
    return (hkdf(k, b"knock forward v2 hello"),
            hkdf(k, b"knock forward v2 master"),
            hashlib.sha256(b"knock v2 shared key id" + k).digest()[:8])


def mapped(ip):
    """An address as HELLO carries it: IPv4 as ::ffff:a.b.c.d."""
    a = ipaddress.ip_address(ip)
    if a.version == 4:
        return bytes(10) + b"\xff\xff" + a.packed
    return a.packed


def make_hello(user, k_hello, key_id=None, dst="0.0.0.0", port=0,
               name="", e_c_pub=None):
    """A HELLO; a random tag without k_hello, random E_c without one."""
    body = MAGIC + bytes([1, 0]) + struct.pack(">H", port) + \
        user.encode().ljust(32, b"\0") + (key_id or os.urandom(8)) + \
        mapped(dst) + name.encode().ljust(32, b"\0") + \
        (e_c_pub or os.urandom(32))
    tag = hashlib.blake2s(body, key=k_hello, digest_size=32).digest() \
        if k_hello is not None else os.urandom(32)
    return body + tag


def schedule(k_fwd, dh, hello, accept):
    th = hashlib.sha256(hello + accept[:72]).digest()
    okm = hkdf(dh, b"knock forward v2 keys" + th, 152, salt=k_fwd)
    return okm[88:120], okm[120:152]    # S_conf, C_conf


def wait_close(s, until):
    """Read until the server closes or the time is up: (bytes, how)."""
    got = b""
    while time.monotonic() < until:
        s.settimeout(max(0.01, until - time.monotonic()))
        try:
            b = s.recv(4096)
        except socket.timeout:
            return got, "open"
        except OSError as e:
            return got, "rst" if e.errno in RESET_ERRNOS else err_name(e)
        if not b:
            return got, "fin"
        got += b
    return got, "open"


def cmd_hello(a):
    # X25519 from python3-cryptography: scenarios that speak the
    # handshake check for it first (lib.sh: need_x25519).
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey, X25519PublicKey)
    k_hello = k_fwd = key_id = None
    if a.key:
        k_hello, k_fwd, key_id = user_keys(a.key)
    if a.key_id:
        key_id = bytes.fromhex(a.key_id)
    if a.key_id_of:
        key_id = user_keys(a.key_id_of)[2]
    e_c = X25519PrivateKey.generate()
    h = make_hello(a.user, None if a.bad_tag else k_hello, key_id,
                   a.dst or a.host, a.dst_port or a.port, a.name,
                   e_c.public_key().public_bytes_raw())
    s = socket.create_connection((a.host, a.port), 5)
    t0 = time.monotonic()
    s.sendall(h[:a.partial] if a.partial is not None else h)
    got = b""
    until = t0 + a.wait
    while len(got) < ACCEPT_LEN and time.monotonic() < until:
        s.settimeout(max(0.01, until - time.monotonic()))
        try:
            b = s.recv(ACCEPT_LEN - len(got))
        except socket.timeout:
            break
        except OSError as e:
            print("answer bytes=%d closed=%s secs=%.3f" % (
                len(got), "rst" if e.errno in RESET_ERRNOS else
                err_name(e), time.monotonic() - t0))
            return 0
        if not b:
            print("answer bytes=%d closed=fin secs=%.3f" % (
                len(got), time.monotonic() - t0))
            return 0
        got += b
    if len(got) < ACCEPT_LEN:
        print("answer bytes=%d closed=open secs=%.3f" % (
            len(got), time.monotonic() - t0))
        return 0
    ok = k_fwd is not None and got[:5] == MAGIC + b"\x02"
    s_conf = c_conf = None
    if ok:
        dh = e_c.exchange(X25519PublicKey.from_public_bytes(got[40:72]))
        s_conf, c_conf = schedule(k_fwd, dh, h, got)
        ok = hmac.compare_digest(s_conf, got[72:104])
    name = got[8:40].rstrip(b"\0").decode(errors="replace")
    print("accept %s suite=%d name=%s" % ("good" if ok else "bad", got[5],
                                         name))
    if a.finish == "none":
        # A client that proves nothing more: when does the server give up?
        rest, how = wait_close(s, time.monotonic() + a.wait)
        print("after-accept bytes=%d closed=%s secs=%.3f" % (
            len(rest), how, time.monotonic() - t0))
        return 0
    s.sendall(c_conf if a.finish == "good" and c_conf else os.urandom(32))
    rest, how = wait_close(s, time.monotonic() + a.wait)
    print("after-finish bytes=%d closed=%s" % (len(rest), how))
    return 0


def cmd_hold(a):
    stop_on_term()
    socks = []
    for _ in range(a.count):
        s = socket.create_connection((a.host, a.port), 5)
        if a.partial:
            s.sendall(make_hello("alice", None)[:a.partial])
        socks.append([s, time.monotonic(), None, None, 0])
    touch(a.ready)
    end = deadline_of(a.seconds)
    sel = selectors.DefaultSelector()
    for i, x in enumerate(socks):
        sel.register(x[0], selectors.EVENT_READ, i)
    while sel.get_map() and time.monotonic() < end:
        for key, _ in sel.select(0.05):
            x = socks[key.data]
            try:
                b = x[0].recv(4096)
            except OSError as e:
                b, how = None, "rst" if e.errno in RESET_ERRNOS else \
                    err_name(e)
            else:
                how = "fin"
            if b:
                x[4] += len(b)
                continue
            x[2], x[3] = time.monotonic() - x[1], how
            sel.unregister(x[0])
            x[0].close()
    closed = [x for x in socks if x[2] is not None]
    for i, x in enumerate(socks):
        print("conn %d closed=%s secs=%s bytes=%d" % (
            i + 1, x[3] or "open", "%.3f" % x[2] if x[2] is not None
            else "-", x[4]))
    print("summary held=%d closed=%d open=%d first=%s last=%s bytes=%d" % (
        a.count, len(closed), a.count - len(closed),
        "%.3f" % min(x[2] for x in closed) if closed else "-",
        "%.3f" % max(x[2] for x in closed) if closed else "-",
        sum(x[4] for x in socks)))
    return 0


def cmd_flood(a):
    end = deadline_of(a.seconds)
    silent = answered = stuck = failed = 0
    batch = 50
    i = 0
    while i < a.count and time.monotonic() < end:
        socks = []
        for _ in range(min(batch, a.count - i)):
            i += 1
            try:
                s = socket.create_connection((a.host, a.port), 2)
                s.sendall(make_hello(a.user, None))
                socks.append(s)
            except OSError:
                failed += 1
        for s in socks:
            got, how = wait_close(s, min(end, time.monotonic() + 2))
            if got:
                answered += 1
            elif how == "open":
                stuck += 1
            else:
                silent += 1
            s.close()
    print("flood sent=%d silent=%d answered=%d open=%d failed=%d" % (
        i, silent, answered, stuck, failed))
    return 0


# ---------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    c = sub.add_parser("backend")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--bind", default="127.0.0.1")
    c.add_argument("--log", required=True)
    c.add_argument("--ready", required=True)
    c.add_argument("--status", default="")
    c.add_argument("--down", type=int, default=0)
    c.add_argument("--after-eof", action="store_true")
    c.add_argument("--seconds", type=float, default=MAX_SECONDS)

    c = sub.add_parser("client")
    c.add_argument("--connect", nargs=2, metavar=("HOST", "PORT"),
                   required=True)
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--up", type=int, default=0)
    c.add_argument("--after-eof", action="store_true")
    c.add_argument("--wait-first", action="store_true")
    c.add_argument("--hold", default="")
    c.add_argument("--hold-after", type=int, default=0)
    c.add_argument("--seconds", type=float, default=60)

    c = sub.add_parser("compare")
    c.add_argument("client")
    c.add_argument("backend")
    c.add_argument("--count", type=int)

    c = sub.add_parser("relay")
    c.add_argument("--listen", nargs=2, metavar=("ADDR", "PORT"),
                   required=True)
    c.add_argument("--to", nargs=2, metavar=("HOST", "PORT"), required=True)
    c.add_argument("--log", required=True)
    c.add_argument("--ready", required=True)
    c.add_argument("--attack", default="none", choices=(
        "none", "flip-c2s", "flip-s2c", "truncate-c2s", "truncate-s2c",
        "drop-c2s", "drop-s2c", "dup-c2s", "dup-s2c", "swap-c2s",
        "swap-s2c", "inject-c2s", "inject-s2c", "replay",
        "reflect-sconf", "reflect-s2c", "reflect-c2s", "reflect-hello"))
    c.add_argument("--at", type=int, default=3)
    c.add_argument("--find", default="")
    c.add_argument("--record", default="")
    c.add_argument("--seconds", type=float, default=MAX_SECONDS)

    c = sub.add_parser("hello")
    c.add_argument("--connect", nargs=2, metavar=("HOST", "PORT"),
                   required=True)
    c.add_argument("--user", required=True)
    c.add_argument("--key", default="")
    c.add_argument("--bad-tag", action="store_true")
    c.add_argument("--key-id", default="")
    c.add_argument("--key-id-of", default="")
    c.add_argument("--dst", default="")
    c.add_argument("--dst-port", type=int, default=0)
    c.add_argument("--name", default="")
    c.add_argument("--partial", type=int)
    c.add_argument("--finish", default="none",
                   choices=("good", "bad", "none"))
    c.add_argument("--wait", type=float, default=2)

    c = sub.add_parser("hold")
    c.add_argument("--connect", nargs=2, metavar=("HOST", "PORT"),
                   required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--partial", type=int, default=0)
    c.add_argument("--ready", required=True)
    c.add_argument("--seconds", type=float, default=20)

    c = sub.add_parser("flood")
    c.add_argument("--connect", nargs=2, metavar=("HOST", "PORT"),
                   required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--user", default="alice")
    c.add_argument("--seconds", type=float, default=30)

    a = p.parse_args()
    for attr in ("connect", "to"):
        v = getattr(a, attr, None)
        if v:
            setattr(a, "host" if attr == "connect" else "to", v[0])
            setattr(a, "port" if attr == "connect" else "to_port", int(v[1]))
    if getattr(a, "listen", None) and a.cmd == "relay":
        a.listen, a.port = a.listen[0], int(a.listen[1])
    f = {"backend": cmd_backend, "client": cmd_client,
         "compare": cmd_compare, "relay": cmd_relay, "hello": cmd_hello,
         "hold": cmd_hold, "flood": cmd_flood}[a.cmd]
    return f(a)


if __name__ == "__main__":
    sys.exit(main())
