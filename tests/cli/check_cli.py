#!/usr/bin/env python3
"""Run the built xlat binary with one command line and check how it exits.

    check_cli.py XLAT CASE

CASE is one of the names in CASES. Each case gives the arguments, the exit
status, and what stdout/stderr must contain. An error case must print exactly
one line on stderr, starting "xlat: " and naming the option, and nothing on
stdout.
"""
import resource
import subprocess
import sys

CASES = {
    # name: (argv, exit status, text stdout must contain, stderr line or None)
    "help": (["--help"], 0, ["-machine", "-kernel", "-m SIZE", "-version"],
             None),
    "version": (["-version"], 0, ["xlat version"], None),
    "bad-size": (["-m", "12Q"], 1, [], "xlat: -m 12Q: invalid size"),
    "bogus": (["-bogus"], 1, [], "xlat: -bogus: invalid option"),
    "enable-kvm": (["-enable-kvm"], 1, [],
                   "xlat: -enable-kvm: KVM is not used by xlat; it emulates "
                   "the CPU in software (-accel tcg)"),
    "unsupported": (["-vga", "std"], 1, [], "xlat: -vga: not supported yet"),
    "d-help": (["-d", "help"], 0, ["guest_errors", "in_asm"], None),
    "cannot-boot": (["-m", "64M", "-display", "none"], 1, [],
                    "xlat: cannot boot: firmware boot needs the PC platform "
                    "(interrupt controllers, APIC), not implemented yet"),
    "serial-file": (["-display", "none", "-serial",
                     "file:/nonexistent/dir/log"], 1, [],
                    "xlat: -serial file:/nonexistent/dir/log: No such file "
                    "or directory"),
    "bad-port": (["-serial", "tcp::notaport"], 1, [],
                 "xlat: -serial tcp::notaport: invalid port 'notaport'"),
    "chardev-no-port": (["-chardev", "socket,id=x"], 1, [],
                        "xlat: -chardev socket,id=x: the socket backend "
                        "needs port= or path="),
    "help-S": (["--help"], 0, ["-S ", "until Ctrl-A x or a signal"], None),
    # run under a 2 GiB address-space limit (RLIMITS): the host cannot map it
    "ram-unmappable": (["-m", "8G", "-S", "-display", "none", "-serial",
                        "null"], 1, [],
                       "xlat: -m: cannot allocate 8192 MiB of guest RAM"),
}
RLIMITS = {"ram-unmappable": 2 << 30}


def limit_as(case):
    if case not in RLIMITS:
        return None
    return lambda: resource.setrlimit(resource.RLIMIT_AS,
                                      (RLIMITS[case], RLIMITS[case]))


def is_asan(path):
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print("usage: check_cli.py XLAT CASE (one of %s)" %
              ", ".join(CASES), file=sys.stderr)
        return 2
    argv, status, want_out, want_err = CASES[sys.argv[2]]
    if sys.argv[2] in RLIMITS and is_asan(sys.argv[1]):
        print("skip: ASan reserves more address space than the limit allows")
        return 77
    p = subprocess.run([sys.argv[1]] + argv, capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL,
                       preexec_fn=limit_as(sys.argv[2]))
    fails = []
    if p.returncode != status:
        fails.append("exit status %d, want %d" % (p.returncode, status))
    for text in want_out:
        if text not in p.stdout:
            fails.append("stdout lacks %r" % text)
    lines = p.stderr.splitlines()
    if want_err is None:
        if p.stderr:
            fails.append("unexpected stderr %r" % p.stderr)
    else:
        if lines != [want_err]:
            fails.append("stderr %r, want exactly the line %r" %
                         (p.stderr, want_err))
        if p.stdout:
            fails.append("unexpected stdout %r" % p.stdout)
    for f in fails:
        print("FAIL %s: %s" % (sys.argv[2], f))
    if not fails:
        print("ok %s: xlat %s" % (sys.argv[2], " ".join(argv)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
