#!/usr/bin/env python3
# Run a command as a child subreaper: orphaned grandchildren (extractor children left by a
# worker that exits) are reparented here and reaped, so /usr/bin/time around this counts
# their CPU. SIGINT/SIGTERM are forwarded to the command.
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
for s in (signal.SIGINT, signal.SIGTERM):
    signal.signal(s, lambda n, f: os.kill(pid, n))
status = 0
while True:
    try:
        p, st = os.wait()
    except ChildProcessError:
        break
    except InterruptedError:
        continue
    if p == pid:
        status = os.waitstatus_to_exitcode(st)
sys.exit(status if status >= 0 else 1)
