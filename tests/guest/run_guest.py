#!/usr/bin/env python3
"""Boot one guest test kernel in an emulator and check what it reports.

    run_guest.py --emulator PATH [--qemu] [--accel ACCEL] --kernel ELF
                 [--expect LINE]... [--passes N] [--failures N] [--timeout S]
                 [--reboot] [--status N]
                 [--append CMDLINE] [--initrd MODULES]

The kernel (tests/guest/lib) writes PASS/FAIL lines and "DONE failures=N" on
COM1 and exits through isa-debug-exit with code 0x10 + failures, which the
emulator turns into exit status (code << 1) | 1. The run passes when the exit
status, the expected lines and the number of PASS lines all match and there
is no FAIL line.

Exit status 77 (meson: SKIP) when the emulator is not installed (QEMU); a
skip is never reported as a pass. xlat failing to boot is a failure.

The emulator runs with -no-reboot unless --reboot is given (a kernel that
tests a reset). --status N expects exit status N instead of the pass code
and no DONE line (e.g. 0: -no-reboot turned a reset into a clean exit).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
EXIT_BASE = 0x10


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--emulator", required=True)
    p.add_argument("--qemu", action="store_true",
                   help="the emulator is QEMU: add -accel tcg")
    p.add_argument("--accel", default=None,
                   help="-accel value (xlat: tcg,backend=interp)")
    p.add_argument("--kernel", required=True)
    p.add_argument("--expect", action="append", default=[])
    p.add_argument("--passes", type=int, default=None)
    p.add_argument("--failures", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--reboot", action="store_true",
                   help="let a reset reboot the machine (no -no-reboot)")
    p.add_argument("--status", type=int, default=None,
                   help="the exit status expected instead of the pass code")
    p.add_argument("--append", default=None, help="kernel command line")
    p.add_argument("--initrd", default=None,
                   help="multiboot modules ('file args,file2')")
    return p.parse_args()


def command(args, log):
    cmd = [args.emulator]
    if args.qemu:
        cmd += ["-accel", "tcg"]
    elif args.accel:
        cmd += ["-accel", args.accel]
    for opt in ("append", "initrd"):
        if getattr(args, opt) is not None:
            cmd += ["-" + opt, getattr(args, opt)]
    cmd += ["-M", "pc", "-nographic", "-kernel", args.kernel,
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-serial", "file:" + log, "-display", "none"]
    if not args.reboot:
        cmd += ["-no-reboot"]
    return cmd


def find_emulator(args):
    if os.path.sep in args.emulator:
        return os.access(args.emulator, os.X_OK)
    found = shutil.which(args.emulator)
    if found:
        args.emulator = found
    return found is not None


def check_output(args, status, log_text):
    """Return a list of failure messages (empty: the test passed)."""
    fails = []
    want = ((EXIT_BASE + args.failures) << 1) | 1
    if args.status is not None:
        want = args.status
    if status != want:
        got = "timeout" if status is None else str(status)
        if status is not None and status & 1 and status >> 1 >= EXIT_BASE:
            got += " (guest reported %d failures)" % ((status >> 1) - EXIT_BASE)
        fails.append("exit status %s, want %d" % (got, want))
    lines = [l.rstrip("\r") for l in log_text.splitlines()]
    for e in args.expect:
        if not any(e in l for l in lines):
            fails.append("serial output lacks %r" % e)
    bad = [l for l in lines if "FAIL" in l]
    if bad and args.failures == 0:
        fails.append("guest reported: " + "; ".join(bad))
    passes = sum(1 for l in lines if "PASS " in l)
    if args.passes is not None and passes != args.passes:
        fails.append("%d PASS lines, want %d" % (passes, args.passes))
    return fails


def run(args, log):
    try:
        p = subprocess.run(command(args, log), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=args.timeout, text=True, errors="replace")
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if e.stdout else ""
        err = e.stderr.decode(errors="replace") if e.stderr else ""
        return None, out, err


def main():
    args = parse_args()
    name = os.path.basename(args.kernel)
    if not find_emulator(args):
        print("SKIP %s: emulator %s is not installed" % (name, args.emulator))
        return SKIP
    with tempfile.TemporaryDirectory(prefix="xlat-guest-") as tmp:
        log = os.path.join(tmp, "serial.log")
        status, out, err = run(args, log)
        log_text = ""
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                log_text = f.read()
    fails = check_output(args, status, log_text)
    print("$ " + " ".join(command(args, "LOG")))
    print("--- serial ---\n" + log_text.strip())
    if err.strip():
        print("--- stderr ---\n" + err.strip())
    for f in fails:
        print("FAIL %s: %s" % (name, f))
    if not fails:
        print("ok %s" % name)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
