/*
 * vmstate.h: the tiny snapshot description used by device models.
 *
 * Each device lists its guest-visible fields (not its wiring) in a
 * `static const VmStateField xxx_vmstate[]` table of {name, offset, size};
 * the snapshot code (later) walks the table to save and restore the bytes.
 * No versioning and no nested structures yet: keep the fields flat.
 */
#ifndef XLAT_MACHINE_VMSTATE_H
#define XLAT_MACHINE_VMSTATE_H

#include <stddef.h>

typedef struct VmStateField {
    const char *name; /* field name, for dumps and diagnostics */
    size_t offset;    /* offsetof(state struct, field) */
    size_t size;      /* sizeof the field in bytes */
} VmStateField;

/* One table row for field `field` of state struct `type`. */
#define VMSTATE_FIELD(type, field)                                             \
    {                                                                          \
        .name = #field, .offset = offsetof(type, field),                       \
        .size = sizeof(((type *)0)->field),                                    \
    }

/* Row count of a table (tables are plain arrays, no terminator). */
#define VMSTATE_COUNT(table) (sizeof(table) / sizeof((table)[0]))

#endif /* XLAT_MACHINE_VMSTATE_H */
