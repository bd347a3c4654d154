// A tiny pool of worker threads for the engine's parallel loops. Handing work to Dispatch costs tens of
// microseconds when its worker is asleep; these workers spin briefly (about a millisecond) after each job before they sleep, so a
// training loop that issues one parallel product after another hands each one over in about a microsecond.
#define _GNU_SOURCE
#include "CKernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#define MAX_WORKERS 63
#define SPIN_ROUNDS 20000

static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_once_t started = PTHREAD_ONCE_INIT;
static int worker_count = 0;

static gc_task_fn job_fn;
static void *job_context;
static int job_chunks;
static atomic_int next_chunk;
static atomic_int done_chunks;
static atomic_ulong generation;
static __thread int inside_pool = 0;


static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void run_chunks(void) {
  for (;;) {
    int chunk = atomic_fetch_add(&next_chunk, 1);
    if (chunk >= job_chunks) break;
    job_fn(job_context, chunk);
    atomic_fetch_add(&done_chunks, 1);
  }
}

static void *worker(void *unused) {
  (void)unused;
  inside_pool = 1;
  unsigned long seen = 0;
  for (;;) {
    unsigned long now = atomic_load(&generation);
    for (int spin = 0; now == seen && spin < SPIN_ROUNDS; spin++) {
      relax();
      now = atomic_load(&generation);
    }
    if (now == seen) {
      pthread_mutex_lock(&sleep_lock);
      while ((now = atomic_load(&generation)) == seen) pthread_cond_wait(&wake, &sleep_lock);
      pthread_mutex_unlock(&sleep_lock);
    }
    seen = now;
    run_chunks();
  }
  return NULL;
}

static void start_workers(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  int wanted = gc_pool_cores() - 1;
  if (wanted > MAX_WORKERS) wanted = MAX_WORKERS;
  if (cores < 1) wanted = 0;
  for (int i = 0; i < wanted; i++) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attributes, worker, NULL) == 0) worker_count++;
    pthread_attr_destroy(&attributes);
  }
}

static int configured_cores = 0;

void gc_pool_configure(int cores) { configured_cores = cores; }

int gc_pool_cores(void) {
  if (configured_cores > 0) return configured_cores;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores < 1 ? 1 : (int)cores;
}

void gc_parallel_for(int chunks, gc_task_fn fn, void *context) {
  if (chunks <= 1 || inside_pool || pthread_mutex_trylock(&submit_lock) != 0) {
    // Serial: one chunk, a nested call from inside a task, or another thread using the pool.
    for (int i = 0; i < chunks; i++) fn(context, i);
    return;
  }
  pthread_once(&started, start_workers);
  if (worker_count == 0) {
    pthread_mutex_unlock(&submit_lock);
    for (int i = 0; i < chunks; i++) fn(context, i);
    return;
  }
  job_fn = fn;
  job_context = context;
  job_chunks = chunks;
  atomic_store(&done_chunks, 0);
  atomic_store(&next_chunk, 0);
  pthread_mutex_lock(&sleep_lock);
  atomic_fetch_add(&generation, 1);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&sleep_lock);
  inside_pool = 1;
  run_chunks();
  inside_pool = 0;
  while (atomic_load(&done_chunks) < chunks) relax();
  pthread_mutex_unlock(&submit_lock);
}
