#!/usr/bin/env python3
"""observe: server-side knock-to-open latency, seen from the server.

Run in the server's network namespace. It timestamps, on one clock
(CLOCK_REALTIME):

  * every UDP datagram arriving on IFACE for one of PORTS (a raw packet
    socket; the kernel's receive timestamp, SO_TIMESTAMPNS);
  * every nftables change the kernel announces (a netfilter netlink socket
    in the NFNLGRP_NFTABLES group): a set element or a rule added. The
    kernel puts no timestamp on these, so the time is taken as soon as the
    message is read, which adds the reader's wake-up (tens of
    microseconds) to each measurement, for knock and fwknop alike.

The latency of one round is from the first datagram after the previous
opening to the next element or rule added. Lines on stdout:

    open LATENCY_MS

until SIGTERM. Benchmark tool.

    observe.py IFACE PORT...
"""

import select
import signal
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
SO_TIMESTAMPNS = 35
NETLINK_NETFILTER = 12
NFNLGRP_NFTABLES = 7
NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_NEWRULE = 6
NFT_MSG_NEWSETELEM = 12


def udp_dport(frame):
    """The UDP destination port of an Ethernet frame, or None."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == ETH_P_IP and len(frame) >= 34:
        ihl = (frame[14] & 0x0F) * 4
        if frame[23] != 17 or len(frame) < 14 + ihl + 4:
            return None
        return struct.unpack("!H", frame[14 + ihl + 2:14 + ihl + 4])[0]
    if ethertype == ETH_P_IPV6 and len(frame) >= 58:
        if frame[20] != 17:
            return None
        return struct.unpack("!H", frame[56:58])[0]
    return None


def main():
    iface, ports = sys.argv[1], {int(p) for p in sys.argv[2:]}
    pkt = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                        socket.htons(0x0003))
    pkt.bind((iface, 0))
    pkt.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    nl.bind((0, 1 << (NFNLGRP_NFTABLES - 1)))
    nl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    first = None
    want = {(NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE,
            (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM}
    print("ready", flush=True)
    while not stop:
        try:
            ready, _, _ = select.select([pkt, nl], [], [])
        except InterruptedError:
            continue
        if nl in ready:
            data = nl.recv(1 << 16)
            now = time.clock_gettime(time.CLOCK_REALTIME)
            off, opened = 0, False
            while off + 16 <= len(data):
                length, mtype = struct.unpack_from("=IH", data, off)
                opened |= mtype in want
                off += max((length + 3) & ~3, 16)
            if opened and first is not None:
                print("open %.3f" % ((now - first) * 1e3), flush=True)
                first = None
        if pkt in ready:
            frame, anc, _, addr = pkt.recvmsg(2048, 64)
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            if udp_dport(frame) not in ports or first is not None:
                continue
            for level, typ, d in anc:
                if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("=qq", d[:16])
                    first = sec + nsec / 1e9
            if first is None:
                first = time.clock_gettime(time.CLOCK_REALTIME)


if __name__ == "__main__":
    main()
