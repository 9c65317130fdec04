#!/usr/bin/env python3
"""tools/bench/compare.py: xlat vs native vs QEMU on the programs in progs/.

One command: tools/bench/compare.py [--build DIR] [--runs N] [--only a,b]
Builds xrun and the programs (ninja), installs qemu-user if qemu-x86_64 is
missing, runs each program natively, under DIR/tools/xrun/xrun (JIT) and
under qemu-x86_64, checks that the three outputs agree, and prints wall
times (best of N), the guest instruction count (xrun --icount), guest MIPS
for xlat and for QEMU (same count) and the ratios xlat/native, xlat/QEMU.
One program (--interp-prog, scaled down by --interp-scale) also runs on the
interpreter backend. Exit status 1 if an output differs or a run fails.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

PROGS = ['checksum', 'sort', 'sieve', 'chase', 'strcopy']
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


def ensure_qemu():
    if shutil.which('qemu-x86_64'):
        return True
    sudo = [] if os.geteuid() == 0 else ['sudo']
    print('compare: installing qemu-user (qemu-x86_64)', file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    subprocess.run(sudo + ['apt-get', 'install', '-y', '-qq',
                           '--no-install-recommends', 'qemu-user'], env=env,
                   stdout=subprocess.DEVNULL)
    return shutil.which('qemu-x86_64') is not None


def timed(cmd, runs):
    """(best wall seconds, stdout, stderr, exit status) over runs runs"""
    best, out = None, None
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, timeout=600)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            return dt, r.stdout, r.stderr, r.returncode
        best = dt if best is None else min(best, dt)
        out = r
    return best, out.stdout, out.stderr, 0


def icount(xrun, prog, args):
    r = subprocess.run([xrun, '--icount', prog] + args, capture_output=True,
                       timeout=1200)
    m = re.search(rb'guest instructions: (\d+)', r.stderr)
    return int(m.group(1)) if m else None


def fmt_row(cols, widths):
    return '  '.join(str(c).rjust(w) for c, w in zip(cols, widths))


def run_one(name, a, xrun, progdir, have_qemu):
    prog = os.path.join(progdir, name)
    tn, on, _, rn = timed([prog], a.runs)
    tx, ox, ex, rx = timed([xrun, prog], a.runs)
    tq, oq, rq = None, None, 0
    if have_qemu:
        tq, oq, _, rq = timed(['qemu-x86_64', prog], a.runs)
    n = icount(xrun, prog, [])
    ok = rn == 0 and rx == 0 and rq == 0 and on == ox and (oq is None or
                                                            oq == on)
    if not ok:
        print(f'compare: {name}: outputs/status differ: native {rn} {on!r}, '
              f'xlat {rx} {ox!r} {ex[-200:]!r}, qemu {rq} {oq!r}')
    mips_x = n / tx / 1e6 if n else 0
    mips_q = n / tq / 1e6 if n and tq else 0
    row = [name, f'{tn:.2f}', f'{tx:.2f}', f'{tq:.2f}' if tq else '-',
           f'{n / 1e6:.0f}' if n else '?', f'{mips_x:.0f}',
           f'{mips_q:.0f}' if tq else '-', f'{tx / tn:.1f}',
           f'{tx / tq:.2f}' if tq else '-', 'yes' if ok else 'NO']
    return ok, row


def run_interp(a, xrun, progdir):
    prog = os.path.join(progdir, a.interp_prog)
    args = [str(a.interp_scale)]
    tn, on, _, _ = timed([prog] + args, 1)
    tj, oj, _, _ = timed([xrun, prog] + args, 1)
    ti, oi, ei, ri = timed([xrun, '--interp', prog] + args, 1)
    n = icount(xrun, prog, args)
    ok = ri == 0 and oi == on and oj == on
    print(f'\ninterpreter: {a.interp_prog} {a.interp_scale} (1/{a.interp_scale}'
          f' of the work): {n / 1e6:.1f} M guest insns; native {tn:.3f} s, '
          f'xlat JIT {tj:.2f} s ({n / tj / 1e6:.0f} MIPS), xlat interp '
          f'{ti:.2f} s ({n / ti / 1e6:.1f} MIPS), interp/JIT {ti / tj:.1f}x, '
          f'output {"agrees" if ok else "DIFFERS " + repr(oi) + repr(ei[-200:])}')
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--runs', type=int, default=1)
    ap.add_argument('--only', default=','.join(PROGS))
    ap.add_argument('--interp-prog', default='checksum')
    ap.add_argument('--interp-scale', type=int, default=40)
    ap.add_argument('--no-build', action='store_true')
    a = ap.parse_args()
    progdir = os.path.join(a.build, 'tools', 'bench')
    xrun = os.path.join(a.build, 'tools', 'xrun', 'xrun')
    if not a.no_build:
        targets = ['tools/xrun/xrun'] + [f'tools/bench/{p}' for p in PROGS]
        subprocess.run(['ninja', '-C', a.build] + targets, check=True,
                       stdout=subprocess.DEVNULL)
    have_qemu = ensure_qemu()
    if not have_qemu:
        print('compare: qemu-x86_64 not available; QEMU columns empty')
    cols = ['prog', 'native s', 'xlat s', 'qemu s', 'Minsns', 'xlat MIPS',
            'qemu MIPS', 'xlat/nat', 'xlat/qemu', 'same']
    widths = [9, 8, 7, 7, 7, 9, 9, 8, 9, 4]
    print(fmt_row(cols, widths))
    all_ok = True
    for name in a.only.split(','):
        ok, row = run_one(name, a, xrun, progdir, have_qemu)
        all_ok &= ok
        print(fmt_row(row, widths), flush=True)
    if a.interp_prog:
        all_ok &= run_interp(a, xrun, progdir)
    return 0 if all_ok else 1


if __name__ == '__main__':
    sys.exit(main())
