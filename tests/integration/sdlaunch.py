#!/usr/bin/env python3
"""sdlaunch: start a program the way systemd starts knockd.service.

What knockd.socket and knockd.service ask of systemd, done by hand so a
test can check knockd's side without systemd as PID 1:

  * sockets made in the caller's network namespace and passed as
    descriptors 3, 4, ... with LISTEN_FDS and LISTEN_PID (ListenDatagram=,
    ListenNetlink=netfilter);
  * the program itself moved to another network namespace first
    (PrivateNetwork=), so it can use only the sockets it was given;
  * a notification socket (NOTIFY_SOCKET) whose messages are printed, one
    line each: "notify: READY=1 | STATUS=...".

    sdlaunch.py [--udp ADDR:PORT[/dual]]... [--netlink] [--netns FILE]
                [--pidfile FILE] -- PROGRAM ARGS...

The launcher waits for the program and exits with its status (128 + the
signal if it was killed). "/dual" makes an IPv6 wildcard socket that also
takes IPv4 (BindIPv6Only=both); others are IPv6-only.
"""

import argparse
import ctypes
import fcntl
import os
import select
import socket
import sys
import tempfile

CLONE_NEWNET = 0x40000000
NETLINK_NETFILTER = 12


def udp_socket(spec):
    dual = spec.endswith("/dual")
    spec = spec.removesuffix("/dual")
    host, _, port = spec.rpartition(":")
    host = host.strip("[]")
    if ":" in host:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual else 1)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    return s


def netlink_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--udp", action="append", default=[])
    ap.add_argument("--netlink", action="store_true")
    ap.add_argument("--netns")
    ap.add_argument("--pidfile")
    ap.add_argument("argv", nargs="+")
    a = ap.parse_args()

    socks = [udp_socket(s) for s in a.udp]
    if a.netlink:
        socks.append(netlink_socket())
    tmp = tempfile.mkdtemp(prefix="sdlaunch.")
    npath = os.path.join(tmp, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(npath)
    # As /run/systemd/notify: a path (an abstract name would not cross
    # into another network namespace) any service user may write to.
    os.chmod(tmp, 0o711)
    os.chmod(npath, 0o666)

    pid = os.fork()
    if pid == 0:
        try:
            if a.netns:
                libc = ctypes.CDLL(None, use_errno=True)
                fd = os.open(a.netns, os.O_RDONLY)
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns " + a.netns)
                os.close(fd)
            # Out of the way first, then to 3, 4, ...: no clobbering.
            fds = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 100) for s in socks]
            for i, f in enumerate(fds):
                os.dup2(f, 3 + i, inheritable=True)
            env = dict(os.environ)
            env["LISTEN_FDS"] = str(len(fds))
            env["LISTEN_PID"] = str(os.getpid())
            env["NOTIFY_SOCKET"] = npath
            os.closerange(3 + len(fds), 1024)
            os.execve(a.argv[0], a.argv, env)
        except OSError as e:
            print("sdlaunch: %s" % e, file=sys.stderr, flush=True)
            os._exit(127)
    for s in socks:
        s.close()
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % pid)
        os.rename(a.pidfile + ".tmp", a.pidfile)

    status = None
    while status is None:
        r, _, _ = select.select([notify], [], [], 0.05)
        if r:
            msg = notify.recv(4096).decode(errors="replace")
            print("notify: " + " | ".join(msg.split("\n")), flush=True)
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
    # Notifications sent just before the exit.
    notify.setblocking(False)
    try:
        while True:
            msg = notify.recv(4096).decode(errors="replace")
            print("notify: " + " | ".join(msg.split("\n")), flush=True)
    except BlockingIOError:
        pass
    os.unlink(npath)
    os.rmdir(tmp)
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
