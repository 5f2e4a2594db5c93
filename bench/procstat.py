#!/usr/bin/env python3
"""CPU time and context switches of whole processes, for bench/compare.

Usage: procstat.py PID...  prints "<cpu_ms> <context_switches>" summed over the processes.
CPU is utime+stime of the process (dead threads included); context switches are summed over its
live threads (voluntary + involuntary), so threads that exited in between are missed.
"""
import os
import sys

TICK_MS = 1000.0 / os.sysconf('SC_CLK_TCK')


def usage(pid):
    stat = open(f'/proc/{pid}/stat').read()
    fields = stat[stat.rindex(')') + 2:].split()
    cpu_ms = (int(fields[11]) + int(fields[12])) * TICK_MS
    switches = 0
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/status') as f:
                switches += sum(int(line.split()[1]) for line in f if 'ctxt_switches' in line)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return cpu_ms, switches


cpu, switches = 0.0, 0
for pid in sys.argv[1:]:
    try:
        c, s = usage(pid)
        cpu += c
        switches += s
    except (FileNotFoundError, ProcessLookupError):
        pass
print(f'{cpu:.0f} {switches}')
