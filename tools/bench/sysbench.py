#!/usr/bin/env python3
"""System benchmark: xlat against qemu-system-x86_64 -accel tcg, side by side.

    tools/bench/sysbench.py [--build build] [--runs 3] [--scale 1.0]
                            [--only syscall,pf,...] [--no-progs]

Builds xlat, the benchmark kernel (build/tools/bench/sysbench.elf), xrun and
the programs (ninja), then

- for each round trip (syscall, pf, cr3, pcid, int, irq) boots the kernel
  with two loop counts N1 < N2 in each emulator and prints the cost of one
  iteration, (t(N2) - t(N1)) / (N2 - N1), so boot and exit cancel out;
- runs the five programs of tools/bench/progs as a CPL 3 process in the
  kernel under xlat and under QEMU, and under xrun (xlat's flat user-mode
  runner), and prints their times; "net" subtracts a boot of the same
  kernel that runs nothing.

t is the process's CPU time (user + system, all threads, from wait4), the
median of --runs runs: on a shared host wall time counts the time spent
waiting for a core. QEMU runs its default CPU (qemu64) like xlat; its pcid
runs with noflush=0 because QEMU 7.2 TCG takes CR3 bit 63 as a reserved bit
(it loops on an SVM error exit), and QEMU flushes its whole TLB on every CR3
write anyway. Every run's serial output must end in "DONE failures=0" and
the programs' output must agree, or the script stops with status 1.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# name: {emulator: (N1, N2)} at scale 1, each N2 about 0.3-0.7 s of CPU
BENCHES = {
    "syscall": {"xlat": (20000, 5020000), "qemu": (20000, 5020000)},
    "pf": {"xlat": (10000, 1010000), "qemu": (10000, 510000)},
    "cr3": {"xlat": (10000, 1010000), "qemu": (5000, 155000)},
    "pcid": {"xlat": (20000, 5020000), "qemu": (5000, 155000)},
    "int": {"xlat": (20000, 2020000), "qemu": (20000, 2020000)},
    "irq": {"xlat": (10000, 310000), "qemu": (10000, 610000)},
}
PROGS = ["checksum", "sort", "sieve", "chase", "strcopy"]
QEMU = "qemu-system-x86_64"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply the loop counts")
    p.add_argument("--only", default="",
                   help="comma-separated benchmarks and programs")
    p.add_argument("--no-progs", action="store_true")
    return p.parse_args()


def build(b):
    subprocess.run(["ninja", "-C", b, "xlat", "tools/bench/sysbench.elf",
                    "tools/xrun/xrun"] + ["tools/bench/" + p for p in PROGS],
                   check=True, stdout=subprocess.DEVNULL)
    if not shutil.which(QEMU):
        sys.exit("sysbench: %s is missing (tools/setup.sh installs it)" % QEMU)


def cpu_time(cmd):
    """Run cmd; return (user + sys seconds, exit status, stdout)."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return ru.ru_utime + ru.ru_stime, code, out.decode(errors="replace")


def system_cmd(args, emu, append, initrd=None, log="/dev/null"):
    kernel = os.path.join(args.build, "tools", "bench", "sysbench.elf")
    if emu == "xlat":
        cmd = [os.path.join(args.build, "xlat")]
    else:
        cmd = [QEMU, "-accel", "tcg", "-monitor", "none"]
    cmd += ["-M", "pc", "-display", "none",
            "-kernel", kernel, "-append", append,
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-serial", "file:" + log, "-no-reboot"]
    if initrd:
        cmd += ["-initrd", initrd]
    return cmd


def run_system(args, emu, append, initrd=None):
    """Median CPU time of --runs boots; the serial text of the last."""
    times = []
    with tempfile.TemporaryDirectory(prefix="sysbench-") as tmp:
        log = os.path.join(tmp, "serial.log")
        for _ in range(args.runs):
            t, status, _ = cpu_time(system_cmd(args, emu, append, initrd, log))
            with open(log, errors="replace") as f:
                text = f.read()
            if status != 33 or "DONE failures=0" not in text:
                sys.exit("sysbench: %s %r failed (status %d):\n%s" %
                         (emu, append, status, text[-2000:]))
            times.append(t)
    return statistics.median(times), text


def bench_row(args, name):
    row = [name]
    for emu in ("xlat", "qemu"):
        n1, n2 = (max(1, int(n * args.scale)) for n in BENCHES[name][emu])
        extra = " noflush=0" if emu == "qemu" else ""
        t1, _ = run_system(args, emu, "bench=%s n=%d%s" % (name, n1, extra))
        t2, _ = run_system(args, emu, "bench=%s n=%d%s" % (name, n2, extra))
        row.append(max(0.0, t2 - t1) / (n2 - n1) * 1e9)
    row.append(row[1] / row[2] if row[2] else float("inf"))
    return row


def prog_output(text):
    """The program's lines in the serial log (between PASS lines)."""
    return [l.strip() for l in text.splitlines()
            if l.strip() and not l.startswith(("PASS", "FAIL", "DONE",
                                               "sysbench:", "SKIP"))
            and " " in l and l.split()[-1].isdigit()]


def prog_row(args, name, boot):
    path = os.path.join(args.build, "tools", "bench", name)
    xs, xtext = run_system(args, "xlat", "bench=prog", path)
    qs, qtext = run_system(args, "qemu", "bench=prog", path)
    xrun = os.path.join(args.build, "tools", "xrun", "xrun")
    times, out = [], ""
    for _ in range(args.runs):
        t, status, out = cpu_time([xrun, path])
        if status != 0:
            sys.exit("sysbench: xrun %s exited %d" % (name, status))
        times.append(t)
    xr = statistics.median(times)
    want = [l.strip() for l in out.splitlines() if l.strip()]
    same = prog_output(xtext)[-len(want):] == want and \
        prog_output(qtext)[-len(want):] == want
    if not same:
        sys.exit("sysbench: %s: outputs differ:\nxrun %r\nxlat %r\nqemu %r" %
                 (name, want, prog_output(xtext), prog_output(qtext)))
    return [name, xs, xs - boot["xlat"], xr, qs, qs - boot["qemu"],
            (xs - boot["xlat"]) / xr, (xs - boot["xlat"]) /
            max(1e-9, qs - boot["qemu"])]


def main():
    args = parse_args()
    only = set(filter(None, args.only.split(",")))
    build(args.build)
    print("round trip   xlat ns/iter  qemu ns/iter  xlat/qemu")
    for name in BENCHES:
        if only and name not in only:
            continue
        r = bench_row(args, name)
        print("%-10s %14.0f %13.0f %10.2f" % tuple(r), flush=True)
    if args.no_progs:
        return 0
    # a boot that runs one SYSCALL and exits: what "net" subtracts
    boot = {emu: run_system(args, emu, "bench=syscall n=1")[0]
            for emu in ("xlat", "qemu")}
    print("\nboot and exit (CPU s): xlat %.3f, qemu %.3f" %
          (boot["xlat"], boot["qemu"]))
    print("prog      xlat-sys s    net   xrun s  qemu-sys s    net"
          "  sys/xrun  sys/qemu")
    for name in PROGS:
        if only and name not in only:
            continue
        r = prog_row(args, name, boot)
        print("%-9s %10.3f %6.3f %8.3f %11.3f %6.3f %9.2f %9.2f" % tuple(r),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
