#!/usr/bin/env python3
"""tests/xrun/check_xrun.py: runs build/tools/xrun/xrun on the test programs.

usage: check_xrun.py XRUN HELLO_ELF BADSYS_ELF CASE
Cases check the program's output and exit status, the exact --icount, the
-d in_asm/exec/cpu/op/out_asm/stats logs (blocks, instructions, register
values) and that bad files give one error line and exit status 1.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

HELLO_INSNS = 23


def run(xrun, args, **kw):
    return subprocess.run([xrun] + args, capture_output=True, timeout=60, **kw)


def entry_of(elf):
    with open(elf, 'rb') as f:
        hdr = f.read(64)
    return struct.unpack_from('<Q', hdr, 24)[0]


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def case_hello(xrun, hello, badsys, extra):
    r = run(xrun, extra + [hello])
    expect(r.stdout == b'hello from xrun\n', f'stdout {r.stdout!r}')
    expect(r.returncode == 7, f'exit status {r.returncode}')


def case_icount(xrun, hello, badsys, extra):
    r = run(xrun, extra + ['--icount', hello])
    expect(r.returncode == 7, f'exit status {r.returncode}')
    m = re.search(rb'guest instructions: (\d+)', r.stderr)
    expect(m and int(m.group(1)) == HELLO_INSNS, f'stderr {r.stderr!r}')


def log_of(xrun, prog, cats, extra=()):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'log')
        r = run(xrun, list(extra) + ['-d', cats, '-D', path, prog])
        with open(path) as f:
            return r, f.read()


def case_in_asm(xrun, hello, badsys, extra):
    r, log = log_of(xrun, hello, 'in_asm', extra)
    e = entry_of(hello)
    expect(r.returncode == 7, f'exit status {r.returncode}')
    blocks = log.count('IN: ')
    expect(blocks == 4, f'{blocks} IN blocks (want 4)\n{log}')
    expect(re.search(r'0x%016x:\s+b904000000\s+mov\s+ecx, 4' % e, log),
           'first insn of the entry block\n' + log)
    expect(re.search(r'0x%016x:\s+4801c8\s+add\s+rax, rcx' % (e + 7), log),
           'loop block\n' + log)
    expect(re.search(r'0x%016x:\s+0f05\s+syscall' % (e + 40), log),
           'syscall\n' + log)


def case_exec(xrun, hello, badsys, extra):
    r, log = log_of(xrun, hello, 'exec', extra)
    e = entry_of(hello)
    pcs = [int(m, 16) for m in
           re.findall(r'^Trace 0: \S+ \[[0-9a-f]+/([0-9a-f]{16})/', log, re.M)]
    want = [e, e + 7, e + 7, e + 7, e + 15, e + 42]
    expect(pcs == want, f'blocks run {[hex(p) for p in pcs]}, want '
           f'{[hex(p) for p in want]}')


def case_cpu(xrun, hello, badsys, extra):
    r, log = log_of(xrun, hello, 'cpu', extra)
    e = entry_of(hello)
    dumps = log.split('RAX=')[1:]
    expect(len(dumps) == 6, f'{len(dumps)} register dumps, want 6')
    # before the 1st run of the loop block: RAX = 4, RCX = 3
    expect(re.match(r'0000000000000004 RBX=0+ RCX=0000000000000003', dumps[1]),
           'state before the loop block: ' + dumps[1][:80])
    # before the block at entry + 15: RAX = 10, RCX = 0, ZF set
    d = dumps[4]
    expect(d.startswith('000000000000000a'), 'RAX before the write: ' + d[:40])
    expect('RIP=%016x' % (e + 15) in d, 'RIP of the 5th block')
    expect(re.search(r'RFL=00000246 \[---Z-P-\] CPL=3', d), 'RFLAGS: ' + d)
    expect('EFER=0000000000000500' in d, 'EFER')


def case_ops(xrun, hello, badsys, extra):
    r, log = log_of(xrun, hello, 'op,op_opt,out_asm', extra)
    expect(r.returncode == 7, f'exit status {r.returncode}')
    e = entry_of(hello)
    expect('OP: pc=0x%x' % e in log, 'op header')
    expect('OP after optimization: pc=0x%x' % (e + 7) in log, 'op_opt header')
    if '--interp' not in extra:
        expect(re.search(r'OUT: \[size=\d+\] guest pc 0x%x' % e, log),
               'out_asm header')


def case_stats(xrun, hello, badsys, extra):
    r, log = log_of(xrun, hello, 'stats', extra)
    m = re.search(r'lookups (\d+): inline jc (\d+).*miss (\d+)', log)
    expect(m and int(m.group(3)) == 4, 'translations: ' + log)
    expect(re.search(r'walks', log), 'TLB counters: ' + log)


def one_error_line(r, pattern):
    lines = r.stderr.decode().splitlines()
    expect(r.returncode == 1, f'exit status {r.returncode}: {r.stderr!r}')
    expect(len(lines) == 1 and lines[0].startswith('xrun: ') and
           re.search(pattern, lines[0]), f'stderr {r.stderr!r}')


def case_badsys(xrun, hello, badsys, extra):
    r = run(xrun, extra + [badsys])
    one_error_line(r, r'unsupported system call 39 at 0x')


def case_badelf(xrun, hello, badsys, extra):
    with open(hello, 'rb') as f:
        good = f.read()
    bad = {
        'empty': (b'', 'not an ELF file'),
        'garbage': (bytes(range(256)) * 8, 'not an ELF file'),
        'truncated': (good[:100], 'program header|segment|ELF'),
        'cut': (good[:len(good) // 3], 'segment|program header'),
        'class32': (good[:4] + b'\x01' + good[5:], '64-bit'),
        'huge-phnum': (good[:56] + b'\xff\xff' + good[58:], 'program header'),
    }
    with tempfile.TemporaryDirectory() as d:
        for name, (data, pattern) in bad.items():
            path = os.path.join(d, name)
            with open(path, 'wb') as f:
                f.write(data)
            one_error_line(run(xrun, extra + [path]), pattern)
        one_error_line(run(xrun, [os.path.join(d, 'missing')]), 'No such')
    one_error_line(run(xrun, ['-d', 'bogus', hello]), 'unknown log category')
    one_error_line(run(xrun, []), 'no program given')
    r = run(xrun, ['-h'])
    expect(r.returncode == 0 and b'--icount' in r.stdout, 'usage from -h')
    one_error_line(run(xrun, ['--bogus', hello]), 'bad option')


CASES = {n[5:]: f for n, f in globals().items() if n.startswith('case_')}


def main():
    xrun, hello, badsys, case = sys.argv[1:5]
    extra = sys.argv[5:]
    try:
        CASES[case](xrun, hello, badsys, extra)
    except AssertionError as e:
        print(f'FAIL {case} {extra}: {e}')
        return 1
    print(f'ok {case} {extra}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
