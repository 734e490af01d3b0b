#!/usr/bin/env python3
"""nettool.py: the small network tools knock's integration scenarios need.

Every command runs inside a network namespace the scenario created (the
caller wraps it in "ip netns exec"), and every loop here is bounded in
count and in time. The wire model (offsets, BLAKE2s MAC, HKDF labels)
follows src/common/proto.h and mac.h; "verify" lets a scenario check
this model against real traffic before it relies on it to forge.

  listen [--seconds S] [--banner TEXT] --ready FILE PORT...
  connect [--timeout S] [--banner] HOST PORT     exit 0 open, 1 not
  sniff --iface IF --port P --out FILE --ready FILE [--seconds S]
  send [--src ADDR] [--sport P] [--wait S] HOST PORT HEX...
  garbage [--key B64] [--user U] HOST PORT
  fake-server --port P --log FILE --ready FILE [--key B64 --user U]
              [--honest] [--replay HEX]... [--seconds S]
  verify --key B64 --dir c2s|s2c HEX
  udp-relay --port P --to HOST --to-port P --log FILE --ready FILE
            [--seconds S]                      (a keyless relay)
  nft-elements                                  (nft list set on stdin)
  raw6 --src ADDR --sport P (--knock-key B64 [--user U] | --syn) DST PORT
       one IPv6 packet built whole (IPPROTO_RAW), from any source, even
       an IPv4-mapped one no socket may bind: a KNOCK for U under the
       shared key, or a TCP SYN
"""

import argparse
import base64
import hashlib
import hmac
import os
import re
import select
import signal
import socket
import struct
import sys
import time

MSG_LEN = 192
VERSION = 2
OFF_VERSION, OFF_TYPE, OFF_ACTION, OFF_IPPROTO = 0, 1, 2, 3
OFF_PORT, OFF_CODE, OFF_EPOCH, OFF_DURATION = 4, 6, 8, 12
OFF_USER, OFF_KEY_ID, OFF_SERVER_PORT, OFF_SOURCE_PORT = 16, 48, 56, 58
OFF_SERVER, OFF_TARGET, OFF_SOURCE = 64, 80, 96
OFF_NONCE, OFF_COOKIE, OFF_MAC = 112, 128, 160
KNOCK, CHALLENGE, RESPONSE, COMEIN, GOAWAY = 1, 2, 3, 4, 5
TYPE_NAMES = {KNOCK: "KNOCK", CHALLENGE: "CHALLENGE", RESPONSE: "RESPONSE",
              COMEIN: "COMEIN", GOAWAY: "GOAWAY"}
LABEL_C2S = b"knock v2 client to server"
LABEL_S2C = b"knock v2 server to client"

# A hard ceiling for every command, whatever it is asked.
MAX_SECONDS = 170


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def hkdf(ikm, info):
    """HKDF-SHA256 with an empty salt, 32 bytes out (mac.h)."""
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def dir_key(b64, direction):
    key = base64.b64decode(b64)
    return hkdf(key, LABEL_C2S if direction == "c2s" else LABEL_S2C)


def key_id(b64):
    """The key ID of a shared key (userkey.h)."""
    return hashlib.sha256(b"knock v2 shared key id" +
                          base64.b64decode(b64)).digest()[:8]


def mac(key, data):
    return hashlib.blake2s(data, key=key, digest_size=32).digest()


def mapped(host):
    """The 16-byte form of an address: IPv4 as ::ffff:a.b.c.d."""
    if ":" in host:
        return socket.inet_pton(socket.AF_INET6, host)
    return bytes(10) + b"\xff\xff" + socket.inet_pton(socket.AF_INET, host)


def body(mtype, action=1, ipproto=6, port=22, code=0, epoch=0, duration=0,
         user=b"alice", nonce=None, cookie=None, version=VERSION, kid=None,
         server=None, server_port=5800):
    """The bytes the MAC covers. kid: random unless given; server: the
    address the datagram goes to (16 bytes), zero unless given."""
    b = bytearray(OFF_MAC)
    b[OFF_VERSION] = version
    b[OFF_TYPE] = mtype
    b[OFF_ACTION] = action
    b[OFF_IPPROTO] = ipproto
    struct.pack_into(">HHII", b, OFF_PORT, port, code, epoch, duration)
    b[OFF_USER:OFF_USER + len(user)] = user
    b[OFF_KEY_ID:OFF_KEY_ID + 8] = kid if kid is not None else os.urandom(8)
    struct.pack_into(">H", b, OFF_SERVER_PORT, server_port)
    if server is not None:
        b[OFF_SERVER:OFF_SERVER + 16] = server
    b[OFF_NONCE:OFF_NONCE + 16] = nonce if nonce is not None else os.urandom(16)
    if cookie is not None:
        b[OFF_COOKIE:OFF_COOKIE + 32] = cookie
    return bytes(b)


def sealed(b, key):
    return b + (mac(key, b) if key is not None else os.urandom(32))


def retyped(msg, mtype, code=None, duration=None, seen=None):
    """msg (at least OFF_MAC bytes) with another type and fields, MAC
    removed. A verdict (COMEIN, GOAWAY) says where the client was seen:
    seen = (host, port), else a made-up address."""
    b = bytearray(msg[:OFF_MAC])
    b[OFF_TYPE] = mtype
    if mtype in (COMEIN, GOAWAY):
        host, port = seen or ("192.0.2.2", 40000)
        b[OFF_SOURCE:OFF_SOURCE + 16] = mapped(host)
        struct.pack_into(">H", b, OFF_SOURCE_PORT, port)
    if code is not None:
        struct.pack_into(">H", b, OFF_CODE, code)
    if duration is not None:
        struct.pack_into(">I", b, OFF_DURATION, duration)
    return bytes(b)


def deadline_of(seconds):
    return time.monotonic() + min(seconds, MAX_SECONDS)


def touch(path):
    with open(path, "w") as f:
        f.write("ready\n")


def stop_on_term():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def cmd_listen(a):
    stop_on_term()
    socks = []
    for port in a.ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", port))
        s.listen(64)
        socks.append(s)
    touch(a.ready)
    end = deadline_of(a.seconds)
    while time.monotonic() < end:
        r, _, _ = select.select(socks, [], [], 0.5)
        for s in r:
            try:
                c, _ = s.accept()
                if a.banner:
                    c.sendall(a.banner.encode() + b"\r\n")
                c.close()
            except OSError:
                pass
    return 0


def cmd_connect(a):
    s = socket.socket(family_of(a.host), socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    try:
        s.connect((a.host, a.port))
    except ConnectionRefusedError:
        print("refused")
        return 1
    except OSError as e:
        print("no connection: %s" % (e.strerror or "timed out"))
        return 1
    line = ""
    if a.banner:
        try:
            line = s.recv(200).decode(errors="replace").strip()
        except OSError:
            pass
    s.close()
    print("open" + (": " + line if line else ""))
    return 0


def parse_frame(frame):
    """(src, sport, dst, dport, payload) of a UDP frame, or None."""
    if len(frame) < 14:
        return None
    etype = struct.unpack_from(">H", frame, 12)[0]
    p = frame[14:]
    if etype == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        if p[9] != 17:
            return None
        src = socket.inet_ntop(socket.AF_INET, p[12:16])
        dst = socket.inet_ntop(socket.AF_INET, p[16:20])
        total = struct.unpack_from(">H", p, 2)[0]
        u = p[ihl:total]
    elif etype == 0x86DD and len(p) >= 40:
        if p[6] != 17:
            return None
        src = socket.inet_ntop(socket.AF_INET6, p[8:24])
        dst = socket.inet_ntop(socket.AF_INET6, p[24:40])
        plen = struct.unpack_from(">H", p, 4)[0]
        u = p[40:40 + plen]
    else:
        return None
    if len(u) < 8:
        return None
    sport, dport, ulen = struct.unpack_from(">HHH", u, 0)
    return src, sport, dst, dport, bytes(u[8:ulen])


def cmd_sniff(a):
    stop_on_term()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((a.iface, 0))
    end = deadline_of(a.seconds)
    with open(a.out, "w") as out:
        touch(a.ready)
        while time.monotonic() < end:
            r, _, _ = select.select([s], [], [], 0.2)
            if not r:
                continue
            u = parse_frame(s.recv(65535))
            if u is None or a.port not in (u[1], u[3]):
                continue
            out.write("%s %d %s %d %s\n" % (u[0], u[1], u[2], u[3],
                                            u[4].hex() or "-"))
            out.flush()
    return 0


def cmd_send(a):
    fam = family_of(a.host)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((a.src or ("::" if fam == socket.AF_INET6 else "0.0.0.0"),
                a.sport))
    except OSError as e:
        print("cannot bind port %d: %s" % (a.sport, e.strerror))
        return 2
    for h in a.hex:
        s.sendto(bytes.fromhex(h), (a.host, a.port))
    n = 0
    end = deadline_of(a.wait)
    while time.monotonic() < end and n < 100:
        r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
        if not r:
            break
        data, peer = s.recvfrom(4096)
        n += 1
        t = data[OFF_TYPE] if len(data) > OFF_TYPE else 0
        print("reply %s %d %s %s" % (peer[0], peer[1],
                                     TYPE_NAMES.get(t, "?"), data.hex()))
    print("sent %d replies %d" % (len(a.hex), n))
    return 0


def garbage_set(b64, user, host):
    """Datagrams by the counter that must count them."""
    rnd = os.urandom
    g = {"malformed": [], "unknown user": [], "unknown key": [],
         "bad MAC": [], "bad or stale cookie": []}
    kid = key_id(b64) if b64 else None
    srv = mapped(host)
    m = g["malformed"]
    # Wrong sizes, from empty to more than the daemon's receive buffer;
    # 128 is a v1 message's.
    for n in (0, 1, 2, 64, 95, 96, 127, 128, 129, 176, 191, 193, 255, 256,
              257, 384, 385, 512, 1400, 1500):
        m += [rnd(n) for _ in range(40)]
    # The right size, random: a version byte other than 2 ...  (a v1
    # client's 128 bytes are among the sizes above)
    for _ in range(300):
        v = rnd(1)[0] % 255
        m.append(bytes([v if v != VERSION else 255]) + rnd(MSG_LEN - 1))
    # ... and version 2 with random fields (user padding cannot be right).
    m += [bytes([VERSION]) + rnd(MSG_LEN - 1) for _ in range(300)]
    # A v1 KNOCK as a v1 client sends it: 128 bytes, version 1.
    m += [bytes([1]) + body(KNOCK)[1:96] + rnd(32) for _ in range(40)]
    # Well formed but for one field.
    for v in (0, 1, 3, 255):
        m += [sealed(body(KNOCK, version=v), None) for _ in range(40)]
    for t in (0, CHALLENGE, COMEIN, GOAWAY, 6, 255):
        m += [sealed(body(t), None) for _ in range(30)]
    m += [sealed(body(KNOCK, cookie=rnd(32)), None) for _ in range(40)]
    m += [sealed(body(KNOCK, action=x), None) for x in (0, 3) for _ in
          range(20)]
    m += [sealed(body(KNOCK, ipproto=x), None) for x in (0, 1, 58) for _ in
          range(20)]
    m += [sealed(body(KNOCK, port=0), None) for _ in range(20)]
    m += [sealed(body(KNOCK, epoch=7), None) for _ in range(20)]
    m += [sealed(body(KNOCK, user=u), None) for u in
          (b"", b"bad user", b"al\x00ce", b"al/ice") for _ in range(20)]
    m += [sealed(body(RESPONSE, duration=5, cookie=rnd(32)), None)
          for _ in range(20)]
    m += [sealed(body(KNOCK, server_port=0), None) for _ in range(20)]
    reserved = bytearray(body(KNOCK))
    reserved[OFF_SOURCE_PORT + 3] = 1
    m += [sealed(bytes(reserved), None) for _ in range(20)]
    # Well formed, for nobody the server knows.
    g["unknown user"] = [sealed(body(t, user=b"mallory",
                                     cookie=rnd(32) if t == RESPONSE
                                     else None), None)
                         for t in (KNOCK, RESPONSE) for _ in range(150)]
    # The real user, and a key ID the user does not have.
    g["unknown key"] = [sealed(body(t, user=user, cookie=rnd(32)
                                    if t == RESPONSE else None), None)
                        for t in (KNOCK, RESPONSE) for _ in range(100)]
    if not b64:
        return g
    # Well formed, for the real user and key ID, without the key.
    g["bad MAC"] = [sealed(body(t, user=user, kid=kid, server=srv,
                                cookie=rnd(32) if t == RESPONSE else None),
                           None)
                    for t in (KNOCK, RESPONSE) for _ in range(150)]
    # With the key, a RESPONSE whose cookie the server never made.
    k = dir_key(b64, "c2s")
    g["bad or stale cookie"] = [
        sealed(body(RESPONSE, user=user, kid=kid, server=srv,
                    epoch=struct.unpack(">I", rnd(4))[0], cookie=rnd(32)),
               k) for _ in range(200)]
    return g


def cmd_garbage(a):
    fam = family_of(a.host)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setblocking(False)
    g = garbage_set(a.key, a.user.encode(), a.host)
    sent = replies = 0
    end = deadline_of(20)
    for name in g:
        for d in g[name]:
            if time.monotonic() >= end:
                break
            try:
                s.sendto(d, (a.host, a.port))
                sent += 1
            except BlockingIOError:
                time.sleep(0.01)
            # Paced, so the daemon's socket buffer never overflows and
            # every datagram is counted.
            if sent % 8 == 0:
                time.sleep(0.001)
            try:
                s.recv(4096)
                replies += 1
            except OSError:
                pass
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], 0.1)
        if r:
            try:
                s.recv(4096)
                replies += 1
            except OSError:
                pass
    for name in g:
        print("%s=%d" % (name.replace(" ", "_"), len(g[name])))
    # What knockd's socket filter (listen.c) drops in the kernel: wrong
    # size, version, or a type no client sends. All of it is malformed.
    print("filtered=%d" % sum(
        1 for d in g["malformed"]
        if len(d) != MSG_LEN or d[OFF_VERSION] != VERSION or
        d[OFF_TYPE] not in (KNOCK, RESPONSE)))
    print("sent=%d" % sent)
    print("replies=%d" % replies)
    return 0


def fake_answers(req, a):
    """What a forger without the key (or with the wrong one) can send."""
    out = []
    b = req[:OFF_MAC]
    s2c = dir_key(a.key, "s2c") if a.key else None
    c2s = dir_key(a.key, "c2s") if a.key else None
    cookie = os.urandom(32)
    chal = bytearray(retyped(b, CHALLENGE))
    chal[OFF_EPOCH:OFF_EPOCH + 4] = os.urandom(4)
    chal[OFF_COOKIE:OFF_COOKIE + 32] = cookie
    chal = bytes(chal)
    out.append(req)                                     # reflected as is
    out.append(sealed(chal, None))                      # no key
    out.append(sealed(retyped(b, COMEIN, duration=30), None))
    out.append(sealed(retyped(b, GOAWAY, code=1), None))
    out.append(req[:100])                               # truncated
    out.append(req + b"\0" * MSG_LEN)                   # too long
    if c2s is not None:
        # The client's own direction key: a reflection must not pass.
        out.append(sealed(chal, c2s))
        out.append(sealed(retyped(b, COMEIN, duration=30), c2s))
    if s2c is not None:
        # The right key, but for another exchange (another nonce).
        other = bytearray(chal)
        other[OFF_NONCE:OFF_NONCE + 16] = os.urandom(16)
        out.append(sealed(bytes(other), s2c))
        # A verdict before any RESPONSE was sent: wrong stage.
        out.append(sealed(retyped(b, COMEIN, duration=30), s2c))
    out += [bytes.fromhex(h) for h in a.replay]
    return out


def cmd_fake_server(a):
    stop_on_term()
    fam = family_of(a.bind)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    s2c = dir_key(a.key, "s2c") if a.key else None
    end = deadline_of(a.seconds)
    n = 0
    with open(a.log, "w") as log:
        touch(a.ready)
        while time.monotonic() < end and n < 1000:
            r, _, _ = select.select([s], [], [], 0.2)
            if not r:
                continue
            data, peer = s.recvfrom(4096)
            n += 1
            t = data[OFF_TYPE] if len(data) == MSG_LEN else 0
            log.write("got %s from %s %d\n" % (TYPE_NAMES.get(t, "?"),
                                               peer[0], peer[1]))
            log.flush()
            if len(data) != MSG_LEN:
                continue
            if a.honest and s2c is not None:
                # Play the server's part correctly: the positive control.
                if t == KNOCK:
                    chal = bytearray(retyped(data, CHALLENGE))
                    chal[OFF_EPOCH:OFF_EPOCH + 4] = b"\0\0\0\x2a"
                    chal[OFF_COOKIE:OFF_COOKIE + 32] = os.urandom(32)
                    ans = [sealed(bytes(chal), s2c)]
                elif t == RESPONSE:
                    ans = [sealed(retyped(data, COMEIN, duration=30), s2c)]
                else:
                    ans = []
            else:
                ans = fake_answers(data, a) if t == KNOCK else []
            for d in ans:
                s.sendto(d, peer)
    return 0


def cmd_udp_relay(a):
    """What a host a client was misled to can do without any key: pass
    each datagram on to the real server from its own address, and the
    answers back to the client."""
    stop_on_term()
    front = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    front.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    front.bind(("::", a.port))
    back = socket.socket(family_of(a.to), socket.SOCK_DGRAM)
    back.connect((a.to, a.to_port))
    client = None
    end = deadline_of(a.seconds)
    n = 0
    with open(a.log, "w") as log:
        touch(a.ready)
        while time.monotonic() < end and n < 1000:
            r, _, _ = select.select([front, back], [], [], 0.2)
            for s in r:
                try:
                    data, peer = s.recvfrom(4096)
                except OSError:
                    continue
                n += 1
                if s is front:
                    client = peer
                    back.send(data)
                    log.write("relayed %d bytes to the server\n" % len(data))
                elif client is not None:
                    front.sendto(data, client)
                    log.write("relayed %d bytes to the client\n" % len(data))
                log.flush()
    return 0


def inet_sum(b):
    """The Internet checksum (RFC 1071) of b."""
    if len(b) % 2:
        b += b"\0"
    n = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while n >> 16:
        n = (n & 0xffff) + (n >> 16)
    return ~n & 0xffff


def ipv6_packet(src, dst, proto, l4, csum_off):
    """An IPv6 header and l4, whose checksum (at csum_off, zero in l4)
    covers the pseudo-header (RFC 8200 8.1)."""
    s = socket.inet_pton(socket.AF_INET6, src)
    d = socket.inet_pton(socket.AF_INET6, dst)
    c = inet_sum(s + d + struct.pack("!I3xB", len(l4), proto) + l4)
    if proto == 17 and c == 0:
        c = 0xffff	# zero means "no checksum", forbidden over IPv6
    l4 = l4[:csum_off] + struct.pack("!H", c) + l4[csum_off + 2:]
    return struct.pack("!IHBB", 6 << 28, len(l4), proto, 64) + s + d + l4


def cmd_raw6(a):
    if a.syn:
        l4 = struct.pack("!HHIIBBHHH", a.sport, a.port,
                         int.from_bytes(os.urandom(4), "big"), 0, 5 << 4,
                         0x02, 65535, 0, 0)
        pkt = ipv6_packet(a.src, a.host, 6, l4, 16)
    else:
        msg = sealed(body(KNOCK, user=a.user.encode(), kid=key_id(a.knock_key),
                          server=mapped(a.host), server_port=a.port),
                     dir_key(a.knock_key, "c2s"))
        l4 = struct.pack("!HHHH", a.sport, a.port, 8 + len(msg), 0) + msg
        pkt = ipv6_packet(a.src, a.host, 17, l4, 6)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(pkt, (a.host, 0))
    print("sent %d bytes from %s" % (len(pkt), a.src))
    return 0


def cmd_verify(a):
    d = bytes.fromhex(a.hex)
    k = dir_key(a.key, a.dir)
    ok = len(d) == MSG_LEN and hmac.compare_digest(mac(k, d[:OFF_MAC]),
                                                   d[OFF_MAC:])
    print("good" if ok else "bad")
    return 0 if ok else 1


def ms(text):
    """An nft duration such as 1m2s30ms, in milliseconds."""
    total = 0
    for n, unit in re.findall(r"(\d+)(ms|d|h|m|s)", text):
        total += int(n) * {"d": 86400000, "h": 3600000, "m": 60000,
                           "s": 1000, "ms": 1}[unit]
    return total


def cmd_nft_elements(a):
    """One line per element: ADDR PROTO PORT TIMEOUT_MS EXPIRES_MS."""
    text = sys.stdin.read()
    m = re.search(r"elements\s*=\s*\{(.*?)\}", text, re.S)
    if not m:
        return 0
    for e in m.group(1).split(","):
        e = " ".join(e.split())
        if not e:
            continue
        f = re.match(r"(\S+) \. (\S+) \. (\S+)(.*)$", e)
        if not f:
            print("unparsed %s" % e.replace(" ", "_"))
            continue
        rest = f.group(4)
        t = re.search(r"timeout (\S+)", rest)
        x = re.search(r"expires (\S+)", rest)
        print("%s %s %s %d %d" % (f.group(1), f.group(2), f.group(3),
                                  ms(t.group(1)) if t else -1,
                                  ms(x.group(1)) if x else -1))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    c = sub.add_parser("listen")
    c.add_argument("--seconds", type=float, default=MAX_SECONDS)
    c.add_argument("--banner", default="")
    c.add_argument("--ready", required=True)
    c.add_argument("ports", type=int, nargs="+")

    c = sub.add_parser("connect")
    c.add_argument("--timeout", type=float, default=1.0)
    c.add_argument("--banner", action="store_true")
    c.add_argument("host")
    c.add_argument("port", type=int)

    c = sub.add_parser("sniff")
    c.add_argument("--iface", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--ready", required=True)
    c.add_argument("--seconds", type=float, default=MAX_SECONDS)

    c = sub.add_parser("send")
    c.add_argument("--src", default="")
    c.add_argument("--sport", type=int, default=0)
    c.add_argument("--wait", type=float, default=1.0)
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("hex", nargs="+")

    c = sub.add_parser("garbage")
    c.add_argument("--key", default="")
    c.add_argument("--user", default="alice")
    c.add_argument("host")
    c.add_argument("port", type=int)

    c = sub.add_parser("fake-server")
    c.add_argument("--bind", default="::")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--log", required=True)
    c.add_argument("--ready", required=True)
    c.add_argument("--key", default="")
    c.add_argument("--honest", action="store_true")
    c.add_argument("--replay", action="append", default=[])
    c.add_argument("--seconds", type=float, default=MAX_SECONDS)

    c = sub.add_parser("verify")
    c.add_argument("--key", required=True)
    c.add_argument("--dir", choices=("c2s", "s2c"), required=True)
    c.add_argument("hex")

    c = sub.add_parser("udp-relay")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--to", required=True)
    c.add_argument("--to-port", type=int, required=True)
    c.add_argument("--log", required=True)
    c.add_argument("--ready", required=True)
    c.add_argument("--seconds", type=float, default=MAX_SECONDS)

    sub.add_parser("nft-elements")

    c = sub.add_parser("raw6")
    c.add_argument("--src", required=True)
    c.add_argument("--sport", type=int, default=40000)
    w = c.add_mutually_exclusive_group(required=True)
    w.add_argument("--knock-key")
    w.add_argument("--syn", action="store_true")
    c.add_argument("--user", default="alice")
    c.add_argument("host")
    c.add_argument("port", type=int)

    a = p.parse_args()
    f = {"listen": cmd_listen, "connect": cmd_connect, "sniff": cmd_sniff,
         "send": cmd_send, "garbage": cmd_garbage,
         "fake-server": cmd_fake_server, "verify": cmd_verify,
         "udp-relay": cmd_udp_relay,
         "nft-elements": cmd_nft_elements, "raw6": cmd_raw6}[a.cmd]
    return f(a)


if __name__ == "__main__":
    sys.exit(main())
