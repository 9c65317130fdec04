/*
 * Shared fixture of the page-walker tests (walk_fixture.c): the test address
 * space, the walk context and result, and page-table builders per mode.
 */
#ifndef XLAT_TEST_WALK_FIXTURE_H
#define XLAT_TEST_WALK_FIXTURE_H

#include "mmu/walk.h"

#define RAM_SIZE (16ull << 20)
#define MMIO_BASE 0x10000000ull  /* one page of MMIO that reads as zero */
#define UNASSIGNED 0x20000000ull /* nothing mapped here */
#define TABLES 0x100000ull       /* page tables are allocated from here */
#define TBL (WALK_PTE_P | WALK_PTE_RW | WALK_PTE_US)
#define RWU (WALK_PTE_P | WALK_PTE_RW | WALK_PTE_US)
#define CR0_PG_WP (WALK_CR0_PG | WALK_CR0_WP)
#define LONG_CR4 (WALK_CR4_PAE)
#define LONG_EFER (WALK_EFER_LMA | WALK_EFER_NXE)

extern AddrSpace *as;
extern WalkCtx ctx;
extern WalkResult res;
extern int mmio_reads; /* reads that reached the MMIO page */

/* a fresh zeroed 4 KiB page from the table area */
uint64_t new_table(void);

/* 4-level (5-level with CR4.LA57) paging; size picks the leaf level */
void long_mode(void);
uint64_t map_long(uint64_t la, uint64_t pa, uint64_t size, uint64_t flags);
/* entry address at depth d (0 = PML4) of a 4-level walk of la */
uint64_t long_entry(uint64_t la, unsigned d);

void pae_mode(void);
uint64_t map_pae(uint64_t la, uint64_t pa, bool large, uint64_t flags);

void mode_32(uint64_t cr4);
uint64_t map_32(uint64_t la, uint64_t pa, bool large, uint64_t flags);

/* walk_translate() with ctx into res */
WalkStatus walk(uint64_t la, WalkAccess acc);
/* the walk must fault with exactly err and CR2 = la */
void expect_pf(uint64_t la, WalkAccess acc, uint32_t err);

#endif
