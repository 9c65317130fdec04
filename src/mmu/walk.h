/*
 * x86 page walker: linear -> physical translation through the guest's page
 * tables, read from an AddrSpace. Modes (SDM vol. 3A ch. 4): 32-bit (4 KiB,
 * 4 MiB with CR4.PSE, PSE-36 up to 40 physical bits), PAE (4 KiB, 2 MiB, XD),
 * 4-level and 5-level (LA57) with 4 KiB, 2 MiB and 1 GiB pages.
 *
 * The walker is a pure function of its WalkCtx plus guest memory: it knows
 * nothing about the CPU struct or the TLB, so it can be tested on its own and
 * reused for debugger accesses. Canonical-address checks (#GP/#SS) belong to
 * the caller: walk_translate() uses only the bits the mode translates.
 */
#ifndef XLAT_MMU_WALK_H
#define XLAT_MMU_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/memory.h"

/* control-register bits the walker reads (SDM vol. 3A 2.5) */
#define WALK_CR0_WP BIT(16)
#define WALK_CR0_PG BIT(31)
#define WALK_CR4_PSE BIT(4)
#define WALK_CR4_PAE BIT(5)
#define WALK_CR4_PGE BIT(7)
#define WALK_CR4_LA57 BIT(12)
#define WALK_CR4_SMEP BIT(20)
#define WALK_CR4_SMAP BIT(21)
#define WALK_CR4_PKE BIT(22)
#define WALK_CR4_PKS BIT(24)
#define WALK_EFER_LMA BIT(10)
#define WALK_EFER_NXE BIT(11)

/* paging-structure entry bits */
#define WALK_PTE_P BIT(0)
#define WALK_PTE_RW BIT(1)
#define WALK_PTE_US BIT(2)
#define WALK_PTE_A BIT(5)
#define WALK_PTE_D BIT(6)
#define WALK_PTE_PS BIT(7)
#define WALK_PTE_G BIT(8) /* leaf: global (with CR4.PGE) */
#define WALK_PTE_XD BIT(63)

/* #PF error code bits (SDM vol. 3A 4.7) */
#define WALK_PF_P BIT(0)    /* 0: not present, 1: protection/reserved */
#define WALK_PF_W BIT(1)    /* the access was a write */
#define WALK_PF_U BIT(2)    /* user-mode access (CPL 3, not implicit) */
#define WALK_PF_RSVD BIT(3) /* a reserved bit was set */
#define WALK_PF_I BIT(4)    /* instruction fetch (when SMEP or NXE+PAE) */
#define WALK_PF_PK BIT(5)   /* protection-key violation */

/* what the translation allows, for this context's privilege */
#define WALK_PERM_R 1u
#define WALK_PERM_W 2u
#define WALK_PERM_X 4u

/* default MAXPHYADDR when WalkCtx.maxphyaddr is 0 (a common server core) */
#define WALK_MAXPHYADDR_DEFAULT 46

typedef enum WalkAccess {
    WALK_READ = 0,
    WALK_WRITE = 1,
    WALK_EXEC = 2,
} WalkAccess;

typedef enum WalkStatus {
    WALK_OK = 0,
    WALK_PAGE_FAULT,  /* result.error_code and result.cr2 are set */
    WALK_TABLE_FAULT, /* translate_table_addr refused a table access */
} WalkStatus;

/*
 * Hook for nested paging (EPT): turn the guest-physical address of a
 * paging-structure entry into the address to read in WalkCtx.as. Returns 0
 * and sets *out, or a non-zero code that walk_translate() hands back in
 * WalkResult.table_fault (the EPT walker decides violation/misconfig).
 * write: the walker is about to set an A or D bit there. The final
 * WalkResult.phys is NOT passed through the hook: the caller (TLB fill)
 * translates it with the access's own kind.
 */
typedef int WalkTableXlateFn(void *opaque, uint64_t gpa, bool write,
                             uint64_t *out);

typedef struct WalkCtx {
    AddrSpace *as;  /* where the page tables live */
    MemAttrs attrs; /* attributes of the table accesses */
    uint64_t cr0, cr3, cr4, efer;
    uint32_t pkru;       /* protection keys for user pages (CR4.PKE) */
    uint32_t pkrs;       /* for supervisor pages (CR4.PKS, IA32_PKRS) */
    uint8_t cpl;         /* 0..3 */
    bool ac;             /* RFLAGS.AC, for SMAP */
    bool implicit;       /* implicit supervisor access (GDT, IDT, TSS...) */
    bool no_ad;          /* debugger walk: never write A/D bits */
    unsigned maxphyaddr; /* 0: WALK_MAXPHYADDR_DEFAULT; capped at 52 */
    /* PAE: the 4 PDPTE registers (walk_pae_load_pdptes); NULL: memory */
    const uint64_t *pdpte;
    /* NULL: identity (no EPT) */
    WalkTableXlateFn *translate_table_addr;
    void *xlate_opaque;
} WalkCtx;

typedef struct WalkResult {
    uint64_t phys;      /* physical address of the accessed byte */
    uint64_t page_size; /* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
    uint64_t page_phys; /* physical base of that page */
    /*
     * WALK_PERM_*: accesses this context may make to the whole page without
     * walking again. W is granted only once the leaf is dirty, so the first
     * write after a read fill walks again and sets D.
     */
    unsigned perm;
    bool writable;       /* R/W = 1 at every level */
    bool user;           /* U/S = 1 at every level */
    bool executable;     /* XD clear at every level (or NXE = 0) */
    bool global;         /* leaf G = 1 and CR4.PGE = 1 */
    unsigned pkey;       /* protection key of the leaf (4/5-level only) */
    unsigned levels;     /* paging-structure entries read */
    uint32_t error_code; /* WALK_PAGE_FAULT: the #PF error code */
    uint64_t cr2;        /* WALK_PAGE_FAULT: the faulting linear address */
    int table_fault;     /* WALK_TABLE_FAULT: the hook's code */
    uint64_t table_gpa;  /* WALK_TABLE_FAULT: the entry's address */
} WalkResult;

/* zero the context and set as, CPU attributes and the default MAXPHYADDR */
void walk_ctx_init(WalkCtx *ctx, AddrSpace *as);

/*
 * Translate `la` for an access of kind `acc`. With CR0.PG = 0 the result is
 * the identity (32 bits of address, every permission). On success sets A on
 * every entry used and D on the leaf for a write; on a fault sets nothing.
 *
 * A/D updates are compare-and-write through the address space: re-read the
 * entry, write it only if it still holds the value walked (else walk again,
 * a bounded number of times; the last time ORs the bits in regardless).
 * That never loses a concurrent change seen at the re-read, but it is not
 * atomic against other threads (other vCPUs, device threads): that needs
 * the TLB-level lock that comes later.
 *
 * SMAP: RFLAGS.AC lifts it for explicit accesses only (SDM 4.6.1); an
 * implicit supervisor access to a user page always faults under SMAP.
 * Not modelled: supervisor protection keys (CR4.PKS), shadow-stack and HLAT
 * error bits, and CPUs without 1 GiB pages (PS=1 in a PDPTE always maps).
 *
 * A paging-structure entry that is not in RAM (MMIO, unassigned, or an
 * unreadable translate_table_addr target) reads as all-ones and faults with
 * P|RSVD in every mode, including 32-bit paging (which has no reserved bits
 * in PTEs): a hostile table must never map anything.
 */
WalkStatus walk_translate(const WalkCtx *ctx, uint64_t la, WalkAccess acc,
                          WalkResult *out) MUST_CHECK;

/*
 * PAE paging outside IA-32e mode (SDM 4.4.1): read the four PDPTEs of the
 * 32-byte aligned table at cr3[31:5] from as into out[4] (the PDPTE
 * registers that WalkCtx.pdpte then points at). false, with out left as it
 * was: an entry is present with a reserved bit set (2:1, 8:5, 63:
 * MAXPHYADDR; maxphyaddr 0 is the default), or is not in RAM (as if
 * all-ones): the MOV to CR0/CR3/CR4 that asked raises #GP(0).
 */
bool walk_pae_load_pdptes(AddrSpace *as, uint64_t cr3, unsigned maxphyaddr,
                          uint64_t out[4]) MUST_CHECK;

#endif
