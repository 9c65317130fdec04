/*
 * Intel 8042 keyboard controller with a PS/2 keyboard and mouse (data port
 * 0x60, status/command port 0x64; IRQ 1 keyboard, IRQ 12 mouse), including
 * the set 2 -> set 1 translation, the A20 gate and the CPU reset line.
 * Ref: IBM PC AT Technical Reference (keyboard controller); PS/2 mouse and
 * keyboard command sets as documented for the IBM PS/2 hardware.
 */
#ifndef XLAT_HW_INPUT_I8042_H
#define XLAT_HW_INPUT_I8042_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/irq.h"
#include "machine/vmstate.h"
#include "mmu/memory.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_KBD_IRQ 1
#define I8042_AUX_IRQ 12

/* mouse buttons for i8042_mouse_event() */
#define I8042_BUTTON_LEFT 0x1
#define I8042_BUTTON_RIGHT 0x2
#define I8042_BUTTON_MIDDLE 0x4

typedef struct I8042 I8042;

/*
 * Map ports 0x60 and 0x64 into io_root. The lines are copied:
 * kbd_irq / aux_irq drive ISA IRQ 1 / 12 (level: high while the output
 * buffer holds a byte from that device and its interrupt is enabled);
 * a20 follows output-port bit 1 (level); reset is pulsed when the guest
 * asks for a CPU reset (command 0xfe, or output-port bit 0 written as 0).
 */
I8042 *i8042_new(MemRegion *io_root, IrqLine kbd_irq, IrqLine aux_irq,
                 IrqLine a20, IrqLine reset);
void i8042_reset(I8042 *s);
void i8042_free(I8042 *s);

/*
 * A key went down or up. keycode is the key's scan code set 2 make code:
 * 0x01-0x84 for plain keys, 0xe000 | code for the E0-prefixed keys (e.g.
 * 0xe075 cursor up, 0xe014 right Ctrl). Pause (E1 sequence) and Print
 * Screen's fake shifts are not generated. The keyboard sends the code in
 * its current set (1 or 2); the controller translates when XLATE is on.
 */
void i8042_key_event(I8042 *s, unsigned keycode, bool down);

/*
 * Relative mouse motion: dx > 0 right, dy > 0 DOWN (screen convention; the
 * PS/2 packet carries up as positive), dz > 0 wheel towards the user,
 * buttons a mask of I8042_BUTTON_*. Ignored unless data reporting is on.
 */
void i8042_mouse_event(I8042 *s, int dx, int dy, int dz, unsigned buttons);

/* output port bit 1 */
bool i8042_a20_enabled(const I8042 *s);

/* the snapshot fields (guest-visible state), *count rows */
const VmStateField *i8042_get_vmstate(size_t *count);

#endif
