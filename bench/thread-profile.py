#!/usr/bin/env python3
"""Where a JVM's CPU and context switches go, by thread group, over a window.

Usage: thread-profile.py SECONDS [--ops N] PID...
Samples /proc/PID/task/*/{stat,status} before and after SECONDS, names threads from `jstack`
(Java thread names; digits and raft group ids folded so that e.g. every division's log worker is
one row), and prints CPU ms and context switches per group; with --ops N (operations done in the
window) also per operation. Threads that start or end inside the window are counted from zero or
missed, so figures are a lower bound.
"""
import collections
import os
import re
import subprocess
import sys
import time

TICK_MS = 1000.0 / os.sysconf('SC_CLK_TCK')


def java_names(pid):
    out = subprocess.run(['jstack', pid], capture_output=True, text=True).stdout
    names = {}
    for line in out.splitlines():
        m = re.match(r'^"(.*?)".*nid=0x([0-9a-f]+)', line)
        if m:
            names[str(int(m.group(2), 16))] = m.group(1)
    return names


def sample(pids):
    counters = {}
    for pid in pids:
        for tid in os.listdir(f'/proc/{pid}/task'):
            try:
                stat = open(f'/proc/{pid}/task/{tid}/stat').read()
                fields = stat[stat.rindex(')') + 2:].split()
                with open(f'/proc/{pid}/task/{tid}/status') as f:
                    switches = sum(int(l.split()[1]) for l in f if 'ctxt_switches' in l)
                comm = stat[stat.index('(') + 1:stat.rindex(')')]
                counters[(pid, tid)] = (int(fields[11]) + int(fields[12]), switches, comm)
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
    return counters


def group_of(name):
    name = re.sub(r'group-[0-9A-F]{12}', 'group-*', name)
    return re.sub(r'[0-9]+', '#', name)


def main(argv):
    seconds = float(argv[0])
    ops = None
    rest = argv[1:]
    if rest and rest[0] == '--ops':
        ops = float(rest[1])
        rest = rest[2:]
    before = sample(rest)
    time.sleep(seconds)
    after = sample(rest)
    names = {}
    for pid in rest:
        for tid, name in java_names(pid).items():
            names[(pid, tid)] = name
    groups = collections.defaultdict(lambda: [0.0, 0, 0])
    for key, (ticks, switches, comm) in after.items():
        t0, s0, _ = before.get(key, (0, 0, ''))
        g = groups[group_of(names.get(key, comm))]
        g[0] += (ticks - t0) * TICK_MS
        g[1] += switches - s0
        g[2] += 1
    total_cpu = sum(g[0] for g in groups.values())
    total_cs = sum(g[1] for g in groups.values())
    per = f'{"cpu µs/op":>10} {"cs/op":>7}' if ops else ''
    print(f'{"thread group":58} {"threads":>7} {"cpu ms":>8} {"cs":>8} {per}')
    for name, (cpu, cs, n) in sorted(groups.items(), key=lambda kv: -(kv[1][0] + kv[1][1] / 100)):
        if cpu == 0 and cs < 20:
            continue
        per = f'{cpu * 1000 / ops:10.1f} {cs / ops:7.2f}' if ops else ''
        print(f'{name[:58]:58} {n:7d} {cpu:8.0f} {cs:8d} {per}')
    per = f'{total_cpu * 1000 / ops:10.1f} {total_cs / ops:7.2f}' if ops else ''
    print(f'{"total":58} {"":7} {total_cpu:8.0f} {total_cs:8d} {per}')


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1:])
