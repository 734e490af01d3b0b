#!/usr/bin/env python3
"""Independent implementation of knock's forward mode (doc/protocol.md,
"Forward mode (TCP), version 2"), used to produce the test vectors in
doc/protocol.md ("Forward test vectors") and tests/unit/test_tunnel.c,
and to decrypt a recorded session for
tests/integration/forward-secrecy-needs-the-ephemerals.sh.

It shares no code with the C implementation: BLAKE2s and SHA-256 come from
Python's hashlib, HKDF is written out from RFC 5869 over Python's hmac
module, and X25519 and the AEADs are those of the `cryptography` package.

    forward.py                 print the vectors
    forward.py decrypt REC K_HEX [E_C_PRIV_HEX]
                               decrypt the session recorded in REC (see
                               decrypt_main) with the user key K and, if
                               given, the client's ephemeral private key;
                               print the client's data (hex) and exit 0,
                               or exit 1 if the traffic keys cannot be had
"""
import hashlib
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import (X25519PrivateKey,
                                                              X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import (AESGCM,
                                                         ChaCha20Poly1305)

MAGIC = b"KNF2"
HELLO, ACCEPT = 1, 2
DATA, END = 0, 1
AES256GCM, CHACHA20POLY1305, AES256GMAC = 1, 2, 3
HELLO_LEN, ACCEPT_LEN, FINISH_LEN = 160, 104, 32


# HKDF, the MAC and key IDs, as the knock exchange's vectors use them.
from vectors import hkdf_sha256, key_id_shared, mac  # noqa: E402


def user_keys(key):
    return (hkdf_sha256(key, b"knock forward v2 hello"),
            hkdf_sha256(key, b"knock forward v2 master"))


def key_id(key):
    """The key ID of a shared key K (doc/protocol.md, "Keys")."""
    return key_id_shared(key)


def x25519_public(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key() \
        .public_bytes_raw()


def x25519(priv, pub):
    """X25519(priv, pub); ValueError for a small-order pub (all-zero)."""
    return X25519PrivateKey.from_private_bytes(priv).exchange(
        X25519PublicKey.from_public_bytes(pub))


def mapped(ip):
    """The 16-byte field of an address: IPv4 as ::ffff:a.b.c.d."""
    import ipaddress
    a = ipaddress.ip_address(ip)
    if a.version == 4:
        return bytes(10) + b"\xff\xff" + a.packed
    return a.packed


def hello(k_hello, user, flags, dst_port, key_id, dst_addr, name, e_c_pub):
    body = MAGIC + bytes([HELLO, flags]) + struct.pack(">H", dst_port)
    body += user.encode().ljust(32, b"\0") + key_id + dst_addr
    body += name.encode().ljust(32, b"\0") + e_c_pub
    assert len(body) == 128
    return body + mac(k_hello, body)


def schedule(k_fwd, dh, hello_msg, accept_head):
    """TH and the six outputs of the key schedule, by name."""
    assert len(hello_msg) == HELLO_LEN and len(accept_head) == 72
    th = hashlib.sha256(hello_msg + accept_head).digest()
    okm = hkdf_sha256(dh, b"knock forward v2 keys" + th, 152, salt=k_fwd)
    cut = {"K_c2s": (0, 32), "K_s2c": (32, 64), "IV_c2s": (64, 76),
           "IV_s2c": (76, 88), "S_conf": (88, 120), "C_conf": (120, 152)}
    return th, {k: okm[a:b] for k, (a, b) in cut.items()}


def accept(k_fwd, hello_msg, suite, name, e_s_priv):
    """The server's ACCEPT, with DH = X25519(e_s, E_c)."""
    head = MAGIC + bytes([ACCEPT, suite, 0, 0])
    head += name.encode().ljust(32, b"\0") + x25519_public(e_s_priv)
    dh = x25519(e_s_priv, hello_msg[96:128])
    th, out = schedule(k_fwd, dh, hello_msg, head)
    return head + out["S_conf"], dh, th, out


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


def unframe(suite, key, iv, stream):
    """The data of a direction's frames, checked; InvalidTag if not."""
    out, counter, at = b"", 0, 0
    while at < len(stream):
        ftype, zero, length = stream[at], stream[at + 1], \
            struct.unpack(">H", stream[at + 2:at + 4])[0]
        assert zero == 0 and ftype in (DATA, END)
        hdr = stream[at:at + 4]
        body = stream[at + 4:at + 4 + length + 16]
        n = nonce(iv, counter)
        if suite == AES256GCM:
            out += AESGCM(key).decrypt(n, body, hdr)
        elif suite == CHACHA20POLY1305:
            out += ChaCha20Poly1305(key).decrypt(n, body, hdr)
        else:
            AESGCM(key).decrypt(n, body[length:], hdr + body[:length])
            out += body[:length]
        at += 4 + length + 16
        counter += 1
        if ftype == END:
            break
    return out


# The vectors' inputs: documentation addresses, fixed ephemerals.
V_KEY = bytes(range(32))
V_DST = "192.0.2.1"
V_PORT = 2222
V_E_C = bytes(range(0xa0, 0xc0))
V_E_S = bytes(range(0xc0, 0xe0))


def main():
    k_hello, k_fwd = user_keys(V_KEY)
    e_c_pub = x25519_public(V_E_C)
    h = hello(k_hello, "alice", 0, V_PORT, key_id(V_KEY), mapped(V_DST),
              "git", e_c_pub)
    a, dh, th, s = accept(k_fwd, h, AES256GCM, "git", V_E_S)
    assert dh == x25519(V_E_C, a[40:72])
    out = {"K": V_KEY, "K_hello": k_hello, "K_fwd": k_fwd,
           "key_id": key_id(V_KEY),
           "e_c": V_E_C, "E_c": e_c_pub, "e_s": V_E_S, "E_s": a[40:72],
           "HELLO": h, "ACCEPT": a, "DH": dh, "TH": th}
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


def decrypt_main(rec_path, key_hex, e_c_hex=None):
    """
    REC holds what a recording relay saw of one connection, client to
    server first: "c2s HEX\\n" and "s2c HEX\\n", each the whole direction.
    Given only long-term secrets (the user key K) the DH is unknown, so
    the best an attacker can do is the key schedule with what it has; the
    frames must not open. With the client's ephemeral private key the DH
    is X25519(e_c, E_s), and the frames open.
    """
    rec = {}
    for line in open(rec_path):
        d, _, hx = line.strip().partition(" ")
        rec[d] = bytes.fromhex(hx)
    c2s, s2c = rec["c2s"], rec["s2c"]
    k_hello, k_fwd = user_keys(bytes.fromhex(key_hex))
    h, a = c2s[:HELLO_LEN], s2c[:ACCEPT_LEN]
    assert mac(k_hello, h[:128]) == h[128:], "HELLO not under this K"
    suite = a[5]
    if e_c_hex is not None:
        e_c = bytes.fromhex(e_c_hex)
        assert x25519_public(e_c) == h[96:128], "not this HELLO's e_c"
        dh = x25519(e_c, a[40:72])
    else:
        # K alone: every secret input the schedule has but the DH. The
        # guesses an attacker could make for it (the public keys, zero)
        # all fail; the property is that nothing better exists.
        for dh in (bytes(32), h[96:128], a[40:72]):
            _, s = schedule(k_fwd, dh, h, a[:72])
            if s["S_conf"] == a[72:]:
                break
        else:
            print("no traffic keys: S_conf matches no key schedule "
                  "without the ephemeral secret", file=sys.stderr)
            return 1
    _, s = schedule(k_fwd, dh, h, a[:72])
    if s["S_conf"] != a[72:] or s["C_conf"] != \
            c2s[HELLO_LEN:HELLO_LEN + FINISH_LEN]:
        print("no traffic keys: S_conf/C_conf do not match",
              file=sys.stderr)
        return 1
    try:
        data = unframe(suite, s["K_c2s"], s["IV_c2s"],
                       c2s[HELLO_LEN + FINISH_LEN:])
        back = unframe(suite, s["K_s2c"], s["IV_s2c"], s2c[ACCEPT_LEN:])
    except InvalidTag:
        print("frames do not open", file=sys.stderr)
        return 1
    print(f"c2s {data.hex()}")
    print(f"s2c {back.hex()}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "decrypt":
        sys.exit(decrypt_main(*sys.argv[2:]))
    main()
