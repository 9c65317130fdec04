/*
 * Self-tests of the native oracle: snippets whose outcome follows from the
 * SDM (flags of add/adc, #DE at the div, #UD, #PF with address and error
 * bits, #GP, #AC), the run-control paths (terminator, timeout, seccomp kill)
 * and the plumbing (registers round-trip, data writes come back, pushf, rep
 * movsb), plus the random-state generator and the diff printer.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <string.h>

#include "native.h"

#define CODE(...) ((const uint8_t[]){__VA_ARGS__})
#define CASE(c, ...)                                                           \
    do {                                                                       \
        static const uint8_t bytes_[] = {__VA_ARGS__};                         \
        (c)->code = bytes_;                                                    \
        (c)->len = sizeof(bytes_);                                             \
    } while (0)

static DtCase tc;
static DtResult out;

static void setup(void)
{
    memset(&tc, 0, sizeof(tc));
    dt_state_init(&tc.init);
}

TestSuite(difftest, .init = setup, .timeout = 30);

static void run(void)
{
    cr_assert_eq(dt_native_run(&tc, &out), 0, "host could not run the case");
}

/* ---- run control and plumbing ---- */

Test(difftest, empty_snippet_returns_initial_state)
{
    dt_state_random(&tc.init, 42);
    tc.init.rip = DT_CODE_ADDR;
    run();
    cr_assert_eq(out.exception, DT_EXC_NONE, "got %s",
                 dt_exc_name(out.exception));
    cr_assert_eq(dt_state_diff(&tc.init, &out.final, DT_FLAGS_USER, stderr), 0);
}

Test(difftest, nop_advances_rip_to_terminator)
{
    CASE(&tc, 0x90, 0x90, 0x90); /* nop x3 */
    run();
    cr_assert_eq(out.exception, DT_EXC_NONE);
    cr_assert_eq(out.final.rip, DT_CODE_ADDR + 3);
}

Test(difftest, every_register_is_loaded_and_captured)
{
    for (unsigned i = 0; i < DT_NREGS; i++) {
        tc.init.gpr[i] = 0x1111111111111111ull * (i + 1) + i;
    }
    CASE(&tc, 0x48, 0xff, 0xc1); /* inc rcx */
    run();
    cr_assert_eq(out.exception, DT_EXC_NONE);
    for (unsigned i = 0; i < DT_NREGS; i++) {
        uint64_t want = tc.init.gpr[i] + (i == DT_RCX);
        cr_assert_eq(out.final.gpr[i], want, "%s", dt_reg_name(i));
    }
}

Test(difftest, writes_into_data_region_come_back)
{
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x200;
    tc.init.gpr[DT_RAX] = 0x0123456789abcdefull;
    tc.init.gpr[DT_RBX] = 0xfedcba9876543210ull;
    tc.init.data[0x1ff] = 0x5a;
    /* mov [rdi], rax; mov [rdi+8], rbx */
    CASE(&tc, 0x48, 0x89, 0x07, 0x48, 0x89, 0x5f, 0x08);
    run();
    cr_assert_eq(out.exception, DT_EXC_NONE);
    uint64_t a, b;
    memcpy(&a, &out.final.data[0x200], 8);
    memcpy(&b, &out.final.data[0x208], 8);
    cr_assert_eq(a, tc.init.gpr[DT_RAX]);
    cr_assert_eq(b, tc.init.gpr[DT_RBX]);
    cr_assert_eq(out.final.data[0x1ff], 0x5a);
    cr_assert_eq(out.final.data[0x210], 0);
}

Test(difftest, pushf_shows_the_flags)
{
    tc.init.rflags = DT_CF | DT_ZF | DT_OF;
    uint64_t rsp = tc.init.gpr[DT_RSP];
    CASE(&tc, 0x9c, 0x9c, 0x58); /* pushfq; pushfq; pop rax */
    run();
    cr_assert_eq(out.exception, DT_EXC_NONE);
    uint64_t rax = out.final.gpr[DT_RAX];
    cr_assert_eq(rax & DT_FLAGS_USER, DT_CF | DT_ZF | DT_OF);
    cr_assert(rax & 0x2, "bit 1 of RFLAGS always reads 1");
    cr_assert_eq(out.final.gpr[DT_RSP], rsp - 8);
    uint64_t pushed;
    memcpy(&pushed, &out.final.data[rsp - 8 - DT_DATA_ADDR], 8);
    cr_assert_eq(pushed, rax);
}

Test(difftest, rep_movsb_copies_inside_data_region)
{
    dt_state_random(&tc.init, 7);
    tc.init.rflags = 0;
    tc.init.gpr[DT_RSI] = DT_DATA_ADDR + 0x40;
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x1000;
    tc.init.gpr[DT_RCX] = 100;
    CASE(&tc, 0xf3, 0xa4); /* rep movsb */
    run();
    cr_assert_eq(out.exception, DT_EXC_NONE);
    cr_assert_eq(memcmp(&out.final.data[0x1000], &tc.init.data[0x40], 100), 0);
    cr_assert_eq(out.final.data[0x1000 + 100], tc.init.data[0x1000 + 100]);
    cr_assert_eq(out.final.gpr[DT_RCX], 0);
    cr_assert_eq(out.final.gpr[DT_RSI], DT_DATA_ADDR + 0x40 + 100);
    cr_assert_eq(out.final.gpr[DT_RDI], DT_DATA_ADDR + 0x1000 + 100);
}

Test(difftest, direction_flag_is_loaded)
{
    tc.init.rflags = DT_DF;
    tc.init.gpr[DT_RSI] = DT_DATA_ADDR + 0x80;
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x180;
    tc.init.gpr[DT_RCX] = 4;
    CASE(&tc, 0xf3, 0xa4); /* rep movsb, backwards */
    run();
    cr_assert_eq(out.final.gpr[DT_RSI], DT_DATA_ADDR + 0x80 - 4);
    cr_assert(out.final.rflags & DT_DF);
}

Test(difftest, infinite_loop_times_out)
{
    tc.timeout_ms = 200;
    CASE(&tc, 0xeb, 0xfe); /* jmp . */
    run();
    cr_assert_eq(out.exception, DT_EXC_TIMEOUT, "got %s",
                 dt_exc_name(out.exception));
    cr_assert_eq(out.final.rip, DT_CODE_ADDR);
}

Test(difftest, system_call_is_killed_by_the_sandbox)
{
    tc.init.gpr[DT_RAX] = 39; /* getpid */
    CASE(&tc, 0x0f, 0x05);    /* syscall */
    run();
    cr_assert_eq(out.exception, DT_EXC_KILLED, "got %s",
                 dt_exc_name(out.exception));
    cr_assert_eq(out.signal, SIGKILL);
}

/* ---- exceptions ---- */

Test(difftest, div_by_zero_is_de_at_the_div)
{
    tc.init.gpr[DT_RAX] = 1234;
    tc.init.gpr[DT_RDX] = 99;
    tc.init.gpr[DT_RCX] = 0;
    CASE(&tc, 0x31, 0xd2, 0x48, 0xf7, 0xf1); /* xor edx, edx; div rcx */
    run();
    cr_assert_eq(out.exception, DT_EXC_DE, "got %s",
                 dt_exc_name(out.exception));
    cr_assert_eq(out.final.rip, DT_CODE_ADDR + 2);
    cr_assert_eq(out.final.gpr[DT_RDX], 0); /* the xor ran */
    cr_assert_eq(out.final.gpr[DT_RAX], 1234);
}

Test(difftest, ud2_is_ud)
{
    CASE(&tc, 0x90, 0x0f, 0x0b); /* nop; ud2 */
    run();
    cr_assert_eq(out.exception, DT_EXC_UD);
    cr_assert_eq(out.final.rip, DT_CODE_ADDR + 1);
}

Test(difftest, load_from_unmapped_is_pf_read_user)
{
    tc.init.gpr[DT_RBX] = 0x1008;
    CASE(&tc, 0x48, 0x8b, 0x03); /* mov rax, [rbx] */
    run();
    cr_assert_eq(out.exception, DT_EXC_PF);
    cr_assert_eq(out.fault_addr, 0x1008);
    cr_assert_eq(out.pf_error & (DT_PF_P | DT_PF_W | DT_PF_U | DT_PF_I),
                 DT_PF_U);
    cr_assert_eq(out.final.rip, DT_CODE_ADDR);
}

Test(difftest, store_to_code_is_pf_present_write)
{
    tc.init.gpr[DT_RBX] = DT_CODE_ADDR + 0x100;
    CASE(&tc, 0x88, 0x03); /* mov [rbx], al */
    run();
    cr_assert_eq(out.exception, DT_EXC_PF);
    cr_assert_eq(out.fault_addr, DT_CODE_ADDR + 0x100);
    cr_assert_eq(out.pf_error & (DT_PF_P | DT_PF_W | DT_PF_U),
                 DT_PF_P | DT_PF_W | DT_PF_U);
}

Test(difftest, jump_to_null_is_pf_fetch)
{
    CASE(&tc, 0x31, 0xc0, 0xff, 0xe0); /* xor eax, eax; jmp rax */
    run();
    cr_assert_eq(out.exception, DT_EXC_PF);
    cr_assert_eq(out.fault_addr, 0);
    cr_assert_eq(out.final.rip, 0);
    cr_assert(out.pf_error & DT_PF_I);
}

Test(difftest, privileged_instruction_is_gp)
{
    CASE(&tc, 0x90, 0xf4); /* nop; hlt */
    run();
    cr_assert_eq(out.exception, DT_EXC_GP);
    cr_assert_eq(out.final.rip, DT_CODE_ADDR + 1);
}

Test(difftest, non_canonical_load_is_gp)
{
    tc.init.gpr[DT_RBX] = 0x8000000000000000ull;
    CASE(&tc, 0x48, 0x8b, 0x03); /* mov rax, [rbx] */
    run();
    cr_assert_eq(out.exception, DT_EXC_GP);
}

Test(difftest, snippet_int3_is_bp_not_terminator)
{
    CASE(&tc, 0xcc, 0x90); /* int3; nop */
    run();
    cr_assert_eq(out.exception, DT_EXC_BP);
    cr_assert_eq(out.final.rip, DT_CODE_ADDR + 1); /* after the int3 */
}

Test(difftest, misaligned_load_with_ac_is_ac)
{
    tc.init.rflags = DT_AC;
    tc.init.gpr[DT_RDI] = DT_DATA_ADDR + 0x100;
    CASE(&tc, 0x8b, 0x47, 0x01); /* mov eax, [rdi+1] */
    run();
    cr_assert_eq(out.exception, DT_EXC_AC, "got %s",
                 dt_exc_name(out.exception));
    tc.init.rflags = 0;
    run();
    cr_assert_eq(out.exception, DT_EXC_NONE);
}

Test(difftest, stack_pointing_anywhere_is_survived)
{
    tc.init.gpr[DT_RSP] = 0x10; /* push faults; the handler has its stack */
    CASE(&tc, 0x50);            /* push rax */
    run();
    cr_assert_eq(out.exception, DT_EXC_PF);
    cr_assert_eq(out.fault_addr, 0x8);
    cr_assert_eq(out.pf_error & DT_PF_W, DT_PF_W);
}

/* ---- flags of add and adc ---- */

typedef struct FlagCase {
    bool adc;
    bool cf_in;
    uint64_t a, b;
    uint64_t sum;
    uint32_t flags; /* SDM: CF OF SF ZF AF PF of the result */
} FlagCase;

static uint32_t parity_flag(uint64_t v)
{
    return __builtin_parity((unsigned)(v & 0xff)) ? 0 : DT_PF;
}

static uint32_t expected_flags(const FlagCase *fc)
{
    unsigned cin = fc->adc && fc->cf_in;
    unsigned __int128 wide = (unsigned __int128)fc->a + fc->b + cin;
    uint64_t r = (uint64_t)wide;
    uint32_t f = parity_flag(r);
    f |= (wide >> 64) ? DT_CF : 0;
    f |= r == 0 ? DT_ZF : 0;
    f |= (r >> 63) ? DT_SF : 0;
    f |= ((fc->a ^ fc->b ^ r) & 0x10) ? DT_AF : 0;
    f |= ((~(fc->a ^ fc->b) & (fc->a ^ r)) >> 63) ? DT_OF : 0;
    return f;
}

ParameterizedTestParameters(difftest, add_adc_flags)
{
    static FlagCase cases[] = {
        {.a = ~0ull, .b = 1},
        {.a = 0x7fffffffffffffffull, .b = 1},
        {.a = 0x8000000000000000ull, .b = 0x8000000000000000ull},
        {.a = 0x0f, .b = 0x01},
        {.a = 3, .b = 4},
        {.adc = true, .cf_in = true, .a = 5, .b = 7},
        {.adc = true, .cf_in = true, .a = ~0ull, .b = 0},
        {.adc = true, .cf_in = false, .a = ~0ull, .b = 0},
        {.adc = true, .cf_in = true, .a = 0x7fffffffffffffffull, .b = 0},
    };
    return cr_make_param_array(FlagCase, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(FlagCase *fc, difftest, add_adc_flags)
{
    tc.init.gpr[DT_RAX] = fc->a;
    tc.init.gpr[DT_RBX] = fc->b;
    /* the other status flags start set, to show they are rewritten */
    tc.init.rflags = (DT_FLAGS_STATUS & ~DT_CF) | (fc->cf_in ? DT_CF : 0);
    if (fc->adc) {
        CASE(&tc, 0x48, 0x11, 0xd8); /* adc rax, rbx */
    } else {
        CASE(&tc, 0x48, 0x01, 0xd8); /* add rax, rbx */
    }
    run();
    cr_assert_eq(out.exception, DT_EXC_NONE);
    cr_assert_eq(out.final.gpr[DT_RAX], fc->a + fc->b + (fc->adc && fc->cf_in));
    cr_assert_eq(out.final.rflags & DT_FLAGS_STATUS, expected_flags(fc),
                 "0x%llx + 0x%llx: flags 0x%llx, want 0x%x",
                 (unsigned long long)fc->a, (unsigned long long)fc->b,
                 (unsigned long long)(out.final.rflags & DT_FLAGS_STATUS),
                 expected_flags(fc));
}

Test(difftest, add_known_flag_values)
{
    /* spelled out once, so a wrong expected_flags() cannot hide a bug */
    tc.init.gpr[DT_RAX] = ~0ull;
    tc.init.gpr[DT_RBX] = 1;
    CASE(&tc, 0x48, 0x01, 0xd8); /* add rax, rbx */
    run();
    cr_assert_eq(out.final.gpr[DT_RAX], 0);
    cr_assert_eq(out.final.rflags & DT_FLAGS_STATUS,
                 DT_CF | DT_ZF | DT_PF | DT_AF);
    tc.init.gpr[DT_RAX] = 0x7fffffffffffffffull;
    run();
    cr_assert_eq(out.final.rflags & DT_FLAGS_STATUS,
                 DT_OF | DT_SF | DT_AF | DT_PF);
}

/* ---- states ---- */

Test(difftest, random_state_is_reproducible_and_usable)
{
    static DtState a, b, c;
    dt_state_random(&a, 1);
    dt_state_random(&b, 1);
    dt_state_random(&c, 2);
    cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
    cr_assert_neq(dt_state_diff(&a, &c, DT_FLAGS_USER, NULL), 0);
    cr_assert_eq(a.rflags & ~(uint64_t)DT_FLAGS_STATUS, 0);
    cr_assert(a.gpr[DT_RSP] >= DT_DATA_ADDR + 256 &&
              a.gpr[DT_RSP] < DT_DATA_ADDR + DT_DATA_SIZE - 256);
    cr_assert_eq(a.gpr[DT_RSP] & 0xf, 0);
}

Test(difftest, diff_names_each_difference)
{
    static DtState a, b;
    char *buf = NULL;
    size_t len = 0;
    dt_state_init(&a);
    b = a;
    b.gpr[DT_R13] = 5;
    b.rflags = DT_CF | DT_ZF;
    b.data[0x10] = 0xaa;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(dt_state_diff(&a, &b, DT_CF, f), 3);
    fclose(f);
    cr_assert(strstr(buf, "r13") != NULL, "%s", buf);
    cr_assert(strstr(buf, "rflags") != NULL, "%s", buf);
    cr_assert(strstr(buf, "data[0x10]") != NULL, "%s", buf);
    free(buf);
    cr_assert_eq(dt_state_diff(&a, &b, DT_ZF | DT_CF, NULL), 3);
    cr_assert_eq(dt_state_diff(&a, &a, DT_FLAGS_USER, NULL), 0);
}
