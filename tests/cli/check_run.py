#!/usr/bin/env python3
"""Run the built xlat binary as a user would and check what it does.

    check_run.py XLAT CASE

Cases (every wait is bounded; nothing asserts how long anything took):
  tcp-server   -S with -serial tcp:127.0.0.1:PORT,server=on,wait=off: xlat
               listens, accepts a client, and exits 0 on SIGTERM, closing the
               accepted connection in order (FIN, not the RST of a backlog).
  nographic    -S -nographic in a pseudo-terminal: raw mode (no echo, no
               canonical input, no signal keys) while running; typed bytes do
               not block Ctrl-A x, which exits 0 and restores the terminal.
  d-mmu        -d mmu prints the flat view (RAM at 0 up to the -m size, the
               default 128 KiB BIOS ROM below 4 GiB), then the one-line
               cannot-boot error, exit 1.
  busy-port    -serial on a port the script holds: exactly one error line
               naming the option, exit 1.
"""
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import termios
import time

CANNOT_BOOT = ("xlat: cannot boot: firmware boot needs the PC platform "
               "(interrupt controllers, APIC), not implemented yet")
TIMEOUT = 20  # seconds; an upper bound for every wait, never an assertion


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def wait_until(pred, what):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise Fail("gave up waiting for " + what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def finish(p):
    """Wait for exit (killing on timeout); returns (status, stderr)."""
    try:
        _, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        raise Fail("xlat did not exit; stderr %r" % err)
    return p.returncode, err


def connect(port, p):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise Fail("xlat exited early: %r" % (p.communicate(),))
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            time.sleep(0.05)
    raise Fail("nobody listens on port %d" % port)


def case_tcp_server(xlat):
    port = free_port()
    spec = "tcp:127.0.0.1:%d,server=on,wait=off" % port
    p = subprocess.Popen([xlat, "-S", "-display", "none", "-serial", spec],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        c = connect(port, p)
        c.settimeout(0.5)
        try:
            data = c.recv(16)
            raise Fail("connection closed or data %r while running" % data)
        except socket.timeout:
            pass  # open and quiet: the CPU is stopped
        check(p.poll() is None, "xlat exited with -S")
        p.send_signal(signal.SIGTERM)
        status, err = finish(p)
        c.settimeout(TIMEOUT)
        try:
            eof = c.recv(16)
        except ConnectionResetError:
            raise Fail("connection reset: xlat never accepted it")
        check(eof == b"", "data %r instead of EOF" % eof)
        c.close()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    check(status == 0, "exit status %d on SIGTERM, want 0" % status)
    check("xlat: terminating on signal %d" % signal.SIGTERM in err,
          "stderr %r lacks the signal line" % err)


def is_raw(fd):
    lflag = termios.tcgetattr(fd)[3]
    return not lflag & (termios.ECHO | termios.ICANON | termios.ISIG)


def read_all(fd):
    out = b""
    while select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def case_nographic(xlat):
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    check(not is_raw(slave), "a new pty should start in cooked mode")
    p = subprocess.Popen([xlat, "-S", "-nographic"], stdin=slave,
                         stdout=slave, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        wait_until(lambda: is_raw(slave) or p.poll() is not None, "raw mode")
        if p.poll() is not None:
            raise Fail("xlat exited: %r" % (p.communicate(),))
        # more than the UART holds, then the escape: it must still work
        os.write(master, b"typed while the CPU is stopped\x01x")
        status, err = finish(p)
        out = read_all(master)
        after = termios.tcgetattr(slave)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
        os.close(slave)
    check(status == 0, "exit status %d after Ctrl-A x, want 0; stderr %r" %
          (status, err))
    check(b"xlat: terminated" in out, "no 'terminated' in %r" % out)
    check(after == before, "terminal not restored: %r != %r" % (after, before))


def case_d_mmu(xlat):
    p = subprocess.run([xlat, "-d", "mmu", "-m", "64M", "-display", "none"],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=TIMEOUT)
    lines = p.stderr.splitlines()
    check(p.returncode == 1, "exit status %d, want 1" % p.returncode)
    check(lines and lines[-1] == CANNOT_BOOT,
          "last stderr line %r" % (lines[-1:] or ""))
    check(lines.count(CANNOT_BOOT) == 1, "the cannot-boot line twice")
    want = [
        r"^\s+0000000000000000-000000000009ffff \(ram\) pc\.ram @0x0$",
        # -m 64M: low RAM ends at 0x3ffffff
        r"^\s+0000000000100000-0000000003ffffff \(ram\) pc\.ram @0x100000$",
        r"^\s+00000000fffe0000-00000000ffffffff \(rom\) pc\.bios @0x0",
        r"^\s+00000000000003f8-00000000000003ff \(i/o\) ",  # COM1 on stdio
    ]
    for rx in want:
        check(any(re.search(rx, l) for l in lines),
              "no line matching %r in:\n%s" % (rx, p.stderr))
    check(p.stdout == "", "unexpected stdout %r" % p.stdout)


def case_busy_port(xlat):
    hold = socket.socket()
    hold.bind(("127.0.0.1", 0))
    hold.listen(1)
    port = hold.getsockname()[1]
    spec = "tcp:127.0.0.1:%d,server=on,wait=off" % port
    try:
        p = subprocess.run([xlat, "-S", "-display", "none", "-serial", spec],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=TIMEOUT)
    finally:
        hold.close()
    want = ("xlat: -serial %s: cannot listen on 127.0.0.1:%d: Address "
            "already in use" % (spec, port))
    check(p.returncode == 1, "exit status %d, want 1" % p.returncode)
    check(p.stderr.splitlines() == [want],
          "stderr %r, want exactly %r" % (p.stderr, want))
    check(p.stdout == "", "unexpected stdout %r" % p.stdout)


CASES = {
    "tcp-server": case_tcp_server,
    "nographic": case_nographic,
    "d-mmu": case_d_mmu,
    "busy-port": case_busy_port,
}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print("usage: check_run.py XLAT CASE (one of %s)" % ", ".join(CASES),
              file=sys.stderr)
        return 2
    try:
        CASES[sys.argv[2]](sys.argv[1])
    except (Fail, subprocess.TimeoutExpired) as e:
        print("FAIL %s: %s" % (sys.argv[2], e))
        return 1
    print("ok %s" % sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
