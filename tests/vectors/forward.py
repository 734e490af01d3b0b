#!/usr/bin/env python3
"""Independent implementation of knock's forward mode (doc/protocol.md,
"Forward mode (TCP), version 1"), used to produce the test vectors in
doc/protocol.md ("Forward test vectors") and tests/unit/test_tunnel.c.

It shares no code with the C implementation: BLAKE2s and SHA-256 come from
Python's hashlib, HKDF is written out from RFC 5869 over Python's hmac
module, and the AEADs are those of the `cryptography` package. Run it to
print the vectors; tests/unit/test_tunnel.c asserts that the C code
produces the same bytes.
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers.aead import (AESGCM,
                                                         ChaCha20Poly1305)

MAGIC = b"KNF1"
HELLO, ACCEPT = 1, 2
DATA, END = 0, 1
AES256GCM, CHACHA20POLY1305, AES256GMAC = 1, 2, 3


# HKDF and the MAC, as the knock exchange's vectors use them.
from vectors import hkdf_sha256, mac  # noqa: E402


def user_keys(key):
    return (hkdf_sha256(key, b"knock forward v1 hello"),
            hkdf_sha256(key, b"knock forward v1 master"))


def hello(k_hello, user, flags, n_c):
    body = MAGIC + bytes([HELLO, flags, 0, 0])
    body += user.encode().ljust(32, b"\0") + n_c
    assert len(body) == 72
    return body + mac(k_hello, body)


def schedule(k_fwd, hello_msg, accept_head):
    """TH and the six outputs of the key schedule, by name."""
    assert len(hello_msg) == 104 and len(accept_head) == 72
    th = hashlib.sha256(hello_msg + accept_head).digest()
    okm = hkdf_sha256(k_fwd, b"knock forward v1 keys" + th, 152,
                      salt=hello_msg[40:72] + accept_head[40:72])
    cut = {"K_c2s": (0, 32), "K_s2c": (32, 64), "IV_c2s": (64, 76),
           "IV_s2c": (76, 88), "S_conf": (88, 120), "C_conf": (120, 152)}
    return th, {k: okm[a:b] for k, (a, b) in cut.items()}


def accept(k_fwd, hello_msg, suite, name, n_s):
    head = MAGIC + bytes([ACCEPT, suite, 0, 0])
    head += name.encode().ljust(32, b"\0") + n_s
    th, out = schedule(k_fwd, hello_msg, head)
    return head + out["S_conf"], th, out


def nonce(iv, counter):
    return bytes(a ^ b for a, b in zip(iv, bytes(4) +
                                       struct.pack(">Q", counter)))


def frame(suite, key, iv, counter, ftype, data):
    """The bytes of frame number counter on the wire: hdr, payload, tag."""
    hdr = bytes([ftype, 0]) + struct.pack(">H", len(data))
    n = nonce(iv, counter)
    if suite == AES256GCM:
        return hdr + AESGCM(key).encrypt(n, data, hdr)
    if suite == CHACHA20POLY1305:
        return hdr + ChaCha20Poly1305(key).encrypt(n, data, hdr)
    if suite == AES256GMAC:
        return hdr + data + AESGCM(key).encrypt(n, b"", hdr + data)
    raise ValueError(suite)


def main():
    key = bytes(range(32))
    k_hello, k_fwd = user_keys(key)
    n_c = bytes(range(0xa0, 0xc0))
    n_s = bytes(range(0xc0, 0xe0))
    h = hello(k_hello, "alice", 0, n_c)
    a, th, s = accept(k_fwd, h, AES256GCM, "git", n_s)
    out = {"K": key, "K_hello": k_hello, "K_fwd": k_fwd,
           "HELLO": h, "ACCEPT": a, "TH": th}
    out.update(s)
    out["FINISH"] = s["C_conf"]
    data = b"hello, world\n"
    for suite, tag in ((AES256GCM, "gcm"), (CHACHA20POLY1305, "chacha"),
                       (AES256GMAC, "gmac")):
        c2s = (s["K_c2s"], s["IV_c2s"])
        s2c = (s["K_s2c"], s["IV_s2c"])
        out[f"{tag}_c2s_0"] = frame(suite, *c2s, 0, DATA, data)
        out[f"{tag}_c2s_1"] = frame(suite, *c2s, 1, DATA, data)
        out[f"{tag}_c2s_2_end"] = frame(suite, *c2s, 2, END, b"")
        out[f"{tag}_s2c_0"] = frame(suite, *s2c, 0, DATA, data)
    for name, val in out.items():
        print(f"{name} = {val.hex()}")


if __name__ == "__main__":
    main()
