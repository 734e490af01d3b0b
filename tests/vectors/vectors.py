#!/usr/bin/env python3
"""Independent implementation of the knock v1 wire format, used to produce
the test vectors in doc/protocol.md and tests/unit/test_proto.c.

It shares no code with the C implementation: BLAKE2s comes from Python's
hashlib and HKDF is written out from RFC 5869 over Python's hmac module.
Run it to print the vectors; tests/unit/test_proto.c asserts that the C code
produces the same bytes.
"""
import hashlib
import hmac
import struct


def hkdf_sha256(ikm, info, length=32, salt=b""):
    if not salt:
        salt = b"\0" * 32
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, t, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    return okm[:length]


def mac(key, data):
    return hashlib.blake2s(data, key=key, digest_size=32).digest()


def msg(key, mtype, action, ipproto, port, code, epoch, duration, user,
        nonce, cookie):
    body = struct.pack(">BBBBHHII", 1, mtype, action, ipproto, port, code,
                       epoch, duration)
    body += user.encode().ljust(32, b"\0") + nonce + cookie
    assert len(body) == 96
    return body + mac(key, body)


def cookie(secret, epoch, peer16, peer_port, user, action, ipproto, port,
           nonce):
    data = bytes([1]) + struct.pack(">I", epoch) + peer16
    data += struct.pack(">H", peer_port) + user.encode().ljust(32, b"\0")
    data += bytes([action, ipproto]) + struct.pack(">H", port) + nonce
    assert len(data) == 75
    return mac(secret, data)


def main():
    key = bytes(range(32))
    c2s = hkdf_sha256(key, b"knock v1 client to server")
    s2c = hkdf_sha256(key, b"knock v1 server to client")
    nonce = bytes(range(0xa0, 0xb0))
    secret = bytes(range(0x40, 0x60))
    epoch = 0x01020304
    peer = bytes(10) + b"\xff\xff" + bytes([192, 0, 2, 2])
    ck = cookie(secret, epoch, peer, 40000, "alice", 1, 6, 22, nonce)
    out = {
        "key": key, "c2s": c2s, "s2c": s2c, "cookie": ck,
        "knock": msg(c2s, 1, 1, 6, 22, 0, 0, 0, "alice", nonce, bytes(32)),
        "challenge": msg(s2c, 2, 1, 6, 22, 0, epoch, 0, "alice", nonce, ck),
        "response": msg(c2s, 3, 1, 6, 22, 0, epoch, 0, "alice", nonce, ck),
        "comein": msg(s2c, 4, 1, 6, 22, 0, epoch, 30, "alice", nonce, ck),
        "goaway": msg(s2c, 5, 1, 6, 22, 1, epoch, 0, "alice", nonce, ck),
        "blake2s_kat_empty": mac(key, b""),
        "blake2s_kat_abc": mac(key, b"abc"),
    }
    for name, val in out.items():
        print(f"{name} = {val.hex()}")


if __name__ == "__main__":
    main()
