/*
 * The flag translation tests on the CPU tests' tiny machine
 * (tests/unit/cpu_machine): fl_ir() runs a snippet at CPL 3 with
 * `-d op_opt` logged to a temporary file and returns the optimized IR of
 * the first block as text, so tests can assert on which ops the translator
 * emitted.
 */
#ifndef XLAT_TESTS_FL_MACHINE_H
#define XLAT_TESTS_FL_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "tiny_machine.h"

#define FL_CODE TM_CODE
#define FL_DATA TM_DATA
#define FL_STACK TM_STACK
#define FL_HOLE TM_HOLE

typedef TinyMachine FlMachine;

/* a CPL 3 machine with every feature */
void fl_new(FlMachine *m, TcgBackendKind backend);
#define fl_free tm_free
#define fl_run tm_run
/* run code on a fresh JIT machine; the first block's optimized IR (free
   it); *vector: the exception the run ended with */
char *fl_ir(const uint8_t *code, size_t len, int *vector);
/* occurrences of needle in text */
unsigned fl_count(const char *text, const char *needle);

#endif
