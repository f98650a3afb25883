/* steer4j native ABI: status codes, error messages and threads shared by every kernel family.
 *
 * Conventions (every kernel): raw pointers to contiguous row-major buffers, int64 sizes (an op
 * with a long argument list takes them in one descriptor struct, e.g. s4j_reward_decoder_args),
 * return 0 on success or a negative S4J_E_* code; s4j_last_error() then returns a message
 * (thread-local, valid until the next failing call on the same thread). Kernels never
 * allocate memory they return: outputs and workspaces are provided by the caller. */
#ifndef STEER4J_STATUS_H
#define STEER4J_STATUS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define S4J_OK 0
#define S4J_E_ARGUMENT (-1)   /* a size or pointer is invalid */
#define S4J_E_UNAVAILABLE (-2) /* the requested device backend is not built or not loadable */
#define S4J_E_DEVICE (-3)      /* the device runtime reported an error */

/* Message of the last failure on the calling thread ("" if none). */
const char* s4j_last_error(void);

/* Threads used by the CPU kernels' OpenMP regions and by OpenBLAS (>= 1). The Java runtime
 * sets them together with LibTorch's intra-op threads: oversubscription made small steps 30x
 * slower on 2 cores. */
void s4j_set_num_threads(int threads);
int s4j_get_num_threads(void);

/* Loads the CUDA kernels (libsteer4j_cuda.so) from `path` (NULL: beside this library).
 * Called by the Java runtime when a CUDA device is first used; S4J_E_UNAVAILABLE when the
 * library or the CUDA runtime it needs can't be loaded. */
int s4j_cuda_load(const char* path);

/* Keeps freed blocks up to 32 MiB in glibc's heap (no per-step page faults and zero-filling of
 * activations and gradients). Called once by the Java runtime. */
int s4j_tune_allocator(void);

/* Version of the ABI, bumped on any signature change; Java refuses a mismatched library. */
int s4j_abi_version(void);

#ifdef __cplusplus
}
#endif
#endif
