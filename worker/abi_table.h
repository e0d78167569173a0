/*
** abi_table.h: the three plugin ABIs as data, for abi.c only.
**
** Each ABI lists its exports once: X(id, name, parameters, result,
** if_empty). Parameters are all i32 (pointers, lengths, indexes are u32
** in the plugins' own words). The result is one of the conventions below.
** if_empty: when the export answers an empty string, the run fails with
** this text (after "name: "). Every ABI needs an exported memory as
** well ("memory"); the engine checks that first.
*/
#ifndef PLUGSUP_WORKER_ABI_TABLE_H
#define PLUGSUP_WORKER_ABI_TABLE_H

typedef enum abi_ret {
  ABI_RET_NONE,   /* () */
  ABI_RET_I32,    /* (i32): a value, or a pointer to a NUL-terminated string */
  ABI_RET_I64,    /* (i64): ptr << 32 | len */
  ABI_RET_TEXT    /* either of the two above, picked by the export's type */
} abi_ret;

/* process: a ledger tool's plugins. Pure: no imports at all. */
#define ABI_PROCESS_EXPORTS(X)                                            \
  X(ALLOC, "alloc", 1, ABI_RET_I32, NULL)                                 \
  X(PROCESS, "process", 2, ABI_RET_I64, NULL)

/* tool: an agent framework's tools. No allocator: the host grows memory. */
#define ABI_TOOL_EXPORTS(X)                                               \
  X(NAME, "plugin_name", 0, ABI_RET_I32, NULL)                            \
  X(VERSION, "plugin_version", 0, ABI_RET_I32,                            \
    "empty version: not compatible with ABI v1")                          \
  X(DESCRIPTION, "plugin_description", 0, ABI_RET_I32, NULL)              \
  X(TOOLS_COUNT, "plugin_tools_count", 0, ABI_RET_I32, NULL)              \
  X(TOOL_NAME, "plugin_tool_name", 1, ABI_RET_I32, NULL)                  \
  X(TOOL_DESCRIPTION, "plugin_tool_description", 1, ABI_RET_I32, NULL)    \
  X(TOOL_EXECUTE, "plugin_tool_execute", 2, ABI_RET_I32, NULL)

/* observe: a compliance tool's checks (Go wasip1 and TinyGo reactors). */
#define ABI_OBSERVE_EXPORTS(X)                                            \
  X(ALLOCATE, "allocate", 1, ABI_RET_I32, NULL)                           \
  X(DEALLOCATE, "deallocate", 2, ABI_RET_NONE, NULL)                      \
  X(DESCRIBE, "describe", 0, ABI_RET_TEXT, NULL)                          \
  X(SCHEMA, "schema", 0, ABI_RET_TEXT, NULL)                              \
  X(OBSERVE, "observe", 2, ABI_RET_TEXT, NULL)

/* Export indexes: ABI_PROCESS_ALLOC, ABI_TOOL_NAME, ... */
#define ABI_ENUM(prefix, id) prefix##_##id,
#define X_PROCESS(id, name, np, ret, empty) ABI_ENUM(ABI_PROCESS, id)
#define X_TOOL(id, name, np, ret, empty) ABI_ENUM(ABI_TOOL, id)
#define X_OBSERVE(id, name, np, ret, empty) ABI_ENUM(ABI_OBSERVE, id)
enum { ABI_PROCESS_EXPORTS(X_PROCESS) ABI_PROCESS_N };
enum { ABI_TOOL_EXPORTS(X_TOOL) ABI_TOOL_N };
enum { ABI_OBSERVE_EXPORTS(X_OBSERVE) ABI_OBSERVE_N };
#undef X_PROCESS
#undef X_TOOL
#undef X_OBSERVE
#undef ABI_ENUM

#define ABI_ROW(id, name, np, ret, empty) {name, np, ret, empty},

#endif
