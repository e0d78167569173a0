/*
** plugsup.h: run untrusted WebAssembly plugins in sandboxed worker processes.
**
** The one public header of libplugsup. Every name starts with plugsup_;
** handles are opaque; every fallible call returns a plugsup_status.
**
** LIFECYCLE
**
**   plugsup_config_init(&cfg)             fill in the defaults, then adjust
**   plugsup_supervisor_new(&cfg, &sup)    no process is started yet
**   plugsup_plugin_load_file(path, &plg)  or plugsup_plugin_from_bytes();
**                                         the bytes are kept, never parsed
**   plugsup_run(sup, plg, &opts, &res)    one run, synchronously
**     or plugsup_submit(sup, plg, &opts, &job) many times, then
**        plugsup_wait(sup, job, &res)     or plugsup_wait_any() / _job_take()
**   plugsup_result_free(res)
**   plugsup_plugin_free(plg)              jobs keep their own reference
**   plugsup_supervisor_free(sup)          kills and reaps what is in flight
**
** Each run happens in a fresh `plugsup-worker` process with an empty
** environment: forked from a zygote that loaded the plugin once, or
** started by exec (plugsup_config.spawn); the supervisor never runs
** plugin code itself.
**
** OWNERSHIP. Every plugsup_*_new/_load/_from/_submit call that returns
** PLUGSUP_OK hands the caller one object that the caller frees with the
** matching _free (a job is freed by plugsup_wait, plugsup_job_take or
** plugsup_job_cancel). On any other status nothing was allocated and every
** out-pointer is set to NULL. Input pointers are only borrowed for the call
** unless a comment says otherwise.
**
** ERRORS. Statuses come from one list (PLUGSUP_STATUS_LIST) and
** plugsup_strerror() names each one. A failing call also leaves a sentence
** with the particulars (which file, which option) for plugsup_errmsg() on
** the calling thread. How a *plugin run* ended is not an error of the call:
** it is the result's outcome (PLUGSUP_OUTCOME_LIST).
**
** THREADS. A plugsup_supervisor, and every job submitted to it, belongs to
** one thread at a time: callers that share one serialise all calls on it,
** and may hand it from thread to thread (submit on one, wait on another)
** even after the first has ended. Each supervisor starts workers from a
** thread of its own, which lives until plugsup_supervisor_free: a worker
** dies with the thread that started it, never with the caller's. Distinct
** supervisors may be used from distinct threads at once. A plugsup_plugin
** is immutable and may be shared by many supervisors and threads. Results
** are plain memory owned by the caller. A supervisor does not survive
** fork(): in the child, submitting and waiting fail with EINVAL (its
** workers and pipes are the parent's), and plugsup_supervisor_free only
** releases memory; make a new supervisor there.
**
** SIGNALS AND CHILDREN. The library installs no signal handler and needs no
** SIGCHLD handler, but SIGCHLD must not be ignored (SIG_IGN or
** SA_NOCLDWAIT): the kernel would then reap workers before the supervisor
** learns how they ended, so plugsup_supervisor_new refuses with EINVAL and
** runs started meanwhile end as WORKER_FAILED, both saying why. It reaps
** only its own workers, by pid (through a pidfd, so Linux 5.3 or later),
** and never waits for other children. Writes to a worker's pipe happen
** with SIGPIPE blocked on the calling thread, and a SIGPIPE raised by them
** is consumed before the mask is restored, so the embedding program never
** sees one from plugsup. All descriptors the library opens are
** close-on-exec.
**
** UNTRUSTED TEXT. Every string in a result that came from a worker (names,
** kinds, types, messages, trap kinds, system call names) is valid UTF-8 in
** which controls, C1 controls, bidirectional marks and overrides, and
** invalid bytes are written as escapes (\xNN, \u{XXXX}); in names a
** backslash is written \\, so distinct names stay distinct. It is safe
** to print. The plugin's stdout and stderr, and the data of ABI calls
** (abi_items, abi_output), are its own bytes, unchanged.
*/
#ifndef PLUGSUP_H
#define PLUGSUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(PLUGSUP_BUILDING) && defined(__GNUC__)
#define PLUGSUP_API __attribute__((visibility("default")))
#else
#define PLUGSUP_API
#endif

#define PLUGSUP_VERSION_MAJOR 0
#define PLUGSUP_VERSION_MINOR 1
#define PLUGSUP_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH"; a static string. */
PLUGSUP_API const char *plugsup_version(void);

/* ---- statuses: how a call went ---------------------------------------- */

#define PLUGSUP_STATUS_LIST(X)                                              \
  X(PLUGSUP_OK, "success")                                                  \
  X(PLUGSUP_EINVAL, "invalid argument")                                     \
  X(PLUGSUP_ENOMEM, "out of memory")                                        \
  X(PLUGSUP_ENOENT, "no such file")                                         \
  X(PLUGSUP_EACCES, "permission denied")                                    \
  X(PLUGSUP_EIO, "input/output error")                                      \
  X(PLUGSUP_ETOOBIG, "plugin or input larger than a worker can receive")   \
  X(PLUGSUP_EWORKER, "the worker program cannot be used")                   \
  X(PLUGSUP_ESYSTEM, "a system call failed")                                \
  X(PLUGSUP_EAGAIN, "the job has not finished yet")                         \
  X(PLUGSUP_ETIMEDOUT, "no job finished before the timeout")                \
  X(PLUGSUP_EEMPTY, "no job is pending")                                   \
  X(PLUGSUP_EEXIST, "a plugin with that id is already loaded")              \
  X(PLUGSUP_EREJECTED, "the plugin failed validation")

typedef enum plugsup_status {
#define PLUGSUP_X_(name, text) name,
  PLUGSUP_STATUS_LIST(PLUGSUP_X_)
#undef PLUGSUP_X_
} plugsup_status;

/* A static sentence for s; "unknown status" for a value not in the list. */
PLUGSUP_API const char *plugsup_strerror(plugsup_status s);

/* A malloc'd copy of len bytes of plugin text, safe to print as the
** library's own strings are (UNTRUSTED TEXT above; newlines and tabs are
** escaped too); NULL when out of memory. For the plugin's own bytes that
** a result passes on unchanged: abi_items, abi_output, out, err. */
PLUGSUP_API char *plugsup_text_escape(const void *data, size_t len);

/* The particulars of the last call that failed on this thread, e.g.
** "cannot open 'x.wasm': No such file or directory". Valid until the next
** failing plugsup call on this thread; "" if none failed yet. */
PLUGSUP_API const char *plugsup_errmsg(void);

/* ---- limits and configuration ----------------------------------------- */

/* Fuel value meaning "no instruction budget". */
#define PLUGSUP_FUEL_UNLIMITED UINT64_MAX

/* In a plugsup_config, a 0 field takes the built-in default (memory
** 256 MiB, fuel unlimited, wall time 10 s, output 1 MiB); in
** plugsup_run_options, a 0 field takes the supervisor's value. */
typedef struct plugsup_limits {
  uint64_t memory_bytes; /* linear memory cap, at most 4 GiB */
  uint64_t fuel;         /* instructions; PLUGSUP_FUEL_UNLIMITED for none */
  uint64_t wall_ms;      /* wall-clock deadline; then the worker is killed.
                            Beyond about 584 years: no deadline */
  uint64_t output_bytes; /* stdout plus stderr kept and passed to
                            on_output; the rest is cut, and a worker that
                            sends more than 1 MiB past it is killed.
                            UINT64_MAX: no limit (with output_stream_only,
                            so that nothing grows in memory) */
} plugsup_limits;

/* How a run's worker process starts.
** ZYGOTE: a zygote per plugin (started by exec on the plugin's first run,
** kept until plugsup_supervisor_release or _free) has entered the
** sandbox, decoded and validated the module once (and compiles its bodies
** while it waits between runs, so they are compiled once), and forks a
** fresh child per run, which closes all but its own pipes and takes the
** run's limits and a filter narrower than the zygote's (docs/SECURITY.md).
** The child is the supervisor's own child, waited for by pidfd like an
** exec'd worker. When a zygote cannot start (the kernel refuses it, the
** module does not load) or cannot fork, runs of that plugin fall back to
** EXEC; a zygote that died is restarted on the next run.
** A zygote, and the init that holds its pid namespace, are two processes
** beyond max_in_flight, idle between runs; a supervisor has at most 16
** zygotes.
** EXEC: a new plugsup-worker process by exec for every run.
** DEFAULT: $PLUGSUP_SPAWN ("zygote" or "exec") when set, else ZYGOTE. */
#define PLUGSUP_SPAWN_LIST(X)                                                  \
  X(PLUGSUP_SPAWN_DEFAULT, "default")                                          \
  X(PLUGSUP_SPAWN_ZYGOTE, "zygote")                                            \
  X(PLUGSUP_SPAWN_EXEC, "exec")

typedef enum plugsup_spawn {
#define PLUGSUP_X_(name, text) name,
  PLUGSUP_SPAWN_LIST(PLUGSUP_X_)
#undef PLUGSUP_X_
} plugsup_spawn;

PLUGSUP_API const char *plugsup_spawn_name(plugsup_spawn s);

/* Appended to only; 'size' tells the library which version it got. */
typedef struct plugsup_config {
  size_t size;             /* sizeof(plugsup_config), set by config_init */
  const char *worker_path; /* the plugsup-worker binary; NULL:
                              $PLUGSUP_WORKER if set, else the one
                              installed beside this library (in
                              ../libexec/plugsup/ from the library's
                              directory, or from the program's when it
                              links the static library), else the
                              install path the build was made for */
  plugsup_limits limits;   /* defaults for every run */
  unsigned max_in_flight;  /* workers alive at once; more runs queue; 0: 8 */
  bool no_namespaces;      /* true: workers skip unshare(). Namespaces are
                              a second wall behind the seccomp filter and
                              cost about 0.5 ms per run, mostly the network
                              namespace (bench/README.md) */
  unsigned worker_uid;     /* when the supervisor runs as root, workers
                              switch to this user and group and drop every
                              capability; 0: the user 'nobody' and the */
  unsigned worker_gid;     /* group 'nogroup' of /etc/passwd and
                              /etc/group (65534 if they are not there).
                              Ignored when not root */
  plugsup_spawn spawn;     /* how workers start (above) */
} plugsup_config;

/* Zeroes *cfg and sets cfg->size: all defaults. */
PLUGSUP_API void plugsup_config_init(plugsup_config *cfg);

/* ---- supervisor ------------------------------------------------------- */

typedef struct plugsup_supervisor plugsup_supervisor;
typedef struct plugsup_plugin plugsup_plugin;

/* Copies what it needs from cfg. EINVAL for a bad limit (errmsg says
** which), EWORKER if worker_path is not an executable file. */
PLUGSUP_API plugsup_status plugsup_supervisor_new(const plugsup_config *cfg,
                                                  plugsup_supervisor **out);

/* Kills (SIGKILL) and reaps every worker still running, and every zygote,
** frees every job not yet freed, then sup. NULL is a no-op. */
PLUGSUP_API void plugsup_supervisor_free(plugsup_supervisor *sup);

/* How sup starts workers: PLUGSUP_SPAWN_ZYGOTE or PLUGSUP_SPAWN_EXEC. */
PLUGSUP_API plugsup_spawn plugsup_supervisor_spawn(const plugsup_supervisor *sup);

/* Ends the zygote that serves plugin under sup, if there is one, and
** drops the reference it held: runs in flight go on to their end, and
** the plugin's next run starts a new zygote. For an embedder that is done
** with a plugin but keeps it. A zygote also ends, at the supervisor's next
** run, once its plugin has been freed by everyone else (as the plugin
** manager does on unload and reload), and a supervisor keeps at most 16,
** ending the least recently used when it needs a new one. NULL arguments
** are a no-op. */
PLUGSUP_API void plugsup_supervisor_release(plugsup_supervisor *sup,
                                            plugsup_plugin *plugin);

/* ---- plugins ---------------------------------------------------------- */

/* Reads the whole file, once: later changes to it change nothing.
** ENOENT, EACCES, EIO, ETOOBIG (over 63 MiB). Both constructors keep the
** bytes in a sealed memfd where the kernel allows (so a plugin holds one
** descriptor until its last reference goes), which workers map instead
** of receiving a copy per run. */
PLUGSUP_API plugsup_status plugsup_plugin_load_file(const char *path,
                                                    plugsup_plugin **out);
/* Copies len bytes; len 0 is EINVAL. */
PLUGSUP_API plugsup_status plugsup_plugin_from_bytes(const void *bytes,
                                                     size_t len,
                                                     plugsup_plugin **out);
/* Drops the caller's reference; jobs that use the plugin keep theirs. */
PLUGSUP_API void plugsup_plugin_free(plugsup_plugin *plugin);

/* ---- policies: what a run may touch ----------------------------------- */

/* Deny by default: a run without a policy, or with an empty one, sees no
** file, no environment variable and no wall clock. Capabilities, limits
** and the JSON format are in docs/policy.md. Build a policy, then give it
** to runs: a run keeps a reference, so the caller may free it at once, but
** must not change it while runs that use it are queued or running. Like a
** plugin, a policy in use may be shared by many supervisors and threads. */
typedef struct plugsup_policy plugsup_policy;

PLUGSUP_API plugsup_status plugsup_policy_new(plugsup_policy **out);
PLUGSUP_API void plugsup_policy_free(plugsup_policy *policy);

/* Grants one capability string (network and exec are parsed and shown,
** not yet enforced), or takes one line of plugsup_policy_describe's
** output ("dir:HOST::GUEST", "ro-dir:HOST", "tmp:/tmp", "fs:no-mkdir",
** "limit:NAME:VALUE"; a dir: line's directory is not checked here, but
** when a run starts). EINVAL, errmsg naming the fault, for one that does
** not parse. Examples (as // lines: a glob would nest a comment):
*/
// "fs:read:/srv/data/**"  "fs:write:/tmp/out/*.json"  "env:AWS_*"
// "clock"  "random"  "network:outbound:api.example.com:443"  "exec:git"
PLUGSUP_API plugsup_status plugsup_policy_allow(plugsup_policy *policy,
                                                const char *capability);

/* Preopens the host directory host_dir for the plugin as guest_path
** (NULL: host_dir as written), read-only or read-write beneath it, like
** wasmtime's --dir. ENOENT if host_dir is not a directory now, EINVAL for
** a guest path that is not absolute (or "."). */
PLUGSUP_API plugsup_status plugsup_policy_add_dir(plugsup_policy *policy,
                                                  const char *host_dir,
                                                  const char *guest_path,
                                                  bool writable);

/* The plugin sees NAME=value; value NULL: the value NAME has in this
** process now (none: the plugin sees nothing, and that is not an error).
** EINVAL for an empty name or one with '='. */
PLUGSUP_API plugsup_status plugsup_policy_set_env(plugsup_policy *policy,
                                                  const char *name,
                                                  const char *value);

/* Adds everything a JSON policy grants and limits (docs/policy.md).
** EINVAL with errmsg "FILE:LINE:COLUMN: FIELD.PATH: what is wrong";
** ENOENT/EACCES/EIO for a file that cannot be read. */
PLUGSUP_API plugsup_status plugsup_policy_load_file(plugsup_policy *policy,
                                                    const char *path);
PLUGSUP_API plugsup_status plugsup_policy_load_json(plugsup_policy *policy,
                                                    const char *source_name,
                                                    const char *json,
                                                    size_t len);

/* A new policy that allows only what both grant and request allow: a
** path, variable or capability is granted when each of the two grants it.
** Directories and limits are grant's, each limit lowered to request's
** where request sets a lower one. Neither input is changed. Used for
** an observe plugin's run: what the embedder grants, intersected with
** what the plugin's describe() requests. */
PLUGSUP_API plugsup_status plugsup_policy_intersect(
    const plugsup_policy *grant, const plugsup_policy *request,
    plugsup_policy **out);

/* The policy in words, one capability or limit per line, in the grammar
** plugsup_policy_allow takes: malloc'd, freed by the caller; NULL when out
** of memory. */
PLUGSUP_API char *plugsup_policy_describe(const plugsup_policy *policy);

/* ---- values ----------------------------------------------------------- */

typedef enum plugsup_valtype {
  PLUGSUP_I32 = 1,
  PLUGSUP_I64 = 2,
  PLUGSUP_F32 = 3,
  PLUGSUP_F64 = 4,
  PLUGSUP_FUNCREF = 5,  /* opaque: of.ref is 0 for null, 1 otherwise */
  PLUGSUP_EXTERNREF = 6,
  PLUGSUP_V128 = 7      /* SIMD: of.v128 */
} plugsup_valtype;

typedef struct plugsup_value {
  plugsup_valtype type;
  union {
    int32_t i32;
    int64_t i64;
    float f32;  /* travels as its bit pattern: NaN payloads survive */
    double f64;
    uint64_t ref;
    /* The 16 bytes as v128.store writes them to memory: lane 0 first,
    ** each lane little endian, whatever the host's byte order. */
    uint8_t v128[16];
  } of;
} plugsup_value;

/* Bits of plugsup_result.namespaces: the namespaces a worker entered.
** Entering them is best effort: kernels and containers may refuse any. */
#define PLUGSUP_NS_USER 1u
#define PLUGSUP_NS_NET 2u
#define PLUGSUP_NS_IPC 4u
#define PLUGSUP_NS_MOUNT 8u
#define PLUGSUP_NS_PID 16u

/* ---- runs ------------------------------------------------------------- */

typedef enum plugsup_mode {
  PLUGSUP_MODE_START = 0,    /* WASI command: call _start with argv */
  PLUGSUP_MODE_INVOKE = 1,   /* call export_name with args */
  PLUGSUP_MODE_VALIDATE = 2, /* decode and validate only; report exports */
  PLUGSUP_MODE_INSPECT = 3,  /* VALIDATE, plus how the module measures up
                                to each ABI (abis), the metadata of each
                                ABI it satisfies (abi_items), and its
                                plugsup.manifest section (manifest) */
  PLUGSUP_MODE_METADATA = 4, /* the metadata calls of opts.abi: abi_items */
  PLUGSUP_MODE_CALL = 5      /* one byte call of opts.abi with opts.input
                                as its input: abi_output */
} plugsup_mode;

/* ---- plugin ABIs ------------------------------------------------------
** The byte-call conventions of real plugin systems (docs/abi-*.md). The
** worker calls the plugin's allocator (or grows its memory), writes the
** input, calls the entry point and reads the output back, within one run:
**   PROCESS  alloc(len) -> ptr; process(ptr, len) -> i64 ptr<<32|len.
**            Input and output are bytes. No imports allowed.
**   TOOL     plugin_name/_version/_description() -> NUL-terminated
**            string; plugin_tools_count(); plugin_tool_name(i),
**            plugin_tool_description(i); plugin_tool_execute(i, in) ->
**            string. Input: the tool's text (opts.tool names the tool).
**   OBSERVE  allocate/deallocate, describe(), schema(), observe(ptr, len)
**            -> JSON (u32 pointer to NUL-terminated, or u64 ptr<<32|len).
**            Input: the configuration JSON, passed as it is (schema checks
**            and defaults are the manager's). A response whose "status"
**            is false ends as PLUGSUP_OUTCOME_PLUGIN_ERROR.
** A plugin that breaks its ABI (pointer or length outside memory, string
** without terminator, output over limits.output_bytes, missing or
** mistyped export) ends as PLUGSUP_OUTCOME_ABI_ERROR, the message naming
** the export. */
#define PLUGSUP_ABI_LIST(X)                                                 \
  X(PLUGSUP_ABI_PROCESS, "process")                                         \
  X(PLUGSUP_ABI_TOOL, "tool")                                               \
  X(PLUGSUP_ABI_OBSERVE, "observe")

typedef enum plugsup_abi {
  PLUGSUP_ABI_NONE = 0,
#define PLUGSUP_X_(name, text) name,
  PLUGSUP_ABI_LIST(PLUGSUP_X_)
#undef PLUGSUP_X_
  PLUGSUP_ABI_COUNT_ /* not an ABI: one past the last */
} plugsup_abi;

/* "process", "tool", "observe"; "none" for NONE; "unknown" otherwise. */
PLUGSUP_API const char *plugsup_abi_name(plugsup_abi abi);
/* The ABI named name, or PLUGSUP_ABI_NONE. */
PLUGSUP_API plugsup_abi plugsup_abi_from_name(const char *name);

/* Called with output as it arrives (fd 1 stdout, 2 stderr), on the thread
** that is driving the supervisor, only from inside plugsup_run/_wait/
** _wait_any. Output is also captured in the result, up to the limit,
** unless the run sets output_stream_only. */
typedef void plugsup_output_fn(void *userdata, int fd, const void *data,
                               size_t len);

/* Called, like on_output, with one decision of the broker as one line of
** JSON without its newline, e.g.
**   {"call":"path_open","fd":3,"path":"a.txt","access":"read",
**    "decision":"granted","capability":"fs:read:/srv"}
** docs/policy.md lists the fields. Guest text in it is JSON-escaped. */
typedef void plugsup_audit_fn(void *userdata, const char *json_line);

/* Appended to only. Zero-initialise, then set size = sizeof(*opts). */
typedef struct plugsup_run_options {
  size_t size;
  plugsup_mode mode;
  const char *export_name;     /* INVOKE */
  const plugsup_value *args;   /* INVOKE: nargs values */
  size_t nargs;
  const char *const *argv;     /* START: argc strings; argv[0] is the
                                  program name; none: "plugin" */
  size_t argc;
  plugsup_limits limits;       /* 0 fields: the supervisor's */
  plugsup_output_fn *on_output; /* NULL: capture only */
  void *userdata;
  const void *input;           /* START, INVOKE: what the plugin reads from
                                  stdin, copied; then end of file. NULL with
                                  input_len 0: stdin is empty */
  size_t input_len;
  const plugsup_policy *policy; /* what the run may touch; NULL: nothing */
  plugsup_audit_fn *on_audit;  /* every host-call decision; NULL: none */
  bool input_from_fd;          /* stdin is a stream read from input_fd (a
                                  pipe, tty or file the caller keeps open
                                  until the run ends); input is ignored */
  int input_fd;
  bool output_stream_only;     /* output goes to on_output only and is not
                                  kept: the result's out and err stay empty
                                  (len 0), but their truncated flags still
                                  say whether limits.output_bytes cut them.
                                  With it, a run may stream any amount
                                  (output_bytes UINT64_MAX) in the memory
                                  of one frame at a time */
  plugsup_abi abi;             /* METADATA, CALL: the plugin's ABI; input
                                  is the ABI's input, and stdin is empty */
  const char *tool;            /* CALL of a TOOL plugin: the tool's name */
} plugsup_run_options;

/* How a run ended. */
#define PLUGSUP_OUTCOME_LIST(X)                                             \
  X(PLUGSUP_OUTCOME_OK, "ok")                /* returned: values set */    \
  X(PLUGSUP_OUTCOME_EXIT, "exit")            /* proc_exit: exit_code */    \
  X(PLUGSUP_OUTCOME_TRAP, "trap")            /* trap_kind, message */      \
  X(PLUGSUP_OUTCOME_TIMEOUT, "timeout")      /* wall_ms passed: killed */  \
  X(PLUGSUP_OUTCOME_OUT_OF_FUEL, "out_of_fuel")                             \
  X(PLUGSUP_OUTCOME_OUT_OF_MEMORY, "out_of_memory")                         \
  X(PLUGSUP_OUTCOME_SANDBOX_VIOLATION, "sandbox_violation") /* syscall */   \
  X(PLUGSUP_OUTCOME_CRASHED, "crashed")      /* signal */                  \
  X(PLUGSUP_OUTCOME_INVALID_MODULE, "invalid_module") /* message */         \
  X(PLUGSUP_OUTCOME_BAD_REQUEST, "bad_request") /* no such export, ... */  \
  X(PLUGSUP_OUTCOME_PROTOCOL_ERROR, "protocol_error") /* bad frames */      \
  X(PLUGSUP_OUTCOME_WORKER_FAILED, "worker_failed") /* could not start */ \
  X(PLUGSUP_OUTCOME_ABI_ERROR, "abi_error")  /* broke its ABI: message */  \
  X(PLUGSUP_OUTCOME_PLUGIN_ERROR, "plugin_error") /* said it failed */

typedef enum plugsup_outcome {
#define PLUGSUP_X_(name, text) name,
  PLUGSUP_OUTCOME_LIST(PLUGSUP_X_)
#undef PLUGSUP_X_
  PLUGSUP_OUTCOME_COUNT_ /* not an outcome: one past the last */
} plugsup_outcome;

/* A static lower-case name, e.g. "out_of_fuel"; "unknown" if not listed. */
PLUGSUP_API const char *plugsup_outcome_name(plugsup_outcome o);

typedef struct plugsup_output {
  const char *data; /* len bytes, then a NUL not counted in len; "" for a
                       run with output_stream_only */
  size_t len;
  bool truncated;   /* the plugin wrote more than output_bytes */
} plugsup_output;

/* INSPECT: how the module measures up to one ABI. */
typedef struct plugsup_abi_match {
  plugsup_abi abi;
  const char *const *problems; /* one fault each, e.g. "missing export
                                  'alloc'"; none: the ABI is satisfied */
  size_t problem_count;
  const char *error;           /* satisfied, but its metadata could not be
                                  read: why; else "" */
} plugsup_abi_match;

/* What one ABI call returned: the plugin's bytes, unchanged (a string's
** terminator not included), then a NUL not counted in len. */
typedef struct plugsup_abi_item {
  const char *call;  /* the export, e.g. "plugin_tool_name", "describe" */
  uint32_t index;    /* plugin_tool_name/_description: the tool; else 0 */
  const char *data;
  size_t len;
} plugsup_abi_item;

typedef struct plugsup_export {
  const char *name;
  const char *kind; /* "func", "table", "memory", "global" */
  const char *type; /* e.g. "(i32 i32) -> (i64)" */
} plugsup_export;

/* Allocated by the library, read-only for the caller, freed with
** plugsup_result_free. Appended to only. Every string is non-NULL. */
typedef struct plugsup_result {
  plugsup_outcome outcome;
  int exit_code;              /* EXIT */
  int signal;                 /* CRASHED: the signal that ended the worker */
  const char *trap_kind;      /* TRAP: e.g. "unreachable"; else "" */
  const char *message;        /* detail for every outcome but OK/EXIT */
  const char *syscall;        /* SANDBOX_VIOLATION: e.g. "openat", or
                                 "unknown" when only SIGSYS was seen */
  long syscall_number;        /* SANDBOX_VIOLATION: -1 when unknown */
  const plugsup_value *values; /* OK from INVOKE */
  size_t value_count;
  plugsup_output out;         /* captured stdout, at most output_bytes */
  plugsup_output err;         /* captured stderr, with out */
  uint64_t fuel_used;         /* as reported by the worker; 0 if it died */
  uint64_t peak_memory_bytes; /* peak the worker reports: linear memory
                                 plus the interpreter's own allocations */
  uint64_t max_rss_bytes;     /* peak resident set of the worker process */
  uint64_t cpu_usec;          /* user + system time of the worker (wait4) */
  uint64_t wall_usec;         /* from spawn to reap */
  const plugsup_export *exports; /* VALIDATE: OK, or INVALID_MODULE for a
                                    module that decoded but whose imports
                                    do not link */
  size_t export_count;
  const char *const *imports; /* VALIDATE: "module.name kind" */
  size_t import_count;
  unsigned namespaces;        /* PLUGSUP_NS_* bits the worker entered, as
                                 its hello said; 0 if it never said hello */
  unsigned worker_uid;        /* the worker's ids, as its hello said (inside
                                 its user namespace when it entered one) */
  unsigned worker_gid;
  uint64_t worker_capabilities; /* capabilities the worker kept (effective,
                                   permitted, inheritable or ambient; bit n
                                   = capability n), as its hello said: 0 */
  uint64_t host_calls;        /* host calls the supervisor answered */
  uint64_t host_denials;      /* of which refused by the policy or a limit */
  uint64_t bytes_read;        /* from files and stdin streams, for the plugin */
  uint64_t bytes_written;     /* to files, for the plugin */
  const plugsup_abi_match *abis; /* INSPECT: one per ABI, in list order */
  size_t abi_count;
  const plugsup_abi_item *abi_items; /* INSPECT, METADATA: in call order */
  size_t abi_item_count;
  plugsup_output abi_output;  /* CALL: the entry point's output bytes;
                                 never truncated (over the output limit
                                 is ABI_ERROR: an ABI run's data, all its
                                 items together, has a budget of
                                 limits.output_bytes of its own, beside
                                 stdout and stderr's). PLUGIN_ERROR: the
                                 whole response, message its error */
  const char *manifest;       /* INSPECT: the plugsup.manifest custom
                                 section, manifest_len bytes; "" if none */
  size_t manifest_len;
  uint64_t net_calls;         /* DNS lookups, connections and HTTP requests
                                 made for the plugin (docs/host-functions.md) */
  uint64_t commands;          /* programs run for it (exec_command) */
} plugsup_result;

PLUGSUP_API void plugsup_result_free(plugsup_result *res);

/* Runs one plugin to its end on the calling thread, also driving any jobs
** already submitted. opts NULL: START with defaults. PLUGSUP_OK means *out
** holds a result, whatever its outcome. */
PLUGSUP_API plugsup_status plugsup_run(plugsup_supervisor *sup,
                                       plugsup_plugin *plugin,
                                       const plugsup_run_options *opts,
                                       plugsup_result **out);

/* ---- many runs at once ------------------------------------------------ */

typedef struct plugsup_job plugsup_job;

/* Queues a run; at most max_in_flight workers live at once. Nothing happens
** until the caller drives the supervisor with _run, _wait or _wait_any.
** opts is copied; on_output/userdata must stay valid until the job ends. */
PLUGSUP_API plugsup_status plugsup_submit(plugsup_supervisor *sup,
                                          plugsup_plugin *plugin,
                                          const plugsup_run_options *opts,
                                          plugsup_job **out);

/* Drives the supervisor until job has finished, then moves its result to
** *out and frees job. */
PLUGSUP_API plugsup_status plugsup_wait(plugsup_supervisor *sup,
                                        plugsup_job *job,
                                        plugsup_result **out);

/* Drives the supervisor until some job finishes that no earlier _wait_any
** returned, or timeout_ms passes (-1: no limit, 0: just poll). OK: *out is
** that job, still owned by the caller (take its result with _job_take).
** ETIMEDOUT: none finished in time. EEMPTY: no job is queued or running. */
PLUGSUP_API plugsup_status plugsup_wait_any(plugsup_supervisor *sup,
                                            int timeout_ms,
                                            plugsup_job **out);

/* Without driving anything: true once job has finished. */
PLUGSUP_API bool plugsup_job_done(const plugsup_job *job);

/* A finished job: moves its result to *out and frees job. EAGAIN (job kept)
** if it has not finished. */
PLUGSUP_API plugsup_status plugsup_job_take(plugsup_job *job,
                                            plugsup_result **out);

/* Kills the job's worker if running, reaps it, frees job and its result. */
PLUGSUP_API void plugsup_job_cancel(plugsup_job *job);

/* ---- validation reports ----------------------------------------------- */

#define PLUGSUP_SEVERITY_LIST(X)                                            \
  X(PLUGSUP_SEVERITY_INFO, "info")                                          \
  X(PLUGSUP_SEVERITY_WARNING, "warning")                                    \
  X(PLUGSUP_SEVERITY_ERROR, "error")

typedef enum plugsup_severity {
#define PLUGSUP_X_(name, text) name,
  PLUGSUP_SEVERITY_LIST(PLUGSUP_X_)
#undef PLUGSUP_X_
} plugsup_severity;

PLUGSUP_API const char *plugsup_severity_name(plugsup_severity s);

/* One finding of a validation. code is a stable dotted name for programs
** (docs/manifest.md lists them), message a sentence for people, safe to
** print. */
typedef struct plugsup_finding {
  plugsup_severity severity;
  const char *code;    /* e.g. "abi.missing_export", "permission.ceiling" */
  const char *message;
} plugsup_finding;

/* Every finding of one validation, not only the first. Read-only for the
** caller but through plugsup_report_add; freed with plugsup_report_free. */
typedef struct plugsup_report {
  const plugsup_finding *findings;
  size_t count;
  size_t errors;   /* findings of severity ERROR */
  size_t warnings;
} plugsup_report;

/* Appends a finding (code and the formatted message are copied).
** ENOMEM, or EINVAL for a NULL report, code or format. */
PLUGSUP_API plugsup_status plugsup_report_add(plugsup_report *report,
                                              plugsup_severity severity,
                                              const char *code,
                                              const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 4, 5)))
#endif
    ;
PLUGSUP_API void plugsup_report_free(plugsup_report *report);

/* ---- the plugin manager ----------------------------------------------
**
** A registry of loaded plugins, each validated in a worker when loaded
** (the INSPECT run, plus manifest, permission and resource checks), and
** executed by id or name with its ABI's input. A manager may be used from
** several threads at once: every call below is safe to make concurrently
** with any other on the same manager (but plugsup_manager_free, which must
** be the last). Executes run in parallel, at most max_concurrent at once
** (more wait their turn); each uses a supervisor of the manager's own.
**
** MANIFESTS (docs/manifest.md). A plugin may come with a JSON manifest:
** given at load, or NAME.manifest.json beside NAME.wasm, or the module's
** custom section "plugsup.manifest", in that order. Its permissions (the
** policy grammar) must lie within the manager's ceiling; they become the
** plugin's policy. Without a manifest, runs get the load options' policy,
** which must lie within the ceiling too (none: nothing is granted).
**
** HOT RELOAD. With watch set, plugins loaded from files are watched
** (inotify). When a file's content hash changes, the new version is
** validated in a worker first; it replaces the old only if it passes,
** else the old one stays (state STALE) and the report says why. Runs in
** flight finish on the version they started with. A deleted file leaves
** the loaded version serving (state MISSING) until it comes back or is
** unloaded. on_reload is called for each of these, from the manager's
** watcher thread. */

typedef struct plugsup_manager plugsup_manager;

/* Which version serves. */
#define PLUGSUP_PLUGIN_STATE_LIST(X)                                        \
  X(PLUGSUP_PLUGIN_READY, "ready")                                          \
  X(PLUGSUP_PLUGIN_STALE, "stale")     /* its file changed; the new       \
                                          version failed validation */      \
  X(PLUGSUP_PLUGIN_MISSING, "missing") /* its file is gone */

typedef enum plugsup_plugin_state {
#define PLUGSUP_X_(name, text) name,
  PLUGSUP_PLUGIN_STATE_LIST(PLUGSUP_X_)
#undef PLUGSUP_X_
} plugsup_plugin_state;

PLUGSUP_API const char *plugsup_plugin_state_name(plugsup_plugin_state s);

/* How a watched file's change ended. */
#define PLUGSUP_RELOAD_LIST(X)                                              \
  X(PLUGSUP_RELOAD_SWITCHED, "switched") /* the new version serves */       \
  X(PLUGSUP_RELOAD_REJECTED, "rejected") /* it failed validation: the old  \
                                            one serves; report says why */  \
  X(PLUGSUP_RELOAD_DELETED, "deleted")   /* the file is gone */

typedef enum plugsup_reload_outcome {
#define PLUGSUP_X_(name, text) name,
  PLUGSUP_RELOAD_LIST(PLUGSUP_X_)
#undef PLUGSUP_X_
} plugsup_reload_outcome;

PLUGSUP_API const char *plugsup_reload_name(plugsup_reload_outcome o);

/* new_hash is "" for DELETED; report is NULL but for REJECTED. Called from
** the watcher thread; it may call the manager (but not free it). */
typedef void plugsup_reload_fn(void *userdata, const char *id,
                               const char *old_hash, const char *new_hash,
                               plugsup_reload_outcome outcome,
                               const plugsup_report *report);

/* What the manager knows of one plugin: a snapshot, owned by the caller.
** Strings are non-NULL and safe to print (plugin-given text escaped). */
typedef struct plugsup_plugin_info {
  const char *id;          /* the manifest's id, else the load's, else the
                              name, else the file name without .wasm */
  const char *name;        /* manifest, else the ABI's metadata; "" */
  const char *version;
  const char *description;
  const char *author;      /* manifest only */
  plugsup_abi abi;         /* the ABI it is run with */
  const char *hash;        /* "sha256:" and 64 hex digits of the module */
  const char *path;        /* the file it was loaded from; "" for bytes */
  plugsup_plugin_state state;
  const char *metadata_json; /* the ABI's metadata as one JSON object:
                              TOOL {"name","version","description",
                              "tools":[{"name","description"}]}; OBSERVE
                              {"describe":{...},"schema":{...}}; PROCESS {} */
  const char *policy;      /* what its runs are granted, in the words of
                              plugsup_policy_describe */
  /* Counters since load (a reload keeps them). */
  uint64_t runs;
  uint64_t successes;      /* outcome OK */
  uint64_t failures;       /* every other outcome */
  uint64_t by_outcome[PLUGSUP_OUTCOME_COUNT_];
  const char *last_error;  /* outcome and message of the last failure; "" */
  uint64_t fuel_used, cpu_usec, wall_usec; /* totals over its runs */
  uint64_t load_usec;      /* the last load or reload, validation included */
  uint64_t reloads;        /* versions switched to since load */
} plugsup_plugin_info;

PLUGSUP_API void plugsup_plugin_info_free(plugsup_plugin_info *info);
/* Frees an array from plugsup_manager_list and every entry in it. */
PLUGSUP_API void plugsup_plugin_info_list_free(plugsup_plugin_info *infos,
                                               size_t count);

/* An embedder's own validation: called at every load and reload with the
** plugin as the manager sees it (after its own checks) and the report so
** far; it adds findings with plugsup_report_add. A finding of severity
** ERROR rejects the plugin. Called on the loading thread (or the watcher
** thread for a reload), with no manager lock held. */
typedef void plugsup_validator_fn(void *userdata,
                                  const plugsup_plugin_info *plugin,
                                  plugsup_report *report);

/* Appended to only; set by plugsup_manager_config_init. */
typedef struct plugsup_manager_config {
  size_t size;
  plugsup_config supervisor;      /* worker path, namespaces, and the
                                     host's limits: the most a manifest's
                                     resources may ask, and every run's */
  const plugsup_policy *ceiling;  /* the most any plugin may be granted,
                                     copied; NULL: nothing */
  unsigned max_concurrent;        /* executes at once over all threads;
                                     0: the supervisor's max_in_flight */
  bool watch;                     /* reload plugins from files on change */
  plugsup_reload_fn *on_reload;
  void *userdata;
} plugsup_manager_config;

PLUGSUP_API void plugsup_manager_config_init(plugsup_manager_config *cfg);
/* EINVAL (errmsg says which field), EWORKER, ESYSTEM (inotify). */
PLUGSUP_API plugsup_status plugsup_manager_new(
    const plugsup_manager_config *cfg, plugsup_manager **out);
/* Waits for executes in flight, stops the watcher, unloads everything. */
PLUGSUP_API void plugsup_manager_free(plugsup_manager *mgr);

/* Validators run in the order added. */
PLUGSUP_API plugsup_status plugsup_manager_add_validator(
    plugsup_manager *mgr, plugsup_validator_fn *fn, void *userdata);

/* Appended to only. Zero-initialise, then set size. */
typedef struct plugsup_load_options {
  size_t size;
  const char *id;               /* NULL: from the manifest or the name */
  const char *manifest_path;    /* a manifest file; NULL: see MANIFESTS */
  const char *manifest_json;    /* or the manifest itself, manifest_len */
  size_t manifest_len;
  const plugsup_policy *policy; /* without a manifest: what runs get */
  plugsup_abi abi;              /* NONE: the one ABI the module satisfies
                                   (the manifest's "abi" first) */
} plugsup_load_options;

/* Loads a plugin into the registry. *report (when report is not NULL)
** gets every finding, whatever the status. OK: loaded, *id_out (when not
** NULL) is its id, malloc'd. EREJECTED: a finding of severity ERROR, not
** loaded. EEXIST: that id is loaded. ENOENT/EACCES/EIO/ETOOBIG as
** plugsup_plugin_load_file. opts NULL: defaults. */
PLUGSUP_API plugsup_status plugsup_manager_load_file(
    plugsup_manager *mgr, const char *path, const plugsup_load_options *opts,
    char **id_out, plugsup_report **report);
PLUGSUP_API plugsup_status plugsup_manager_load_bytes(
    plugsup_manager *mgr, const void *bytes, size_t len,
    const plugsup_load_options *opts, char **id_out,
    plugsup_report **report);

/* ENOENT if no plugin has that id. Executes in flight finish first. */
PLUGSUP_API plugsup_status plugsup_manager_unload(plugsup_manager *mgr,
                                                  const char *id);

/* Every loaded plugin, in load order. */
PLUGSUP_API plugsup_status plugsup_manager_list(plugsup_manager *mgr,
                                                plugsup_plugin_info **out,
                                                size_t *count);
/* One plugin by id, else by name. ENOENT if none. */
PLUGSUP_API plugsup_status plugsup_manager_info(plugsup_manager *mgr,
                                                const char *id_or_name,
                                                plugsup_plugin_info **out);

/* Appended to only. Zero-initialise, then set size. */
typedef struct plugsup_execute_options {
  size_t size;
  const char *tool;             /* TOOL: the tool to run (by name) */
  plugsup_limits limits;        /* 0 fields: the plugin's manifest
                                   resources, else the manager's */
  plugsup_output_fn *on_output; /* the plugin's stdout and stderr */
  plugsup_audit_fn *on_audit;
  void *userdata;
} plugsup_execute_options;

/* Runs one plugin, by id else by name, with its ABI's input: PROCESS the
** bytes; TOOL the tool's input text; OBSERVE the configuration JSON,
** checked against the plugin's schema (defaults filled in) before the
** plugin runs, under its policy intersected with what its describe()
** requests. OK: *out holds a result, whatever its outcome (the output is
** abi_output). ENOENT: no such plugin. EINVAL: no such tool, or a
** configuration that does not match the schema (errmsg: the field's path
** and why, e.g. "config.port: 70000 is above the maximum 65535"). */
PLUGSUP_API plugsup_status plugsup_manager_execute(
    plugsup_manager *mgr, const char *id_or_name, const void *input,
    size_t input_len, const plugsup_execute_options *opts,
    plugsup_result **out);

/* Runs every loaded PROCESS plugin in load order, each one's output the
** next one's input, stopping at the first whose outcome is not OK. OK:
** *out is the last result run (the chain's output, or the failure), and
** *failed_id (when not NULL) the id of the plugin that failed, malloc'd,
** or NULL if none did. EEMPTY: no PROCESS plugin is loaded. */
PLUGSUP_API plugsup_status plugsup_manager_execute_all(
    plugsup_manager *mgr, const void *input, size_t input_len,
    const plugsup_execute_options *opts, plugsup_result **out,
    char **failed_id);

#ifdef __cplusplus
}
#endif

#endif
