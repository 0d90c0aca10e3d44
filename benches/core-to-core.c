/* benches/core-to-core.c: how long a cache line takes to go from one
 * processor to another and back (two threads pinned to processors 0 and 1
 * pass a counter back and forth). About 60-80 ns where the two processors
 * share a cache, 330-400 ns where they do not: a virtual machine's
 * processors move between the host's cores, and two threads that hand
 * each other work slow down in the second state while two independent
 * processes do not. benches/threads.sh prints it for every round.
 * Build: cc -O2 -pthread core-to-core.c -o core-to-core */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#define ROUNDS 100000

static _Atomic long turn __attribute__((aligned(64)));

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *answer(void *unused) {
  (void)unused;
  pin(1);
  for (long i = 0; i < ROUNDS; i++) {
    while (atomic_load_explicit(&turn, memory_order_acquire) != 2 * i + 1)
      ;
    atomic_store_explicit(&turn, 2 * i + 2, memory_order_release);
  }
  return NULL;
}

int main(void) {
  pthread_t other;
  struct timespec start, end;
  pin(0);
  if (pthread_create(&other, NULL, answer, NULL) != 0) return 1;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < ROUNDS; i++) {
    atomic_store_explicit(&turn, 2 * i + 1, memory_order_release);
    while (atomic_load_explicit(&turn, memory_order_acquire) != 2 * i + 2)
      ;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  pthread_join(other, NULL);
  double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
  printf("%.0f\n", ns / ROUNDS);
  return 0;
}
