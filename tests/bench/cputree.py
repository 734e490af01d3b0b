#!/usr/bin/env python3
"""cputree.py PID...: the CPU time, in clock ticks, of these processes,
their live descendants, and the children they have already reaped:
prints "USER SYS" (utime + cutime, stime + cstime of each, from
/proc/PID/stat). Taken before and after a run, the difference is what
the run cost them, with the per-connection processes of a forking
forwarder (socat's, sshd's) counted whether they are still alive or
not."""
import os
import sys


def stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    # f[0] is field 3 (state): ppid is field 4, utime..cstime 14..17
    return int(f[1]), (int(f[11]) + int(f[13]), int(f[12]) + int(f[14]))


def main():
    procs = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            st = stat(int(p))
            if st is not None:
                procs[int(p)] = st
    kids = {}
    for pid, (ppid, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    user = sys_ = 0
    seen = set()
    todo = [int(x) for x in sys.argv[1:]]
    while todo:
        p = todo.pop()
        if p in seen or p not in procs:
            continue
        seen.add(p)
        user += procs[p][1][0]
        sys_ += procs[p][1][1]
        todo += kids.get(p, [])
    print(user, sys_)


if __name__ == "__main__":
    main()
