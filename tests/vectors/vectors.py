#!/usr/bin/env python3
"""Independent implementation of the knock v2 wire format and key
derivation, used to produce the test vectors in doc/protocol.md and
tests/unit/test_proto.c.

It shares no code with the C implementation: BLAKE2s and SHA-256 come from
Python's hashlib, HKDF is written out from RFC 5869 over Python's hmac
module, and X25519 is python3-cryptography's. Run it to print the vectors;
tests/unit/test_proto.c asserts that the C code produces the same bytes.
"""
import hashlib
import hmac
import struct

MSG_LEN = 192


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


def x25519_public(priv):
    from cryptography.hazmat.primitives.asymmetric.x25519 import \
        X25519PrivateKey
    from cryptography.hazmat.primitives import serialization
    k = X25519PrivateKey.from_private_bytes(priv)
    return k.public_key().public_bytes(serialization.Encoding.Raw,
                                       serialization.PublicFormat.Raw)


def x25519(priv, pub):
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey, X25519PublicKey)
    return X25519PrivateKey.from_private_bytes(priv).exchange(
        X25519PublicKey.from_public_bytes(pub))


def key_id_shared(k):
    return hashlib.sha256(b"knock v2 shared key id" + k).digest()[:8]


def key_id_public(pub):
    return hashlib.sha256(b"knock v2 public key id" + pub).digest()[:8]


def pair_key(priv, peer, server_pub, client_pub, psk=b""):
    """K of a key pair, the same at both ends."""
    return hkdf_sha256(x25519(priv, peer),
                       b"knock v2 key pair" + server_pub + client_pub,
                       salt=psk)


def mapped(ipv4):
    return bytes(10) + b"\xff\xff" + bytes(ipv4)


def msg(key, mtype, action, ipproto, port, code, epoch, duration, user,
        key_id, server, server_port, target, nonce, cookie,
        source=bytes(16), source_port=0):
    body = struct.pack(">BBBBHHII", 2, mtype, action, ipproto, port, code,
                       epoch, duration)
    body += user.encode().ljust(32, b"\0") + key_id
    body += struct.pack(">HH", server_port, source_port) + bytes(4)
    body += server + target + source + nonce + cookie
    assert len(body) == MSG_LEN - 32
    return body + mac(key, body)


def cookie(secret, epoch, peer16, peer_port, user, key_id, action, ipproto,
           port, server, server_port, target, nonce):
    data = bytes([2]) + struct.pack(">I", epoch) + peer16
    data += struct.pack(">H", peer_port) + user.encode().ljust(32, b"\0")
    data += key_id + bytes([action, ipproto]) + struct.pack(">H", port)
    data += server + struct.pack(">H", server_port) + target + nonce
    assert len(data) == 117
    return mac(secret, data)


def main():
    key = bytes(range(32))
    c2s = hkdf_sha256(key, b"knock v2 client to server")
    s2c = hkdf_sha256(key, b"knock v2 server to client")
    kid = key_id_shared(key)
    nonce = bytes(range(0xa0, 0xb0))
    secret = bytes(range(0x40, 0x60))
    epoch = 0x01020304
    peer = mapped([192, 0, 2, 2])
    server = mapped([192, 0, 2, 1])
    target = bytes(16)
    req = ("alice", kid)
    ck = cookie(secret, epoch, peer, 40000, "alice", kid, 1, 6, 22, server,
                5800, target, nonce)
    host = mapped([198, 51, 100, 5])
    chain = b"admin".ljust(16, b"\0")
    ck_chain = cookie(secret, epoch, peer, 40000, "alice", kid, 1, 0, 0,
                      server, 5800, chain, nonce)

    def m(k, mtype, code, ep, duration, c):
        # The verdicts say where the server saw the client.
        seen = (peer, 40000) if mtype in (4, 5) else (bytes(16), 0)
        return msg(k, mtype, 1, 6, 22, code, ep, duration, *req, server,
                   5800, target, nonce, c, *seen)

    # Key pairs: the server's private key is bytes 0x60..0x7f, the
    # client's 0x80..0x9f, the preshared key 0xe0..0xff.
    spriv, cpriv = bytes(range(0x60, 0x80)), bytes(range(0x80, 0xa0))
    psk = bytes(range(0xe0, 0x100))
    spub, cpub = x25519_public(spriv), x25519_public(cpriv)
    kpair = pair_key(spriv, cpub, spub, cpub)
    assert kpair == pair_key(cpriv, spub, spub, cpub)
    kpsk = pair_key(spriv, cpub, spub, cpub, psk)
    assert kpsk == pair_key(cpriv, spub, spub, cpub, psk)
    pair_c2s = hkdf_sha256(kpair, b"knock v2 client to server")
    out = {
        "key": key, "c2s": c2s, "s2c": s2c, "key_id": kid, "cookie": ck,
        "knock": m(c2s, 1, 0, 0, 0, bytes(32)),
        "challenge": m(s2c, 2, 0, epoch, 0, ck),
        "response": m(c2s, 3, 0, epoch, 0, ck),
        "comein": m(s2c, 4, 0, epoch, 30, ck),
        "goaway": m(s2c, 5, 1, epoch, 0, ck),
        "server_public": spub, "client_public": cpub,
        "client_key_id": key_id_public(cpub),
        "pair_key": kpair, "pair_key_psk": kpsk, "pair_c2s": pair_c2s,
        "pair_knock": msg(pair_c2s, 1, 1, 6, 22, 0, 0, 0, "alice",
                          key_id_public(cpub), server, 5800, target, nonce,
                          bytes(32)),
        # Gateway mode: a host behind the server (IPv4, mapped), and a
        # chain (ipproto 0, port 0, the name NUL-padded), with the
        # verdict echoing the target under its own cookie.
        "knock_host": msg(c2s, 1, 1, 6, 22, 0, 0, 0, *req, server, 5800,
                          host, nonce, bytes(32)),
        "knock_chain": msg(c2s, 1, 1, 0, 0, 0, 0, 0, *req, server, 5800,
                           chain, nonce, bytes(32)),
        "cookie_chain": ck_chain,
        "comein_chain": msg(s2c, 4, 1, 0, 0, 0, epoch, 30, *req, server,
                            5800, chain, nonce, ck_chain, peer, 40000),
        "blake2s_kat_empty": mac(key, b""),
        "blake2s_kat_abc": mac(key, b"abc"),
    }
    for name, val in out.items():
        print(f"{name} = {val.hex()}")


if __name__ == "__main__":
    main()
