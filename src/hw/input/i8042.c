/*
 * i8042 keyboard controller with a PS/2 keyboard and mouse. Ref: IBM PC AT
 * Technical Reference (8042 commands, command byte, output port); IBM PS/2
 * keyboard and mouse command sets.
 *
 * The controller has one output buffer (port 0x60) fed from three queues:
 * controller replies (never blocked), the keyboard and the mouse (held
 * while the command byte disables that interface). Each consumed byte
 * drops the IRQ line before the next byte raises it again, so an
 * edge-triggered PIC sees one edge per byte. Keyboard bytes pass the set 2
 * -> set 1 translation when the command byte's XLATE bit is set.
 */
#include "hw/input/i8042.h"

#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/log.h"

#define I8042_QUEUE_LEN 64

/* status register */
#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08 /* last write was to port 0x64 */
#define ST_UNLOCKED 0x10
#define ST_AUXB 0x20

/* command byte (controller RAM byte 0) */
#define CB_KBD_INT 0x01
#define CB_AUX_INT 0x02
#define CB_SYS 0x04
#define CB_KBD_DISABLE 0x10
#define CB_AUX_DISABLE 0x20
#define CB_XLATE 0x40

/* output port */
#define OP_RESET 0x01 /* 0 holds the CPU in reset */
#define OP_A20 0x02

#define KBD_ACK 0xfa
#define KBD_RESEND 0xfe
#define KBD_BAT_OK 0xaa

#define Q_AUX 0x100 /* controller-queue entry shown as mouse data */

typedef struct ByteQueue {
    uint16_t buf[I8042_QUEUE_LEN];
    uint8_t head, len;
} ByteQueue;

typedef struct Ps2Kbd {
    uint8_t scanset; /* 1 or 2 */
    uint8_t scanning;
    uint8_t pending; /* command waiting for its argument byte */
    uint8_t leds;
    uint8_t typematic;
} Ps2Kbd;

typedef struct Ps2Mouse {
    uint8_t pending;
    uint8_t reporting, remote, wrap, scaling21;
    uint8_t resolution, rate, id, buttons;
    uint8_t knock[3];   /* the last three sample rates, newest last */
    int32_t dx, dy, dz; /* motion not yet reported (remote mode) */
} Ps2Mouse;

struct I8042 {
    uint8_t ram[32]; /* ram[0]: the command byte */
    uint8_t status;
    uint8_t out; /* output buffer */
    uint8_t outport;
    uint8_t pending; /* controller command waiting for a data byte */
    uint8_t xlate_break;
    ByteQueue ctrlq, kbdq, auxq;
    Ps2Kbd kbd;
    Ps2Mouse mouse;
    uint8_t kbd_level, aux_level;
    IrqLine kbd_irq, aux_irq, a20, reset;
    MemRegion *io_root, *mr_data, *mr_cmd;
};

static const VmStateField i8042_vmstate[] = {
    VMSTATE_FIELD(I8042, ram),     VMSTATE_FIELD(I8042, status),
    VMSTATE_FIELD(I8042, out),     VMSTATE_FIELD(I8042, outport),
    VMSTATE_FIELD(I8042, pending), VMSTATE_FIELD(I8042, xlate_break),
    VMSTATE_FIELD(I8042, ctrlq),   VMSTATE_FIELD(I8042, kbdq),
    VMSTATE_FIELD(I8042, auxq),    VMSTATE_FIELD(I8042, kbd),
    VMSTATE_FIELD(I8042, mouse),
};

const VmStateField *i8042_get_vmstate(size_t *count)
{
    *count = ARRAY_LEN(i8042_vmstate);
    return i8042_vmstate;
}

/*
 * Set 2 make code -> set 1 make code, the table of the 8042's translation.
 * Codes 0x80 and up pass unchanged (prefixes and replies), except the two
 * set 2 codes above 0x7f (F7, Alt+SysRq).
 */
static const uint8_t set2_to_set1[0x85] = {
    [0x01] = 0x43, [0x02] = 0x41, [0x03] = 0x3f, [0x04] = 0x3d, [0x05] = 0x3b,
    [0x06] = 0x3c, [0x07] = 0x58, [0x09] = 0x44, [0x0a] = 0x42, [0x0b] = 0x40,
    [0x0c] = 0x3e, [0x0d] = 0x0f, [0x0e] = 0x29, [0x11] = 0x38, [0x12] = 0x2a,
    [0x14] = 0x1d, [0x15] = 0x10, [0x16] = 0x02, [0x1a] = 0x2c, [0x1b] = 0x1f,
    [0x1c] = 0x1e, [0x1d] = 0x11, [0x1e] = 0x03, [0x21] = 0x2e, [0x22] = 0x2d,
    [0x23] = 0x20, [0x24] = 0x12, [0x25] = 0x05, [0x26] = 0x04, [0x29] = 0x39,
    [0x2a] = 0x2f, [0x2b] = 0x21, [0x2c] = 0x14, [0x2d] = 0x13, [0x2e] = 0x06,
    [0x31] = 0x31, [0x32] = 0x30, [0x33] = 0x23, [0x34] = 0x22, [0x35] = 0x15,
    [0x36] = 0x07, [0x3a] = 0x32, [0x3b] = 0x24, [0x3c] = 0x16, [0x3d] = 0x08,
    [0x3e] = 0x09, [0x41] = 0x33, [0x42] = 0x25, [0x43] = 0x17, [0x44] = 0x18,
    [0x45] = 0x0b, [0x46] = 0x0a, [0x49] = 0x34, [0x4a] = 0x35, [0x4b] = 0x26,
    [0x4c] = 0x27, [0x4d] = 0x19, [0x4e] = 0x0c, [0x52] = 0x28, [0x54] = 0x1a,
    [0x55] = 0x0d, [0x58] = 0x3a, [0x59] = 0x36, [0x5a] = 0x1c, [0x5b] = 0x1b,
    [0x5d] = 0x2b, [0x61] = 0x56, [0x66] = 0x0e, [0x69] = 0x4f, [0x6b] = 0x4b,
    [0x6c] = 0x47, [0x70] = 0x52, [0x71] = 0x53, [0x72] = 0x50, [0x73] = 0x4c,
    [0x74] = 0x4d, [0x75] = 0x48, [0x76] = 0x01, [0x77] = 0x45, [0x78] = 0x57,
    [0x79] = 0x4e, [0x7a] = 0x51, [0x7b] = 0x4a, [0x7c] = 0x37, [0x7d] = 0x49,
    [0x7e] = 0x46, [0x83] = 0x41, [0x84] = 0x54,
};

static uint8_t i8042_translate(uint8_t b)
{
    if (b < ARRAY_LEN(set2_to_set1) && (b < 0x80 || set2_to_set1[b])) {
        return set2_to_set1[b];
    }
    return b;
}

/* ---- queues ---- */

static bool queue_push(ByteQueue *q, uint16_t v)
{
    if (q->len >= I8042_QUEUE_LEN) {
        return false; /* overrun: the byte is lost */
    }
    q->buf[(q->head + q->len) % I8042_QUEUE_LEN] = v;
    q->len++;
    return true;
}

static uint16_t queue_pop(ByteQueue *q)
{
    uint16_t v = q->buf[q->head];
    q->head = (q->head + 1) % I8042_QUEUE_LEN;
    q->len--;
    return v;
}

static unsigned queue_room(const ByteQueue *q)
{
    return I8042_QUEUE_LEN - q->len;
}

/* ---- output buffer and IRQs ---- */

static uint8_t i8042_cmd_byte(const I8042 *s)
{
    return s->ram[0];
}

static void i8042_set_lines(I8042 *s, uint8_t kbd, uint8_t aux)
{
    if (kbd != s->kbd_level) {
        s->kbd_level = kbd;
        irq_set(&s->kbd_irq, kbd);
    }
    if (aux != s->aux_level) {
        s->aux_level = aux;
        irq_set(&s->aux_irq, aux);
    }
}

static void i8042_update(I8042 *s)
{
    uint8_t cb = i8042_cmd_byte(s);
    if (!(s->status & ST_OBF)) {
        uint16_t v = 0;
        bool got = true;
        if (s->ctrlq.len) {
            v = queue_pop(&s->ctrlq);
        } else if (s->kbdq.len && !(cb & CB_KBD_DISABLE)) {
            v = queue_pop(&s->kbdq);
        } else if (s->auxq.len && !(cb & CB_AUX_DISABLE)) {
            v = queue_pop(&s->auxq) | Q_AUX;
        } else {
            got = false;
        }
        if (got) {
            s->out = (uint8_t)v;
            s->status =
                (s->status & ~ST_AUXB) | ST_OBF | ((v & Q_AUX) ? ST_AUXB : 0);
        }
    }
    bool full = s->status & ST_OBF, aux = s->status & ST_AUXB;
    i8042_set_lines(s, full && !aux && (cb & CB_KBD_INT),
                    full && aux && (cb & CB_AUX_INT));
}

static void i8042_ctrl_reply(I8042 *s, uint16_t v)
{
    queue_push(&s->ctrlq, v);
}

/* a byte from the keyboard, through the translation when enabled */
static void kbd_send(I8042 *s, uint8_t b)
{
    if (i8042_cmd_byte(s) & CB_XLATE) {
        if (b == 0xf0) {
            s->xlate_break = 1;
            return;
        }
        b = i8042_translate(b) | (s->xlate_break ? 0x80 : 0);
        s->xlate_break = 0;
    }
    queue_push(&s->kbdq, b);
}

static void aux_send(I8042 *s, uint8_t b)
{
    queue_push(&s->auxq, b);
}

/* ---- keyboard ---- */

static void kbd_defaults(Ps2Kbd *k)
{
    k->scanset = 2;
    k->typematic = 0x2b;
    k->leds = 0;
    k->pending = 0;
}

static void kbd_argument(I8042 *s, uint8_t val)
{
    Ps2Kbd *k = &s->kbd;
    uint8_t cmd = k->pending;
    k->pending = 0;
    switch (cmd) {
    case 0xed:
        k->leds = val & 7;
        break;
    case 0xf3:
        k->typematic = val & 0x7f;
        break;
    default: /* 0xf0 */
        if (val == 0) {
            kbd_send(s, KBD_ACK);
            kbd_send(s, k->scanset);
            return;
        }
        if (val == 3) {
            log_unimp("i8042", "scancode set 3; staying in set %u", k->scanset);
        } else if (val <= 2) {
            k->scanset = val;
        } else {
            kbd_send(s, KBD_RESEND);
            return;
        }
        break;
    }
    kbd_send(s, KBD_ACK);
}

static void kbd_write(I8042 *s, uint8_t val)
{
    Ps2Kbd *k = &s->kbd;
    if (k->pending && val < 0xed) {
        kbd_argument(s, val);
        return;
    }
    k->pending = 0;
    switch (val) {
    case 0xed: /* set LEDs */
    case 0xf0: /* scancode set */
    case 0xf3: /* typematic rate */
        k->pending = val;
        kbd_send(s, KBD_ACK);
        break;
    case 0xee: /* echo */
        kbd_send(s, 0xee);
        break;
    case 0xf2: /* identify: MF2 keyboard */
        kbd_send(s, KBD_ACK);
        kbd_send(s, 0xab);
        kbd_send(s, 0x83);
        break;
    case 0xf4:
        k->scanning = 1;
        kbd_send(s, KBD_ACK);
        break;
    case 0xf5:
        kbd_defaults(k);
        k->scanning = 0;
        kbd_send(s, KBD_ACK);
        break;
    case 0xf6:
        kbd_defaults(k);
        kbd_send(s, KBD_ACK);
        break;
    case 0xf7:
    case 0xf8:
    case 0xf9:
    case 0xfa: /* set 3 key types */
    case 0xfb:
    case 0xfc:
    case 0xfd:
        kbd_send(s, KBD_ACK);
        break;
    case 0xff: /* reset and self test */
        s->kbdq.len = 0;
        kbd_defaults(k);
        k->scanning = 1;
        kbd_send(s, KBD_ACK);
        kbd_send(s, KBD_BAT_OK);
        break;
    default: /* 0xfe resend and unknown commands */
        kbd_send(s, KBD_RESEND);
        break;
    }
}

void i8042_key_event(I8042 *s, unsigned keycode, bool down)
{
    uint8_t code = keycode & 0xff;
    bool ext = (keycode >> 8) == 0xe0;
    if (!s->kbd.scanning || code == 0 || (keycode >> 8 && !ext) ||
        queue_room(&s->kbdq) < 3) {
        return;
    }
    if (ext) {
        kbd_send(s, 0xe0);
    }
    if (s->kbd.scanset == 1) {
        kbd_send(s, i8042_translate(code) | (down ? 0 : 0x80));
    } else {
        if (!down) {
            kbd_send(s, 0xf0);
        }
        kbd_send(s, code);
    }
    i8042_update(s);
}

/* ---- mouse ---- */

static void mouse_defaults(Ps2Mouse *m)
{
    m->rate = 100;
    m->resolution = 2;
    m->scaling21 = 0;
    m->reporting = 0;
    m->remote = 0;
    m->pending = 0;
    m->dx = m->dy = m->dz = 0;
}

static int clamp9(int v, bool *overflow)
{
    *overflow = v < -256 || v > 255;
    return v < -256 ? -256 : v > 255 ? 255 : v;
}

/* one movement packet of the accumulated motion */
static void mouse_send_packet(I8042 *s)
{
    Ps2Mouse *m = &s->mouse;
    bool ox, oy;
    int dx = clamp9(m->dx, &ox), dy = clamp9(m->dy, &oy);
    int dz = m->dz < -8 ? -8 : m->dz > 7 ? 7 : m->dz;
    aux_send(s, (uint8_t)(0x08 | (m->buttons & 7) | (dx < 0) << 4 |
                          (dy < 0) << 5 | ox << 6 | oy << 7));
    aux_send(s, (uint8_t)dx);
    aux_send(s, (uint8_t)dy);
    if (m->id == 3) {
        aux_send(s, (uint8_t)dz);
    }
    m->dx = m->dy = m->dz = 0;
}

static void mouse_set_rate(Ps2Mouse *m, uint8_t rate)
{
    m->rate = rate;
    m->knock[0] = m->knock[1];
    m->knock[1] = m->knock[2];
    m->knock[2] = rate;
    if (m->knock[0] == 200 && m->knock[1] == 100 && m->knock[2] == 80) {
        m->id = 3; /* IntelliMouse: wheel in a 4th byte */
    }
}

static void mouse_status(I8042 *s)
{
    Ps2Mouse *m = &s->mouse;
    uint8_t b = m->remote << 6 | m->reporting << 5 | m->scaling21 << 4;
    b |= (m->buttons & I8042_BUTTON_LEFT) << 2;
    b |= (m->buttons & I8042_BUTTON_MIDDLE) >> 1;
    b |= (m->buttons & I8042_BUTTON_RIGHT) >> 1;
    aux_send(s, b);
    aux_send(s, m->resolution);
    aux_send(s, m->rate);
}

static void mouse_command(I8042 *s, uint8_t val)
{
    Ps2Mouse *m = &s->mouse;
    switch (val) {
    case 0xe6:
    case 0xe7:
        m->scaling21 = val == 0xe7;
        break;
    case 0xe8: /* resolution */
    case 0xf3: /* sample rate */
        m->pending = val;
        break;
    case 0xea:
    case 0xf0:
        m->remote = val == 0xf0;
        break;
    case 0xec:
    case 0xee:
        m->wrap = val == 0xee;
        break;
    case 0xf4:
    case 0xf5:
        m->reporting = val == 0xf4;
        m->dx = m->dy = m->dz = 0;
        break;
    case 0xf6:
        mouse_defaults(m);
        break;
    default:
        break;
    }
}

static void mouse_write(I8042 *s, uint8_t val)
{
    Ps2Mouse *m = &s->mouse;
    if (m->wrap && val != 0xec && val != 0xff) {
        aux_send(s, val);
        return;
    }
    if (m->pending) {
        if (m->pending == 0xf3) {
            mouse_set_rate(m, val);
        } else {
            m->resolution = val & 3;
        }
        m->pending = 0;
        aux_send(s, KBD_ACK);
        return;
    }
    if (val < 0xe6 || val == 0xe1 || val == 0xef || val == 0xf1 ||
        (val > 0xf6 && val < 0xfe)) {
        aux_send(s, KBD_RESEND);
        return;
    }
    aux_send(s, KBD_ACK);
    switch (val) {
    case 0xe9:
        mouse_status(s);
        break;
    case 0xeb:
        mouse_send_packet(s);
        break;
    case 0xf2:
        aux_send(s, m->id);
        break;
    case 0xff:
        s->auxq.len = 0;
        aux_send(s, KBD_ACK);
        mouse_defaults(m);
        m->wrap = 0;
        m->id = 0;
        aux_send(s, KBD_BAT_OK);
        aux_send(s, 0x00);
        break;
    default:
        mouse_command(s, val);
        break;
    }
}

void i8042_mouse_event(I8042 *s, int dx, int dy, int dz, unsigned buttons)
{
    Ps2Mouse *m = &s->mouse;
    m->buttons = buttons & 7;
    if (!m->remote && !m->reporting) {
        return; /* stream mode with reporting off drops motion */
    }
    m->dx = (int32_t)MAX(MIN((int64_t)m->dx + dx, 4096), -4096);
    m->dy = (int32_t)MAX(MIN((int64_t)m->dy - dy, 4096), -4096);
    m->dz = (int32_t)MAX(MIN((int64_t)m->dz + dz, 64), -64);
    if (!m->reporting || m->remote || m->wrap || queue_room(&s->auxq) < 4) {
        return;
    }
    mouse_send_packet(s);
    i8042_update(s);
}

/* ---- controller ---- */

static void i8042_set_outport(I8042 *s, uint8_t val)
{
    uint8_t old = s->outport;
    s->outport = val;
    if ((old ^ val) & OP_A20) {
        irq_set(&s->a20, (val & OP_A20) != 0);
    }
    if (!(val & OP_RESET)) {
        irq_pulse(&s->reset);
        s->outport |= OP_RESET; /* the reset line returns high */
    }
}

bool i8042_a20_enabled(const I8042 *s)
{
    return s->outport & OP_A20;
}

static uint8_t i8042_read_outport(const I8042 *s)
{
    uint8_t v = s->outport & 0xcf;
    if ((s->status & (ST_OBF | ST_AUXB)) == ST_OBF) {
        v |= 0x10;
    }
    if ((s->status & (ST_OBF | ST_AUXB)) == (ST_OBF | ST_AUXB)) {
        v |= 0x20;
    }
    return v;
}

static void i8042_write_ram(I8042 *s, unsigned idx, uint8_t val)
{
    s->ram[idx & 0x1f] = val;
    if ((idx & 0x1f) == 0) {
        s->status = (s->status & ~ST_SYS) | (val & CB_SYS);
    }
}

static void i8042_command(I8042 *s, uint8_t cmd)
{
    if (cmd >= 0x20 && cmd < 0x40) {
        i8042_ctrl_reply(s, s->ram[cmd & 0x1f]);
        return;
    }
    if ((cmd >= 0x60 && cmd < 0x80) || (cmd >= 0xd1 && cmd <= 0xd4)) {
        s->pending = cmd;
        return;
    }
    if (cmd >= 0xf0) { /* pulse output lines; bit 0 is the reset line */
        if (!(cmd & 1)) {
            irq_pulse(&s->reset);
        }
        return;
    }
    switch (cmd) {
    case 0xa7:
        s->ram[0] |= CB_AUX_DISABLE;
        break;
    case 0xa8:
        s->ram[0] &= ~CB_AUX_DISABLE;
        break;
    case 0xa9: /* aux interface test: ok */
    case 0xab: /* keyboard interface test: ok */
    case 0xe0: /* test inputs */
        i8042_ctrl_reply(s, 0x00);
        break;
    case 0xaa: /* controller self test */
        i8042_write_ram(s, 0, s->ram[0] | CB_SYS);
        i8042_ctrl_reply(s, 0x55);
        break;
    case 0xad:
        s->ram[0] |= CB_KBD_DISABLE;
        break;
    case 0xae:
        s->ram[0] &= ~CB_KBD_DISABLE;
        break;
    case 0xc0: /* input port: keyboard not inhibited */
        i8042_ctrl_reply(s, 0x80);
        break;
    case 0xd0:
        i8042_ctrl_reply(s, i8042_read_outport(s));
        break;
    case 0xdd:
    case 0xdf:
        i8042_set_outport(
            s, (uint8_t)((s->outport & ~OP_A20) | (cmd == 0xdf ? OP_A20 : 0)));
        break;
    default:
        log_guest_error("i8042", "unknown controller command 0x%x", cmd);
        break;
    }
}

static void i8042_data(I8042 *s, uint8_t val)
{
    uint8_t cmd = s->pending;
    s->pending = 0;
    if (cmd >= 0x60 && cmd < 0x80) {
        i8042_write_ram(s, cmd, val);
        return;
    }
    switch (cmd) {
    case 0xd1:
        i8042_set_outport(s, val);
        break;
    case 0xd2:
        i8042_ctrl_reply(s, val);
        break;
    case 0xd3:
        i8042_ctrl_reply(s, val | Q_AUX);
        break;
    case 0xd4:
        mouse_write(s, val);
        break;
    default: /* no pending command: the byte goes to the keyboard */
        kbd_write(s, val);
        break;
    }
}

static uint64_t i8042_read_data(void *opaque, uint64_t addr, unsigned size)
{
    I8042 *s = opaque;
    uint8_t v = s->out;
    if (s->status & ST_OBF) {
        s->status &= ~(ST_OBF | ST_AUXB);
        i8042_set_lines(s, 0, 0); /* the next byte makes a new edge */
        i8042_update(s);
    }
    return v;
}

static void i8042_write_data(void *opaque, uint64_t addr, uint64_t val,
                             unsigned size)
{
    I8042 *s = opaque;
    s->status &= ~ST_CMD;
    i8042_data(s, (uint8_t)val);
    i8042_update(s);
}

static uint64_t i8042_read_status(void *opaque, uint64_t addr, unsigned size)
{
    I8042 *s = opaque;
    return s->status;
}

static void i8042_write_cmd(void *opaque, uint64_t addr, uint64_t val,
                            unsigned size)
{
    I8042 *s = opaque;
    s->status |= ST_CMD;
    s->pending = 0;
    i8042_command(s, (uint8_t)val);
    i8042_update(s);
}

static const MemOps i8042_data_ops = {
    .read = i8042_read_data,
    .write = i8042_write_data,
    .valid = {.min = 1, .max = 1},
    .impl = {.min = 1, .max = 1},
};

static const MemOps i8042_cmd_ops = {
    .read = i8042_read_status,
    .write = i8042_write_cmd,
    .valid = {.min = 1, .max = 1},
    .impl = {.min = 1, .max = 1},
};

void i8042_reset(I8042 *s)
{
    memset(s->ram, 0, sizeof(s->ram));
    s->ram[0] = CB_KBD_INT | CB_XLATE;
    s->status = ST_UNLOCKED;
    s->out = 0;
    s->pending = 0;
    s->xlate_break = 0;
    s->ctrlq.len = s->kbdq.len = s->auxq.len = 0;
    kbd_defaults(&s->kbd);
    s->kbd.scanning = 1;
    mouse_defaults(&s->mouse);
    s->mouse.wrap = 0;
    s->mouse.id = 0;
    s->mouse.buttons = 0;
    s->outport = OP_RESET | OP_A20;
    irq_set(&s->a20, 1);
    i8042_update(s);
}

I8042 *i8042_new(MemRegion *io_root, IrqLine kbd_irq, IrqLine aux_irq,
                 IrqLine a20, IrqLine reset)
{
    I8042 *s = xzalloc(sizeof(*s));
    s->kbd_irq = kbd_irq;
    s->aux_irq = aux_irq;
    s->a20 = a20;
    s->reset = reset;
    i8042_reset(s);
    s->io_root = io_root;
    s->mr_data = mr_new_io("i8042-data", 1, &i8042_data_ops, s);
    s->mr_cmd = mr_new_io("i8042-cmd", 1, &i8042_cmd_ops, s);
    mr_add_subregion(io_root, I8042_DATA_PORT, s->mr_data, 0);
    mr_add_subregion(io_root, I8042_CMD_PORT, s->mr_cmd, 0);
    return s;
}

void i8042_free(I8042 *s)
{
    if (!s) {
        return;
    }
    mr_del_subregion(s->io_root, s->mr_data);
    mr_del_subregion(s->io_root, s->mr_cmd);
    mr_free(s->mr_data);
    mr_free(s->mr_cmd);
    free(s);
}
