/*
 * Intel 8259A PIC pair, cascaded as on the PC/AT. Ref: Intel 8259A
 * datasheet (231468): ICW1-4, OCW1-3, fully nested / special mask modes,
 * rotation, automatic EOI, poll mode; ELCR per the PIIX4/ICH datasheets.
 *
 * Priority is kept as `lowest`: the IR with the lowest priority; IR
 * (lowest + 1) & 7 has the highest. Edge inputs latch IRR on a rising edge
 * and keep it until acknowledged; level inputs make IRR follow the pin, so
 * a request that drops before INTA yields the spurious IR7 vector.
 * The slave's INT output feeds master IR2 directly (as a level).
 */
#include "hw/intc/i8259.h"

#include "util/common.h"
#include "util/log.h"

#include <stdlib.h>

#define PIC_CASCADE_IR 2

typedef struct PicChip {
    uint8_t irr, isr, imr;
    uint8_t elcr;   /* 1 = level triggered */
    uint8_t pins;   /* current input levels */
    uint8_t vector; /* ICW2 & 0xf8 */
    uint8_t icw1, icw3, icw4;
    uint8_t init_step; /* 0 ready, else the ICW expected next (2-4) */
    uint8_t lowest;    /* IR with the lowest priority */
    uint8_t read_isr;  /* OCW3 RR/RIS: read ISR instead of IRR */
    uint8_t poll;      /* OCW3 P: next read is a poll */
    uint8_t special_mask;
    uint8_t rotate_aeoi;
} PicChip;

struct I8259 {
    PicChip chips[2]; /* master, slave */
    IrqLine intr;
    bool intr_level;
    IrqLine inputs[I8259_NUM_IRQS];
    IrqLine dummy;
    MemRegion *io_root, *mr_master, *mr_slave, *mr_elcr;
};

/* ELCR bits that may be set: IRQ 0, 1, 2, 8 and 13 are always edge */
static const uint8_t pic_elcr_mask[2] = {0xf8, 0xde};

static const VmStateField i8259_vmstate[] = {
    VMSTATE_FIELD(I8259, chips),
    VMSTATE_FIELD(I8259, intr_level),
};

const VmStateField *i8259_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(i8259_vmstate);
    return i8259_vmstate;
}

/* 0 is the highest priority; 8 means no bit of mask is set */
static int pic_priority(const PicChip *c, uint8_t mask)
{
    for (int p = 0; p < 8; p++) {
        if (mask & (1u << ((c->lowest + 1 + p) & 7))) {
            return p;
        }
    }
    return 8;
}

static int pic_ir_of(const PicChip *c, int priority)
{
    return (c->lowest + 1 + priority) & 7;
}

static bool pic_level_mode(const PicChip *c, int ir)
{
    return (c->icw1 & 0x08) || (c->elcr & (1u << ir));
}

/* the IR the chip would signal now, or -1 */
static int pic_pending(const PicChip *c, bool is_master)
{
    int req = pic_priority(c, c->irr & ~c->imr);
    if (req == 8) {
        return -1;
    }
    uint8_t in_service = c->isr;
    if (c->special_mask) {
        in_service &= ~c->imr;
    }
    /* special fully nested: the slave may interrupt its own service */
    if (is_master && (c->icw4 & 0x10)) {
        in_service &= ~(1u << PIC_CASCADE_IR);
    }
    return req < pic_priority(c, in_service) ? pic_ir_of(c, req) : -1;
}

static void pic_update(I8259 *s)
{
    PicChip *m = &s->chips[0];
    if (pic_pending(&s->chips[1], false) >= 0) {
        m->irr |= 1u << PIC_CASCADE_IR;
    } else {
        m->irr &= ~(1u << PIC_CASCADE_IR);
    }
    bool level = pic_pending(m, true) >= 0;
    if (level != s->intr_level) {
        s->intr_level = level;
        irq_set(&s->intr, level);
    }
}

static void pic_set_pin(PicChip *c, int ir, int level)
{
    uint8_t bit = 1u << ir;
    if (pic_level_mode(c, ir)) {
        c->irr = level ? (c->irr | bit) : (c->irr & ~bit);
    } else if (level && !(c->pins & bit)) {
        c->irr |= bit;
    }
    c->pins = level ? (c->pins | bit) : (c->pins & ~bit);
}

static void pic_input(void *opaque, int n, int level)
{
    I8259 *s = opaque;
    if (n == PIC_CASCADE_IR) {
        return;
    }
    pic_set_pin(&s->chips[n >> 3], n & 7, level);
    pic_update(s);
}

/* move ir from IRR to ISR (or straight through in AEOI mode) */
static void pic_ack(PicChip *c, int ir)
{
    uint8_t bit = 1u << ir;
    if (!pic_level_mode(c, ir)) {
        c->irr &= ~bit;
    }
    if (c->icw4 & 0x02) {
        if (c->rotate_aeoi) {
            c->lowest = ir;
        }
    } else {
        c->isr |= bit;
    }
}

int i8259_intack(I8259 *s)
{
    PicChip *m = &s->chips[0], *sl = &s->chips[1];
    int ir = pic_pending(m, true);
    int vec;
    if (ir < 0) {
        vec = m->vector | 7; /* spurious IRQ 7: ISR untouched */
    } else if (ir == PIC_CASCADE_IR) {
        int sir = pic_pending(sl, false);
        pic_ack(m, ir);
        if (sir < 0) {
            vec = sl->vector | 7; /* spurious IRQ 15 */
        } else {
            pic_ack(sl, sir);
            vec = sl->vector | sir;
        }
    } else {
        pic_ack(m, ir);
        vec = m->vector | ir;
    }
    pic_update(s);
    return vec;
}

bool i8259_intr_level(const I8259 *s)
{
    return s->intr_level;
}

static void pic_eoi(PicChip *c, int ir, bool rotate)
{
    if (ir < 0) {
        int p = pic_priority(c, c->isr);
        if (p == 8) {
            return;
        }
        ir = pic_ir_of(c, p);
    }
    c->isr &= ~(1u << ir);
    if (rotate) {
        c->lowest = ir;
    }
}

static void pic_write_ocw2(PicChip *c, uint8_t val)
{
    int ir = val & 7;
    switch (val >> 5) {
    case 0: /* rotate in AEOI mode: clear */
        c->rotate_aeoi = 0;
        break;
    case 4: /* rotate in AEOI mode: set */
        c->rotate_aeoi = 1;
        break;
    case 1: /* non-specific EOI */
        pic_eoi(c, -1, false);
        break;
    case 5: /* rotate on non-specific EOI */
        pic_eoi(c, -1, true);
        break;
    case 3: /* specific EOI */
        pic_eoi(c, ir, false);
        break;
    case 7: /* rotate on specific EOI */
        pic_eoi(c, ir, true);
        break;
    case 6: /* set priority: ir becomes the lowest */
        c->lowest = ir;
        break;
    default: /* 2: no operation */
        break;
    }
}

static void pic_write_ocw3(PicChip *c, uint8_t val)
{
    if (val & 0x04) {
        c->poll = 1;
    }
    if (val & 0x02) {
        c->read_isr = val & 1;
    }
    if (val & 0x40) {
        c->special_mask = (val >> 5) & 1;
    }
}

static void pic_write_icw1(PicChip *c, uint8_t val)
{
    if (!(val & 0x01)) {
        c->icw4 = 0; /* no ICW4: 8080 mode bits clear, normal EOI */
    }
    if (val & 0x04) {
        log_unimp("i8259", "call address interval 4 ignored");
    }
    c->icw1 = val;
    c->imr = 0;
    c->isr = 0;
    c->irr = 0;
    c->lowest = 7;
    c->special_mask = 0;
    c->read_isr = 0;
    c->poll = 0;
    c->rotate_aeoi = 0;
    c->init_step = 2;
}

static void pic_write_data(PicChip *c, uint8_t val)
{
    switch (c->init_step) {
    case 2:
        c->vector = val & 0xf8;
        c->init_step = !(c->icw1 & 0x02) ? 3 : (c->icw1 & 0x01) ? 4 : 0;
        break;
    case 3:
        c->icw3 = val;
        c->init_step = (c->icw1 & 0x01) ? 4 : 0;
        break;
    case 4:
        if (!(val & 0x01)) {
            log_unimp("i8259", "8080/8085 mode not supported");
        }
        c->icw4 = val;
        c->init_step = 0;
        break;
    default:
        c->imr = val;
        break;
    }
}

/* poll command: acknowledge the highest request as a read */
static uint8_t pic_poll(I8259 *s, int chip)
{
    PicChip *c = &s->chips[chip];
    c->poll = 0;
    int ir = pic_pending(c, chip == 0);
    if (ir < 0) {
        return 0;
    }
    pic_ack(c, ir); /* a slave request stays pending for the slave's poll */
    pic_update(s);
    return 0x80 | ir;
}

static uint64_t pic_read(I8259 *s, int chip, uint64_t addr)
{
    PicChip *c = &s->chips[chip];
    if (c->poll) {
        return pic_poll(s, chip);
    }
    if (addr == 0) {
        return c->read_isr ? c->isr : c->irr;
    }
    return c->imr;
}

static void pic_write(I8259 *s, int chip, uint64_t addr, uint8_t val)
{
    PicChip *c = &s->chips[chip];
    if (addr == 1) {
        pic_write_data(c, val);
    } else if (val & 0x10) {
        pic_write_icw1(c, val);
    } else if (val & 0x08) {
        pic_write_ocw3(c, val);
    } else {
        pic_write_ocw2(c, val);
    }
    pic_update(s);
}

static uint64_t pic_master_read(void *opaque, uint64_t addr, unsigned size)
{
    return pic_read(opaque, 0, addr);
}

static void pic_master_write(void *opaque, uint64_t addr, uint64_t val,
                             unsigned size)
{
    pic_write(opaque, 0, addr, (uint8_t)val);
}

static uint64_t pic_slave_read(void *opaque, uint64_t addr, unsigned size)
{
    return pic_read(opaque, 1, addr);
}

static void pic_slave_write(void *opaque, uint64_t addr, uint64_t val,
                            unsigned size)
{
    pic_write(opaque, 1, addr, (uint8_t)val);
}

static uint64_t pic_elcr_read(void *opaque, uint64_t addr, unsigned size)
{
    I8259 *s = opaque;
    return s->chips[addr & 1].elcr;
}

static void pic_elcr_write(void *opaque, uint64_t addr, uint64_t val,
                           unsigned size)
{
    I8259 *s = opaque;
    int chip = addr & 1;
    if (val & ~pic_elcr_mask[chip] & 0xff) {
        log_guest_error("i8259", "ELCR%d: reserved bits 0x%x ignored", chip,
                        (unsigned)(val & ~pic_elcr_mask[chip] & 0xff));
    }
    s->chips[chip].elcr = val & pic_elcr_mask[chip];
    pic_update(s);
}

static const MemOps pic_master_ops = {
    .read = pic_master_read,
    .write = pic_master_write,
    .valid = {.min = 1, .max = 1},
    .impl = {.min = 1, .max = 1},
};

static const MemOps pic_slave_ops = {
    .read = pic_slave_read,
    .write = pic_slave_write,
    .valid = {.min = 1, .max = 1},
    .impl = {.min = 1, .max = 1},
};

static const MemOps pic_elcr_ops = {
    .read = pic_elcr_read,
    .write = pic_elcr_write,
    .valid = {.min = 1, .max = 2},
    .impl = {.min = 1, .max = 1},
};

IrqLine *i8259_irq_line(I8259 *s, int n)
{
    if (n < 0 || n >= I8259_NUM_IRQS) {
        return &s->dummy;
    }
    return &s->inputs[n];
}

void i8259_reset(I8259 *s)
{
    for (int i = 0; i < 2; i++) {
        PicChip *c = &s->chips[i];
        uint8_t pins = c->pins;
        *c = (PicChip){.lowest = 7, .pins = pins};
    }
    s->intr_level = false;
    irq_set(&s->intr, 0);
}

I8259 *i8259_new(MemRegion *io_root, IrqLine intr)
{
    I8259 *s = xzalloc(sizeof(*s));
    s->intr = intr;
    for (int i = 0; i < I8259_NUM_IRQS; i++) {
        s->inputs[i] = irq_line(pic_input, s, i);
    }
    i8259_reset(s);
    s->mr_master = mr_new_io("i8259-master", 2, &pic_master_ops, s);
    s->mr_slave = mr_new_io("i8259-slave", 2, &pic_slave_ops, s);
    s->mr_elcr = mr_new_io("i8259-elcr", 2, &pic_elcr_ops, s);
    mr_add_subregion(io_root, I8259_MASTER_BASE, s->mr_master, 0);
    mr_add_subregion(io_root, I8259_SLAVE_BASE, s->mr_slave, 0);
    mr_add_subregion(io_root, I8259_ELCR_BASE, s->mr_elcr, 0);
    s->io_root = io_root;
    return s;
}

void i8259_free(I8259 *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->io_root, s->mr_master);
    mr_del_subregion(s->io_root, s->mr_slave);
    mr_del_subregion(s->io_root, s->mr_elcr);
    mr_free(s->mr_master);
    mr_free(s->mr_slave);
    mr_free(s->mr_elcr);
    free(s);
}
