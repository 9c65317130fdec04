/*
 * -cpu: model names, versions and aliases, +feat / -feat / feat=on|off
 * (QEMU's order: properties, then +, then -), the Linux spellings
 * (sse4_2), vendor=, phys-bits=, host-phys-bits=, tsc-frequency=, the
 * warning for a requested feature xlat lacks, errors for unknown names
 * and bad values, and -cpu help.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_models.h"
#include "machine/cmdline.h"

static MachineConfig cfg;
static char *err;

static void teardown(void)
{
    config_free(&cfg);
    free(err);
    err = NULL;
}

TestSuite(cpu_option, .fini = teardown, .timeout = 10);

static CmdlineResult cpu(const char *spec)
{
    config_free(&cfg);
    free(err);
    err = NULL;
    char *argv[] = {"xlat", "-cpu", (char *)spec, NULL};
    return cmdline_parse(3, argv, &cfg, stdout, &err);
}

static bool has(CpuFeatureWord w, unsigned bit)
{
    return (cfg.cpu.words[w] >> bit) & 1;
}

Test(cpu_option, default_is_qemu64)
{
    char *argv[] = {"xlat", NULL};
    cr_assert_eq(cmdline_parse(1, argv, &cfg, stdout, &err), CMDLINE_RUN);
    cr_expect_str_eq(cfg.cpu.name, "qemu64");
    cr_expect_str_eq(cfg.cpu.vendor, "AuthenticAMD");
    cr_expect_eq(cfg.cpu_warnings, NULL);
}

Test(cpu_option, names_versions_aliases)
{
    cr_assert_eq(cpu("Skylake-Client-v3"), CMDLINE_RUN);
    cr_expect_str_eq(cfg.cpu.name, "Skylake-Client-v3");
    cr_expect(has(FW_7_0_EDX, 26), "v2's spec-ctrl is in v3");
    cr_assert_eq(cpu("Skylake-Client-noTSX-IBRS"), CMDLINE_RUN);
    cr_expect_str_eq(cfg.cpu.name, "Skylake-Client-v3");
    static const char *const names[] = {"base",
                                        "max",
                                        "Nehalem",
                                        "SandyBridge",
                                        "IvyBridge",
                                        "Haswell-v4",
                                        "Skylake-Server-v5",
                                        "Cascadelake-Server-v2",
                                        "Icelake-Server-v5",
                                        "Opteron_G1",
                                        "Opteron_G2",
                                        "Opteron_G3",
                                        "Opteron_G4",
                                        "Opteron_G5",
                                        "EPYC-IBPB"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        cr_expect_eq(cpu(names[i]), CMDLINE_RUN, "%s", names[i]);
    }
    cr_assert_eq(cpu("Pentium9"), CMDLINE_ERROR);
    cr_expect_str_eq(err, "-cpu Pentium9: unknown CPU model 'Pentium9' "
                          "(-cpu help lists them)");
    cr_expect_eq(cpu("Haswell-v5"), CMDLINE_ERROR, "no such version");
}

Test(cpu_option, plus_minus_and_on_off)
{
    cr_assert_eq(cpu("Nehalem,-popcnt,+movbe"), CMDLINE_RUN);
    cr_expect_not(has(FW_1_ECX, 23));
    cr_expect(has(FW_1_ECX, 22));
    cr_assert_eq(cpu("Nehalem,popcnt=off,sse4_2=off,movbe=on"), CMDLINE_RUN);
    cr_expect_not(has(FW_1_ECX, 23));
    cr_expect_not(has(FW_1_ECX, 20), "sse4_2 is sse4.2");
    cr_expect(has(FW_1_ECX, 22));
    cr_assert_eq(cpu("Nehalem,-popcnt,popcnt=on"), CMDLINE_RUN);
    cr_expect_not(has(FW_1_ECX, 23), "-feat is applied last");
    cr_assert_eq(cpu("Nehalem,+bmi1,lahf_lm=off"), CMDLINE_RUN);
    cr_expect(has(FW_7_0_EBX, 3));
    cr_expect_not(has(FW_E1_ECX, 0));
    cr_expect_eq(cfg.cpu_warnings, NULL, "both implemented");
}

Test(cpu_option, unimplemented_feature_warns)
{
    cr_assert_eq(cpu("max,+avx512f,avx2=on"), CMDLINE_RUN);
    cr_assert_not_null(cfg.cpu_warnings);
    cr_expect_str_eq(cfg.cpu_warnings,
                     "warning: TCG doesn't support requested feature: "
                     "CPUID.07H:EBX.avx2 [bit 5]\n"
                     "warning: TCG doesn't support requested feature: "
                     "CPUID.07H:EBX.avx512f [bit 16]\n");
    cr_expect_not(has(FW_7_0_EBX, 16), "left out");
    cr_assert_eq(cpu("Skylake-Server"), CMDLINE_RUN);
    cr_expect_eq(cfg.cpu_warnings, NULL, "the model's own: silent");
    cr_expect_not(has(FW_7_0_EBX, 16));
    cr_assert_eq(cpu("max,+avx,enforce"), CMDLINE_ERROR);
    cr_expect(strstr(err, "CPUID.01H:ECX.avx [bit 28]"), "%s", err);
}

Test(cpu_option, unknown_feature_is_an_error)
{
    cr_assert_eq(cpu("max,+frobnicate"), CMDLINE_ERROR);
    cr_expect_str_eq(err, "-cpu max,+frobnicate: unknown CPU feature "
                          "'frobnicate'");
    cr_assert_eq(cpu("max,frob=on"), CMDLINE_ERROR);
    cr_expect_str_eq(err, "-cpu max,frob=on: unknown CPU property or "
                          "feature 'frob'");
    cr_assert_eq(cpu("max,popcnt=maybe"), CMDLINE_ERROR);
    cr_expect_str_eq(err, "-cpu max,popcnt=maybe: feature 'popcnt' takes on "
                          "or off, not 'maybe'");
}

Test(cpu_option, properties)
{
    cr_assert_eq(cpu("Haswell,vendor=AuthenticAMD,phys-bits=44"), CMDLINE_RUN);
    cr_expect_str_eq(cfg.cpu.vendor, "AuthenticAMD");
    cr_expect(cfg.cpu.amd);
    cr_expect_eq(cfg.cpu.phys_bits, 44);
    cr_assert_eq(cpu("Haswell,vendor=Intel"), CMDLINE_ERROR);
    cr_expect_str_eq(err, "-cpu Haswell,vendor=Intel: vendor 'Intel' must "
                          "be 12 characters");
    cr_assert_eq(cpu("max,phys-bits=60"), CMDLINE_ERROR);
    cr_expect_str_eq(err, "-cpu max,phys-bits=60: property 'phys-bits' "
                          "needs a number from 32 to 52");
    cr_assert_eq(cpu("max,host-phys-bits=on"), CMDLINE_RUN);
    cr_expect_geq(cfg.cpu.phys_bits, 32);
    cr_expect_leq(cfg.cpu.phys_bits, 52);
    cr_assert_eq(cpu("max,host-phys-bits=sometimes"), CMDLINE_ERROR);
    cr_assert_eq(cpu("max,tsc-frequency=2500000000,family=6,model=0x55,"
                     "stepping=7,model-id=Test,,CPU"),
                 CMDLINE_RUN);
    cr_expect_eq(cfg.cpu.tsc_khz, 2500000);
    cr_expect_eq(cfg.cpu.signature, 0x00050657);
    cr_expect_str_eq(cfg.cpu.model_id, "Test,CPU", ",, is a comma");
    cr_assert_eq(cpu("max,family=23"), CMDLINE_RUN);
    cr_expect_eq((cfg.cpu.signature >> 8) & 0xf, 0xf);
    cr_expect_eq((cfg.cpu.signature >> 20) & 0xff, 8, "extended family");
}

Test(cpu_option, help_lists_models_and_flags)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    char *argv[] = {"xlat", "-cpu", "help", NULL};
    cr_assert_eq(cmdline_parse(3, argv, &cfg, f, &err), CMDLINE_EXIT);
    fclose(f);
    cr_expect(strstr(buf, "Skylake-Client-v3"));
    cr_expect(strstr(buf, "alias Skylake-Client-noTSX-IBRS"));
    cr_expect(strstr(buf, "Opteron_G5"));
    cr_expect(strstr(buf, "EPYC"));
    cr_expect(strstr(buf, "sse4_2*"), "implemented flags are marked");
    cr_expect(strstr(buf, " avx512f ") || strstr(buf, " avx512f\n"));
    free(buf);
}
