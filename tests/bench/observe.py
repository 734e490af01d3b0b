#!/usr/bin/env python3
"""observe: server-side knock-to-open latency, seen from the server.

Run in the server's network namespace. It timestamps, on one clock
(CLOCK_REALTIME):

  * every UDP datagram arriving on IFACE for one of PORTS (a raw packet
    socket; the kernel's receive timestamp, SO_TIMESTAMPNS);
  * for knock, every COMEIN leaving from knockd's port (the kernel's
    transmit timestamp): knockd sends it only once the kernel has
    committed the element, so it bounds the opening from above;
  * for fwknop, which sends nothing back, every nftables change the
    kernel announces (a netfilter netlink socket in the NFNLGRP_NFTABLES
    group): a rule added. The kernel puts no timestamp on these, so the
    time is taken when the message is read, which adds this reader's
    wake-up (0.1-0.2 ms here) to fwknop's figure.

The latency of one round is from the first datagram after the previous
opening to that opening. Lines on stdout:

    open LATENCY_MS

until SIGTERM. Benchmark tool.

    observe.py IFACE KNOCK_PORT OTHER_PORT...
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
PROTO_COMEIN = 4


def udp_payload(frame):
    """(source port, destination port, payload) of a UDP frame, or None."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == ETH_P_IP and len(frame) >= 34:
        ihl = (frame[14] & 0x0F) * 4
        if frame[23] != 17:
            return None
        off = 14 + ihl
    elif ethertype == ETH_P_IPV6 and len(frame) >= 62:
        if frame[20] != 17:
            return None
        off = 54
    else:
        return None
    if len(frame) < off + 8:
        return None
    sport, dport = struct.unpack("!HH", frame[off:off + 4])
    return sport, dport, frame[off + 8:]


def kernel_time(anc):
    for level, typ, d in anc:
        if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack("=qq", d[:16])
            return sec + nsec / 1e9
    return time.clock_gettime(time.CLOCK_REALTIME)


def main():
    iface, knock_port = sys.argv[1], int(sys.argv[2])
    ports = {knock_port} | {int(p) for p in sys.argv[3:]}
    pkt = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                        socket.htons(0x0003))
    pkt.bind((iface, 0))
    pkt.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    nl.bind((0, 1 << (NFNLGRP_NFTABLES - 1)))
    nl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    first = None        # (time, port) of the round's first datagram
    marks = []          # knock: CHALLENGE out, RESPONSE in (for the log)
    newrule = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE
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
                opened |= mtype == newrule
                off += max((length + 3) & ~3, 16)
            if opened and first is not None and first[1] != knock_port:
                print("open %.3f" % ((now - first[0]) * 1e3), flush=True)
                first = None
        if pkt in ready:
            frame, anc, _, addr = pkt.recvmsg(2048, 64)
            udp = udp_payload(frame)
            if udp is None:
                continue
            sport, dport, payload = udp
            if addr[2] == socket.PACKET_OUTGOING:
                if (first is not None and first[1] == knock_port and
                        sport == knock_port and len(payload) > 1):
                    t = kernel_time(anc)
                    if payload[1] != PROTO_COMEIN:
                        marks.append(t)
                        continue
                    # open, then where the time went: server, client...
                    print("open %.3f %s" % ((t - first[0]) * 1e3, " ".join(
                        "%.3f" % ((b - a) * 1e3) for a, b in
                        zip([first[0]] + marks, marks + [t]))), flush=True)
                    first, marks = None, []
                continue
            if dport in ports:
                if first is None:
                    first = (kernel_time(anc), dport)
                elif dport == knock_port and marks:
                    marks.append(kernel_time(anc))


if __name__ == "__main__":
    main()
