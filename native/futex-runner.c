/*
 * futex-runner: run a futex-fuzz program on the running Linux kernel.
 *
 * Built on demand by src/host/build.ts (cc -O1 -pthread) and fed on stdin by src/host/runner.ts:
 *   cpus N
 *   words ADDR...                     user words to read back at the end
 *   e IDX FLAGS TASK OP ARGS...       one event, in program order (FLAGS 1: no precondition)
 * It prints, on stdout:
 *   R IDX RET | R IDX null            a task event that ran and what it returned (null: never)
 *   S IDX REASON                      an event skipped (the simulator's preconditions)
 *   W TASK ADDR VALUE                 a word of the process whose lowest live task is TASK
 *   X REASON                          the host cannot run programs (exit status 3)
 *
 * Layout: an outer process unshares mount, pid and network namespaces and forks the controller,
 * pid 1 of the new pid namespace (so every task dies with it, and TIDs are chosen exactly:
 * ns_last_pid makes task tN's TID 1000+N, as in the simulator). The controller forks t0's
 * process; every task is a thread (spawn), a process (fork) or a new image of this binary (exec)
 * serving one slot of a shared control page (a memfd). The controller hands an event to its
 * task and waits until every task is back in its idle loop, dead, or asleep in the kernel
 * (/proc/TID/stat), so results do not depend on timing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXT 16
#define MAXR 16
#define MAXF 8
#define MAXE 1024
#define MAXW 512
#define PAGE 4096u
#define REGION_BASE 0x10000000u
#define SCRATCH_BASE 0x0f000000u /* per-task words for compat syscalls (below 4 GiB) */
#define EXE_FD 199 /* this binary: exec by fd (a zombie leader has no /proc/self/exe) */
#define CTL_FD 200
#define FILE_FD 201
#define PR_FUTEX_HASH 78
/* PI futex ops (the host's headers may predate them) */
#ifndef FUTEX_LOCK_PI
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#endif
#ifndef FUTEX_TRYLOCK_PI
#define FUTEX_TRYLOCK_PI 8
#endif
#ifndef FUTEX_WAIT_REQUEUE_PI
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI 12
#endif
#define WAITERS 0x80000000u
#define OWNER_DIED 0x40000000u
#define TID_MASK 0x3fffffffu
#define NODE_OFF 4
#define LIST_LIMIT 2048
#define SETTLE_MS 10000 /* generous: the machine may be busy */

enum { OP_MMAP, OP_MUNMAP, OP_STORE, OP_LOAD, OP_SPAWN, OP_FORK, OP_WAIT, OP_WAKE, OP_REQUEUE,
       OP_CMP_REQUEUE, OP_SET_SLOTS, OP_GET_SLOTS, OP_RINIT, OP_RLOCK, OP_RUNLOCK, OP_RPENDING,
       OP_GET_RL, OP_SET_RL, OP_EXEC, OP_EXIT, OP_SIGNAL, OP_GP, OP_CPU, OP_RUN,
       OP_WAKE_OP, OP_F2_WAIT, OP_F2_WAKE, OP_WAITV_ENTRY, OP_WAITV, OP_F2_REQUEUE,
       OP_TWAIT, OP_TIMEOUT, OP_SIGACTION, OP_SIGSTOP, OP_SPAWN_CT, OP_SET_TID, OP_CLONE_VM,
       OP_VFORK, OP_LOCK_PI, OP_TRYLOCK_PI, OP_UNLOCK_PI, OP_WAIT_REQUEUE_PI,
       OP_CMP_REQUEUE_PI, OP_RUNLOCK_LEGACY, NOPS };
static const char *const OPS[NOPS] = {
  "mmap", "munmap", "store", "load", "spawn", "fork", "futex_wait", "futex_wake", "futex_requeue",
  "futex_cmp_requeue", "hash_set_slots", "hash_get_slots", "robust_init", "robust_lock",
  "robust_unlock", "robust_pending", "get_robust_list", "set_robust_list", "exec", "exit",
  "signal", "gp", "cpu", "run",
  "futex_wake_op", "futex2_wait", "futex2_wake", "waitv_entry", "futex_waitv", "futex2_requeue",
  "futex_wait_timeout", "timeout", "sigaction", "sigstop", "spawn_cleartid", "set_tid_address",
  "clone_vm", "vfork",
  "futex_lock_pi", "futex_trylock_pi", "futex_unlock_pi", "futex_wait_requeue_pi", "futex_cmp_requeue_pi",
  "robust_unlock_legacy"};

/* futex2 (the host's headers are older): struct futex_waitv and the syscall numbers (x86_64) */
struct fwaitv { uint64_t val, uaddr; uint32_t flags, reserved; };
#define NR_FUTEX_WAITV 449
#define NR_FUTEX_WAKE 454
#define NR_FUTEX_WAIT 455
#define NR_FUTEX_REQUEUE 456
#define WAITV_MAX 130 /* FUTEX_WAITV_MAX + 2: one too many is -EINVAL, as in the simulator */

struct slot {
  volatile int32_t cmd_seq;  /* bumped by the controller: a command is waiting (futex word) */
  volatile int32_t ack_seq;  /* the task picked the command up */
  volatile int32_t done_seq; /* the command returned */
  volatile int32_t ready;    /* the task serves this slot */
  volatile int32_t tid, tgid;
  volatile int64_t ret;
  volatile uint32_t head;    /* user space's robust list head (robust_init), 0: none */
  volatile int32_t parked;   /* a woken robust_lock waits here until the controller lets it on */
  volatile int64_t ctid;     /* spawn_cleartid: the new thread's clear_child_tid word, 0: none */
  int32_t op;
  int64_t a[10];
  int32_t nwv;               /* waitv_entry: the task's struct futex_waitv array */
  struct fwaitv wv[WAITV_MAX];
};
struct ctl { struct slot s[MAXT]; };
static struct ctl *ctl;
static int file_fd[MAXF];
static char badexe[256];

static long futex(volatile void *uaddr, int op, uint32_t val, unsigned long val2, volatile void *uaddr2, uint32_t val3) {
  long r = syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
  return r < 0 ? -errno : r;
}

/* compat (32-bit) syscalls from a 64-bit process: the simulator's robust list head is the
 * 12-byte compat layout, so robust lists are registered through the ia32 entry. */
static long int80(long nr, long b, long c, long d) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(b), "c"(c), "d"(d) : "memory");
  return r;
}
#define NR32_SET_ROBUST_LIST 311
#define NR32_GET_ROBUST_LIST 312

static volatile uint32_t *word(int64_t addr) { return (volatile uint32_t *)(uintptr_t)addr; }

/* ---- the task side ---- */

static void on_usr1(int sig) { (void)sig; }

static void set_usr1_handler(int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1; /* caught; without SA_RESTART an interrupted wait returns -EINTR */
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGUSR1, &sa, NULL);
}

/* handler: a new program installs its SIGUSR1 handler (the first task, an exec'd image); a
 * thread shares its process's handlers and a forked child inherits a copy, SA_RESTART included */
static void task_setup(int id, int handler) {
  /* glibc registers its own (native) robust list; the program's list is the compat one */
  syscall(SYS_set_robust_list, NULL, 24);
  if (handler) set_usr1_handler(0);
  struct slot *s = &ctl->s[id];
  s->tid = (int32_t)syscall(SYS_gettid);
  s->tgid = getpid();
}

static void *task_loop(int id);
static void *thread_main(void *arg) {
  int id = (int)(intptr_t)arg;
  int64_t ctid = ctl->s[id].ctid;
  if (ctid) {
    /* pthread_create's clone names glibc's own word: the program's word is given with
     * set_tid_address, and the TID stored there (CLONE_PARENT_SETTID) before the spawn returns */
    *word(ctid) = (uint32_t)syscall(SYS_set_tid_address, (void *)(uintptr_t)ctid);
  }
  task_setup(id, 0);
  return task_loop(id);
}

static uint32_t tid_value(int64_t task, int64_t bits) { return (uint32_t)((task >= 0 ? 1000 + task : 0) | bits); }

/* DEQUEUE_MUTEX of a singly linked list: find the node's predecessor and unlink it */
static void list_del(uint32_t head, uint32_t node) {
  uint32_t prev = head;
  for (int i = 0; i < LIST_LIMIT; i++) {
    uint32_t cur = *word(prev);
    if (cur == node) { *word(prev) = *word(node); return; }
    if (cur == head) return;
    prev = cur;
  }
}

static long robust_lock(struct slot *s, uint32_t lock) {
  uint32_t tid = (uint32_t)s->tid, pop = s->head + 8, node = lock + NODE_OFF, assume = 0;
  long ret = 0;
  *word(pop) = node;
  for (;;) {
    uint32_t old = *word(lock);
    if ((old & ~WAITERS) == 0) { *word(lock) = tid | old | assume; break; }
    if (old & OWNER_DIED) { *word(lock) = tid | (old & WAITERS) | assume; ret = 130; break; }
    if ((old & TID_MASK) == tid) { *word(pop) = 0; return 35; }
    if (!(old & WAITERS)) *word(lock) = old | WAITERS;
    assume = WAITERS;
    long w = futex(word(lock), FUTEX_WAIT, old | WAITERS, 0, NULL, 0); /* shared */
    if (w == -EAGAIN || w == -EINTR) continue; /* glibc looks at the word again */
    /* Woken: the simulator runs a woken task only when the program needs it to finish (a new
     * event on it, or the end), so park here until the controller says so. */
    __atomic_store_n(&s->parked, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&s->parked, __ATOMIC_SEQ_CST)) futex(&s->parked, FUTEX_WAIT, 1, 0, NULL, 0);
  }
  *word(node) = *word(s->head);
  *word(s->head) = node;
  *word(pop) = 0;
  return ret;
}

/* The unlock a 6.18 host has (glibc's robust mutex): no FUTEX_ROBUST_UNLOCK, no vDSO try_unlock.
 * op_pending, list remove, exchange(lock, 0), FUTEX_WAKE if there were waiters, op_pending = 0. */
static long robust_unlock(struct slot *s, uint32_t lock) {
  uint32_t tid = (uint32_t)s->tid, pop = s->head + 8, node = lock + NODE_OFF;
  if ((*word(lock) & TID_MASK) != tid) return 1;
  *word(pop) = node;
  list_del(s->head, node);
  uint32_t old = __atomic_exchange_n(word(lock), 0, __ATOMIC_SEQ_CST);
  if (old & WAITERS) futex(word(lock), FUTEX_WAKE, 1, 0, NULL, 0);
  *word(pop) = 0;
  return 0;
}

static void exec_self(int id, int fail) {
  char n[16];
  snprintf(n, sizeof n, "%d", id);
  char *argv[] = {"futex-runner", "--exec-task", n, NULL};
  char *envp[] = {NULL};
  if (fail) execve(badexe, (char *[]){badexe, NULL}, envp);
  else syscall(SYS_execveat, EXE_FD, "", argv, envp, AT_EMPTY_PATH);
}

/* futex_wait_timeout: a[0] addr, a[1..2] value, a[3] clock (0 rel, 1 abs, 2 abs_realtime,
 * 3 rel_realtime, 4 bad_nsec), a[4] shared, a[5] the timeout in ms. The host's timer is real:
 * the plan gives a short one (its expiry stands for the program's `timeout tN`) or an hour. */
static long timed_wait(int64_t *a) {
  int op = (a[4] ? 0 : FUTEX_PRIVATE_FLAG) | FUTEX_WAIT;
  struct timespec ts = {a[5] / 1000, (a[5] % 1000) * 1000000L};
  if (a[3] == 1 || a[3] == 2) {
    struct timespec now;
    clock_gettime(a[3] == 2 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &now);
    ts.tv_sec += now.tv_sec;
    ts.tv_nsec += now.tv_nsec;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    op = (op & ~FUTEX_WAIT) | FUTEX_WAIT_BITSET | (a[3] == 2 ? FUTEX_CLOCK_REALTIME : 0);
  }
  if (a[3] == 3) op |= FUTEX_CLOCK_REALTIME;
  if (a[3] == 4) { ts.tv_sec = 0; ts.tv_nsec = 1000000000L; }
  return futex(word(a[0]), op, tid_value(a[1], a[2]), (unsigned long)(uintptr_t)&ts, NULL, 0xffffffffu);
}

/* ---- a process on its parent's mm (clone_vm, vfork): it shares the parent's memory, TLS
 * included (no CLONE_SETTLS), so it must not touch errno or any libc state: raw syscalls only,
 * and only the ops below (plan.ts keeps other events away from such tasks) ---- */

static long raw6(long n, long a, long b, long c, long d, long e, long f) {
  long r;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return r;
}

static char vm_argn[MAXT][4];

static long vm_op(int id, struct slot *s) {
  int64_t *a = s->a;
  switch (s->op) {
  case OP_STORE: *word(a[0] & ~3L) = tid_value(a[1], a[2]); return 0;
  case OP_LOAD: return *word(a[0] & ~3L);
  case OP_WAIT: return raw6(SYS_futex, a[0], FUTEX_WAIT | (a[3] ? 0 : FUTEX_PRIVATE_FLAG), tid_value(a[1], a[2]), 0, 0, 0);
  case OP_WAKE: return raw6(SYS_futex, a[0], FUTEX_WAKE | (a[2] ? 0 : FUTEX_PRIVATE_FLAG), a[1], 0, 0, 0);
  case OP_SET_SLOTS: return raw6(SYS_prctl, PR_FUTEX_HASH, 1, a[0], 0, 0, 0);
  case OP_GET_SLOTS: return raw6(SYS_prctl, PR_FUTEX_HASH, 2, 0, 0, 0, 0);
  case OP_EXIT: raw6(SYS_exit, 0, 0, 0, 0, 0, 0); return 0;
  case OP_EXEC: {
    char *n = vm_argn[id];
    n[0] = (char)('0' + id / 10); n[1] = (char)('0' + id % 10); n[2] = 0;
    char *argv[] = {"futex-runner", "--exec-task", id < 10 ? n + 1 : n, NULL};
    char *envp[] = {NULL};
    if (a[0]) return raw6(SYS_execve, (long)badexe, (long)(char *[]){badexe, NULL}, (long)envp, 0, 0, 0);
    return raw6(SYS_execveat, EXE_FD, (long)"", (long)argv, (long)envp, AT_EMPTY_PATH, 0);
  }
  }
  return -ENOSYS;
}

static int vm_child(void *arg) {
  int id = (int)(intptr_t)arg;
  struct slot *s = &ctl->s[id];
  s->tid = (int32_t)raw6(SYS_gettid, 0, 0, 0, 0, 0, 0);
  s->tgid = (int32_t)raw6(SYS_getpid, 0, 0, 0, 0, 0, 0);
  s->ready = 1;
  for (;;) {
    int32_t seq = s->cmd_seq;
    if (seq == s->ack_seq) { raw6(SYS_futex, (long)&s->cmd_seq, FUTEX_WAIT, (uint32_t)seq, 0, 0, 0); continue; }
    __atomic_store_n(&s->ack_seq, seq, __ATOMIC_SEQ_CST);
    long r = vm_op(id, s);
    s->ret = r;
    __atomic_store_n(&s->done_seq, seq, __ATOMIC_SEQ_CST);
  }
  return 0;
}

/* clone(CLONE_VM [| CLONE_VFORK] | SIGCHLD): the new process serves slot `child`; a vfork parent
 * sleeps in the clone until the child execs or exits */
static long clone_vm_task(int child, int vfork) {
  char *stack = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -ENOMEM;
  ctl->s[child].ready = 0;
  int p = clone(vm_child, stack + 64 * 1024, CLONE_VM | (vfork ? CLONE_VFORK : 0) | SIGCHLD, (void *)(intptr_t)child);
  if (p < 0) return -errno;
  if (!vfork) while (!ctl->s[child].ready) sched_yield();
  return p;
}

static long run_op(int id, struct slot *s) {
  int64_t *a = s->a;
  int priv = 0;
  switch (s->op) {
  case OP_MMAP: {
    void *want = (void *)(uintptr_t)(REGION_BASE + a[0] * PAGE);
    void *p = a[1] < 0 ? mmap(want, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
                       : mmap(want, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, file_fd[a[1]], 0);
    return p == MAP_FAILED ? -errno : (long)(uintptr_t)p;
  }
  case OP_MUNMAP: return munmap((void *)(uintptr_t)(REGION_BASE + a[0] * PAGE), PAGE) ? -errno : 0;
  case OP_STORE: *word(a[0] & ~3L) = tid_value(a[1], a[2]); return 0;
  case OP_LOAD: return *word(a[0] & ~3L);
  case OP_SPAWN: case OP_SPAWN_CT: {
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 64 * 1024);
    ctl->s[a[0]].ready = 0;
    ctl->s[a[0]].ctid = s->op == OP_SPAWN_CT ? a[1] : 0;
    if (pthread_create(&th, &at, thread_main, (void *)(intptr_t)a[0])) return -EAGAIN;
    while (!ctl->s[a[0]].ready) sched_yield(); /* spin, not sleep: a sleeping spawner looks blocked */
    return ctl->s[a[0]].tid;
  }
  case OP_FORK: {
    ctl->s[a[0]].ready = 0;
    pid_t p = fork();
    if (p < 0) return -errno;
    if (p == 0) { task_setup((int)a[0], 0); task_loop((int)a[0]); _exit(0); }
    while (!ctl->s[a[0]].ready) sched_yield();
    return p;
  }
  case OP_WAIT:
    priv = a[3] ? 0 : FUTEX_PRIVATE_FLAG;
    return futex(word(a[0]), FUTEX_WAIT | priv, tid_value(a[1], a[2]), 0, NULL, 0);
  case OP_WAKE:
    priv = a[2] ? 0 : FUTEX_PRIVATE_FLAG;
    return futex(word(a[0]), FUTEX_WAKE | priv, (uint32_t)a[1], 0, NULL, 0);
  case OP_REQUEUE:
    priv = a[4] ? 0 : FUTEX_PRIVATE_FLAG;
    return futex(word(a[0]), FUTEX_REQUEUE | priv, (uint32_t)a[2], (unsigned long)a[3], word(a[1]), 0);
  case OP_CMP_REQUEUE:
    priv = a[6] ? 0 : FUTEX_PRIVATE_FLAG;
    return futex(word(a[0]), FUTEX_CMP_REQUEUE | priv, (uint32_t)a[2], (unsigned long)a[3], word(a[1]), tid_value(a[4], a[5]));
  case OP_LOCK_PI: case OP_TRYLOCK_PI:
    priv = a[1] ? 0 : FUTEX_PRIVATE_FLAG;
    return futex(word(a[0]), (s->op == OP_LOCK_PI ? FUTEX_LOCK_PI : FUTEX_TRYLOCK_PI) | priv, 0, 0, NULL, 0);
  case OP_UNLOCK_PI:
    priv = a[1] ? 0 : FUTEX_PRIVATE_FLAG;
    /* | FUTEX_ROBUST_UNLOCK | FUTEX_ROBUST_LIST32 (v7.2; kernel-diff does not run it on 6.18):
     * pop = the 32-bit list_op_pending of the head robust_init registered */
    if (a[2]) return futex(word(a[0]), FUTEX_UNLOCK_PI | 512 | 1024 | priv, 0, 0, s->head ? (void *)(uintptr_t)(s->head + 8) : NULL, 0);
    return futex(word(a[0]), FUTEX_UNLOCK_PI | priv, 0, 0, NULL, 0);
  case OP_WAIT_REQUEUE_PI:
    priv = a[4] ? 0 : FUTEX_PRIVATE_FLAG;
    return futex(word(a[0]), FUTEX_WAIT_REQUEUE_PI | priv, tid_value(a[1], a[2]), 0, word(a[3]), 0);
  case OP_CMP_REQUEUE_PI:
    priv = a[6] ? 0 : FUTEX_PRIVATE_FLAG;
    return futex(word(a[0]), FUTEX_CMP_REQUEUE_PI | priv, (uint32_t)a[2], (unsigned long)a[3], word(a[1]), tid_value(a[4], a[5]));
  case OP_SET_SLOTS: { long r = prctl(PR_FUTEX_HASH, 1, (unsigned long)a[0], 0, 0); return r < 0 ? -errno : r; }
  case OP_GET_SLOTS: { long r = prctl(PR_FUTEX_HASH, 2, 0, 0, 0); return r < 0 ? -errno : r; }
  case OP_RINIT: {
    uint32_t h = (uint32_t)a[0];
    *word(h) = h;
    *word(h + 4) = (uint32_t)-NODE_OFF;
    *word(h + 8) = 0;
    s->head = h;
    return int80(NR32_SET_ROBUST_LIST, h, 12, 0);
  }
  case OP_RLOCK: return robust_lock(s, (uint32_t)a[0]);
  case OP_RUNLOCK: return robust_unlock(s, (uint32_t)a[0]);
  case OP_RUNLOCK_LEGACY: return robust_unlock(s, (uint32_t)a[0]); /* the host's unlock is glibc's */
  case OP_RPENDING: {
    uint32_t lock = (uint32_t)a[0];
    *word(s->head + 8) = lock + NODE_OFF;
    if (*word(lock) != 0) return 16;
    *word(lock) = (uint32_t)s->tid;
    return 0;
  }
  case OP_GET_RL: {
    volatile uint32_t *out = word(SCRATCH_BASE + (uint32_t)id * 16);
    out[0] = 0;
    long r = int80(NR32_GET_ROBUST_LIST, a[0], (long)(uintptr_t)out, (long)(uintptr_t)(out + 1));
    return r < 0 ? r : out[0];
  }
  case OP_SET_RL: return int80(NR32_SET_ROBUST_LIST, a[0], a[1], 0);
  case OP_EXEC:
    exec_self(id, (int)a[0]);
    return -errno;
  case OP_EXIT: syscall(SYS_exit, 0); return 0;
  case OP_WAKE_OP:
    priv = a[5] ? 0 : FUTEX_PRIVATE_FLAG;
    return futex(word(a[0]), FUTEX_WAKE_OP | priv, (uint32_t)a[2], (unsigned long)a[3], word(a[1]), (uint32_t)a[4]);
  case OP_F2_WAIT: {
    long r = syscall(NR_FUTEX_WAIT, word(a[0]), (unsigned long)tid_value(a[1], a[2]), 0xffffffffUL, (unsigned)a[3], NULL, 0);
    return r < 0 ? -errno : r;
  }
  case OP_F2_WAKE: {
    long r = syscall(NR_FUTEX_WAKE, word(a[0]), 0xffffffffUL, (int)a[1], (unsigned)a[2]);
    return r < 0 ? -errno : r;
  }
  case OP_WAITV_ENTRY:
    if (s->nwv < WAITV_MAX) s->wv[s->nwv++] = (struct fwaitv){tid_value(a[1], a[2]), (uint64_t)a[0], (uint32_t)a[3], 0};
    return 0;
  case OP_WAITV: case OP_F2_REQUEUE: {
    int n = s->nwv;
    struct fwaitv v[WAITV_MAX];
    memcpy(v, (void *)s->wv, sizeof v);
    memset((void *)s->wv, 0, sizeof v); /* the array is used once; entries past its end read as zeroes */
    s->nwv = 0;
    long r = s->op == OP_WAITV ? syscall(NR_FUTEX_WAITV, v, (unsigned)n, 0, NULL, 0)
                               : syscall(NR_FUTEX_REQUEUE, v, 0, (int)a[0], (int)a[1]);
    return r < 0 ? -errno : r;
  }
  case OP_TWAIT: return timed_wait(a);
  case OP_SIGACTION: set_usr1_handler((int)a[0]); return 0;
  case OP_SET_TID: return syscall(SYS_set_tid_address, (void *)(uintptr_t)a[0]);
  case OP_CLONE_VM: case OP_VFORK: return clone_vm_task((int)a[0], s->op == OP_VFORK);
  }
  return -ENOSYS;
}

static void *task_loop(int id) {
  struct slot *s = &ctl->s[id];
  s->ready = 1;
  for (;;) {
    int32_t seq = s->cmd_seq;
    if (seq == s->ack_seq) { futex(&s->cmd_seq, FUTEX_WAIT, (uint32_t)seq, 0, NULL, 0); continue; }
    __atomic_store_n(&s->ack_seq, seq, __ATOMIC_SEQ_CST);
    long r = run_op(id, s);
    s->ret = r;
    __atomic_store_n(&s->done_seq, seq, __ATOMIC_SEQ_CST);
  }
  return NULL;
}

static void map_scratch(void) {
  mmap((void *)(uintptr_t)SCRATCH_BASE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static void attach(void) {
  ctl = mmap(NULL, sizeof *ctl, PROT_READ | PROT_WRITE, MAP_SHARED, CTL_FD, 0);
  if (ctl == MAP_FAILED) _exit(111);
  for (int f = 0; f < MAXF; f++) file_fd[f] = FILE_FD + f;
  snprintf(badexe, sizeof badexe, "./not-an-executable"); /* in the scratch directory, the cwd */
}

/* a new image after a successful exec: serve the same slot; the exec returned 0 */
static int exec_task(int id) {
  attach();
  map_scratch();
  task_setup(id, 1);
  struct slot *s = &ctl->s[id];
  s->head = 0;
  s->ret = 0;
  __atomic_store_n(&s->done_seq, s->ack_seq, __ATOMIC_SEQ_CST);
  task_loop(id);
  return 0;
}

/* ---- the controller (pid 1 of the run's pid namespace) ---- */

struct ev { int idx, flags, task, op, na; int64_t a[10]; };
static struct ev evs[MAXE];
static int nev, cpus;
static uint32_t words[MAXW];
static int nwords;

struct tstate { int exists, dead, mm, head, ev; int32_t seq; };
static struct tstate T[MAXT];
static uint32_t mm_regions[MAXT * 4 + 1];
static int nmm;
static int64_t result[MAXE];
static int ran[MAXE], resolved[MAXE];

static void die3(const char *why) { printf("X %s\n", why); fflush(stdout); _exit(3); }

static int writefile(const char *path, const char *s) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  int r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
  close(fd);
  return r;
}

/* the next pid/TID the namespace hands out is 1000 + id */
static void next_tid(int id) {
  char b[16];
  snprintf(b, sizeof b, "%d", 999 + id);
  if (writefile("/proc/sys/kernel/ns_last_pid", b)) die3("cannot write /proc/sys/kernel/ns_last_pid");
}

/* 'R' running, 'S'/'D' asleep, 'Z'/'X' or 0 (gone) dead */
static char task_state(int id) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", ctl->s[id].tid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : 0;
}

static int region_of(int64_t addr) { return (int)((addr - REGION_BASE) / PAGE); }
static int is_mapped(int mm, int64_t addr) { int r = region_of(addr); return r >= 0 && r < MAXR && (mm_regions[mm] >> r & 1); }

/* a task event finished: note its result and what it changed */
static void finished(int id) {
  struct tstate *t = &T[id];
  struct ev *e = &evs[t->ev];
  int64_t r = ctl->s[id].ret;
  result[e->idx] = r;
  resolved[e->idx] = 1;
  if (e->op == OP_EXEC && !e->a[0] && r == 0) {
    for (int o = 0; o < MAXT; o++)
      if (o != id && T[o].exists && !T[o].dead && ctl->s[o].tgid == ctl->s[id].tgid) T[o].dead = 1;
    ctl->s[id].tgid = ctl->s[id].tid;
    t->mm = ++nmm;
    t->head = 0;
  }
  t->ev = -1;
}

static void settle(void) {
  struct timespec d = {0, 50000};
  for (int spins = 0;; spins++) {
    int all = 1;
    for (int id = 0; id < MAXT; id++) {
      struct tstate *t = &T[id];
      if (!t->exists || t->dead) continue;
      struct slot *s = &ctl->s[id];
      if (t->ev >= 0 && s->done_seq == t->seq) finished(id);
    }
    for (int id = 0; id < MAXT; id++) {
      struct tstate *t = &T[id];
      if (!t->exists || t->dead) continue;
      if (!ctl->s[id].ready) { all = 0; continue; } /* spawned, not started yet */
      if (t->ev >= 0 && evs[t->ev].op == OP_EXEC && !evs[t->ev].a[0]) {
        /* de_thread may hand this task the leader's TID: its old TID is no guide until the
         * new image reports (nothing else runs meanwhile, so only the exec can end it) */
        all = 0;
        continue;
      }
      char st = task_state(id);
      /* read the state first, then the slot: a task seen asleep after its call returned is
       * asleep in its idle loop, and its done_seq is visible by now */
      __atomic_thread_fence(__ATOMIC_SEQ_CST);
      if (t->ev >= 0 && ctl->s[id].done_seq == t->seq) {
        finished(id);
        all = 0; /* look again: what it changed may matter to the others */
        continue;
      }
      if (st == 0 || st == 'Z' || st == 'X') {
        t->dead = 1;
        continue;
      }
      if (t->ev >= 0 && ctl->s[id].parked) continue;            /* a woken robust_lock, parked */
      if (t->ev >= 0 && ctl->s[id].ack_seq != t->seq) all = 0; /* not picked up yet */
      else if (st != 'S' && st != 'D') all = 0;                /* idle or in a call, but running */
    }
    if (all) return;
    if (spins * 50 > SETTLE_MS * 1000) { printf("T settle timeout\n"); fflush(stdout); _exit(4); }
    nanosleep(&d, NULL);
  }
}

/* Let a task's call finish, as the simulator does before a new event on a busy task and at the
 * end: a parked robust_lock goes on; a call asleep outside a futex wait (SET_SLOTS waiting for
 * the old hash's references) gets grace periods until it returns. A futex wait (FUTEX_WAIT, a
 * robust lock's, FUTEX_LOCK_PI on its rt_mutex, FUTEX_WAIT_REQUEUE_PI) stays asleep. */
static void complete(int id) {
  struct tstate *t = &T[id];
  for (int tries = 0; t->ev >= 0 && !t->dead && tries < 200; tries++) {
    if (ctl->s[id].parked) {
      __atomic_store_n(&ctl->s[id].parked, 0, __ATOMIC_SEQ_CST);
      futex(&ctl->s[id].parked, FUTEX_WAKE, 1, 0, NULL, 0);
    } else if (evs[t->ev].op == OP_WAIT || evs[t->ev].op == OP_RLOCK || evs[t->ev].op == OP_TWAIT ||
               evs[t->ev].op == OP_LOCK_PI || evs[t->ev].op == OP_WAIT_REQUEUE_PI) {
      return; /* a futex sleep: only another event ends it */
    } else {
      syscall(SYS_membarrier, 1 /* MEMBARRIER_CMD_GLOBAL */, 0, 0);
      struct timespec d = {0, 1000000};
      nanosleep(&d, NULL);
    }
    settle();
  }
}

static const char *precondition(struct ev *e) {
  static char why[96];
  if (e->op == OP_GP) return NULL;
  struct tstate *t = &T[e->task];
  if (!t->exists || t->dead) return snprintf(why, sizeof why, "t%d does not exist", e->task), why;
  if (e->op == OP_SIGNAL || e->op == OP_RUN || e->op == OP_TIMEOUT || e->op == OP_SIGSTOP) return NULL;
  if (e->op == OP_CPU) return e->a[0] >= cpus ? "no such cpu" : NULL;
  if (t->ev >= 0) complete(e->task);
  if (t->dead) return snprintf(why, sizeof why, "t%d has exited", e->task), why;
  if (t->ev >= 0) return snprintf(why, sizeof why, "t%d is blocked in the kernel", e->task), why;
  if (e->flags & 1) return NULL;
  switch (e->op) {
  case OP_MUNMAP:
    return mm_regions[t->mm] >> e->a[0] & 1 ? NULL : "region is not mapped";
  case OP_STORE: case OP_LOAD: case OP_WAIT: case OP_WAKE: case OP_F2_WAIT: case OP_F2_WAKE: case OP_WAITV_ENTRY:
  case OP_TWAIT:
    return is_mapped(t->mm, e->a[0]) ? NULL : "region is not mapped";
  case OP_LOCK_PI: case OP_TRYLOCK_PI: case OP_UNLOCK_PI:
    return is_mapped(t->mm, e->a[0]) ? NULL : "region is not mapped";
  case OP_WAIT_REQUEUE_PI:
    return is_mapped(t->mm, e->a[0]) && is_mapped(t->mm, e->a[3]) ? NULL : "region is not mapped";
  case OP_REQUEUE: case OP_CMP_REQUEUE: case OP_WAKE_OP: case OP_CMP_REQUEUE_PI:
    return is_mapped(t->mm, e->a[0]) && is_mapped(t->mm, e->a[1]) ? NULL : "region is not mapped";
  case OP_SPAWN: case OP_FORK: case OP_CLONE_VM: case OP_VFORK:
    return T[e->a[0]].exists ? "task already exists" : NULL;
  case OP_SPAWN_CT:
    if (T[e->a[0]].exists) return "task already exists";
    if (!is_mapped(t->mm, e->a[1])) return "region is not mapped";
    return e->a[1] % 4 ? "not aligned" : NULL;
  case OP_SET_TID:
    return e->a[0] % 4 ? "not aligned" : NULL;
  case OP_RINIT:
    if (!is_mapped(t->mm, e->a[0])) return "region is not mapped";
    return e->a[0] % 4 ? "head not aligned" : NULL;
  case OP_RLOCK: case OP_RUNLOCK: case OP_RPENDING: case OP_RUNLOCK_LEGACY:
    if (!is_mapped(t->mm, e->a[0])) return "region is not mapped";
    if (e->a[0] % 4 || (e->a[0] - REGION_BASE) % PAGE + NODE_OFF + 4 > PAGE) return "no robust mutex fits";
    return t->head ? NULL : "no robust list head";
  }
  return NULL;
}

static void hand(struct ev *e) {
  struct tstate *t = &T[e->task];
  struct slot *s = &ctl->s[e->task];
  switch (e->op) {
  case OP_MMAP: mm_regions[t->mm] |= 1u << e->a[0]; break;
  case OP_MUNMAP: mm_regions[t->mm] &= ~(1u << e->a[0]); break;
  case OP_SPAWN: case OP_FORK: case OP_SPAWN_CT: case OP_CLONE_VM: case OP_VFORK: {
    struct tstate *n = &T[e->a[0]];
    n->exists = 1; n->ev = -1;
    ctl->s[e->a[0]].ready = 0;
    if (e->op == OP_FORK) { n->mm = ++nmm; mm_regions[n->mm] = mm_regions[t->mm]; } else n->mm = t->mm;
    next_tid((int)e->a[0]);
    break;
  }
  case OP_RINIT: t->head = 1; break;
  case OP_GET_RL: e->a[0] = 1000 + e->a[0]; break; /* the pid of tM, as the simulator names it */
  }
  s->op = e->op;
  memcpy((void *)s->a, e->a, sizeof e->a);
  t->ev = (int)(e - evs);
  ran[e->idx] = 1;
  t->seq = s->cmd_seq + 1;
  __atomic_store_n(&s->cmd_seq, t->seq, __ATOMIC_SEQ_CST);
  futex(&s->cmd_seq, FUTEX_WAKE, 1, 0, NULL, 0);
}

/* `timeout tN`: tN's timed wait has its short timer; the expiry passes when it returns */
static void wait_timed_out(int id) {
  struct tstate *t = &T[id];
  struct timespec d = {0, 1000000};
  for (int ms = 0; t->ev >= 0 && evs[t->ev].op == OP_TWAIT && ctl->s[id].done_seq != t->seq && ms < SETTLE_MS; ms++) nanosleep(&d, NULL);
}

/* Wait (at most SETTLE_MS) until each live thread of process tgid is dead, or stopped too when
 * `stopped` is set. */
static void settle_threads(pid_t tgid, int stopped) {
  struct timespec d = {0, 100000};
  for (int spins = 0; spins * 100 < SETTLE_MS * 1000; spins++) {
    int all = 1;
    for (int id = 0; id < MAXT; id++) {
      if (!T[id].exists || T[id].dead || ctl->s[id].tgid != tgid) continue;
      char st = task_state(id);
      int done = st == 0 || st == 'Z' || st == 'X' || (stopped && (st == 'T' || st == 't'));
      if (!done) all = 0;
    }
    if (all) break;
    nanosleep(&d, NULL);
  }
}

/* `sigstop tN`: SIGSTOP to the process, until each of its live threads is stopped; then SIGCONT */
static void stop_and_continue(pid_t tgid) {
  kill(tgid, SIGSTOP);
  settle_threads(tgid, 1);
  kill(tgid, SIGCONT);
}

/* `signal tN kill`: SIGKILL ends the group at once in the simulator; on the host its threads
 * die asynchronously, so wait until each live thread of the process is dead before the next
 * event (else a thread of the killed group could still run it) */
static void kill_and_wait(pid_t tgid, pid_t tid) {
  syscall(SYS_tgkill, tgid, tid, SIGKILL);
  settle_threads(tgid, 0);
}

static void control(struct ev *e) {
  struct slot *s = &ctl->s[e->task];
  switch (e->op) {
  case OP_RUN: complete(e->task); break;
  case OP_GP: syscall(SYS_membarrier, 1 /* MEMBARRIER_CMD_GLOBAL */, 0, 0); break;
  case OP_SIGNAL:
    if (e->a[0]) syscall(SYS_tgkill, s->tgid, s->tid, SIGUSR1);
    else kill_and_wait(s->tgid, s->tid);
    break;
  case OP_TIMEOUT: wait_timed_out(e->task); break;
  case OP_SIGSTOP: stop_and_continue(s->tgid); break;
  case OP_CPU: {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(e->a[0], &set);
    sched_setaffinity(s->tid, sizeof set, &set);
    break;
  }
  }
}

static void read_program(void) {
  char line[8192]; /* the words line: up to MAXW addresses */
#ifdef FUTEX_RUNNER_PROGRAM /* a standalone reproducer (futex-fuzz c): the program is built in */
  FILE *in = fmemopen((void *)FUTEX_RUNNER_PROGRAM, strlen(FUTEX_RUNNER_PROGRAM), "r");
#else
  FILE *in = stdin;
#endif
  while (in && fgets(line, sizeof line, in)) {
    char *p = line, *q;
    if (!strncmp(p, "cpus ", 5)) cpus = atoi(p + 5);
    else if (!strncmp(p, "words", 5)) {
      p += 5;
      for (long v; nwords < MAXW && (v = strtol(p, &q, 0), q != p); p = q) words[nwords++] = (uint32_t)v;
    } else if (p[0] == 'e' && nev < MAXE) {
      struct ev *e = &evs[nev++];
      char op[32];
      int n;
      if (sscanf(p, "e %d %d %d %31s%n", &e->idx, &e->flags, &e->task, op, &n) != 4) die3("bad input line");
      e->op = -1;
      for (int i = 0; i < NOPS; i++) if (!strcmp(op, OPS[i])) e->op = i;
      if (e->op < 0 || e->idx < 0 || e->idx >= MAXE || e->task < 0 || e->task >= MAXT) die3("bad event");
      p += n;
      for (e->na = 0; e->na < 10 && (e->a[e->na] = strtoll(p, &q, 0), q != p); p = q) e->na++;
      if ((e->op == OP_SPAWN || e->op == OP_FORK || e->op == OP_SPAWN_CT || e->op == OP_CLONE_VM || e->op == OP_VFORK) && (e->a[0] < 0 || e->a[0] >= MAXT)) die3("bad task");
    }
  }
}

static void print_words(void) {
  int done[MAXT] = {0};
  for (int id = 0; id < MAXT; id++) {
    if (!T[id].exists || T[id].dead || done[id]) continue;
    for (int o = id; o < MAXT; o++) if (T[o].exists && !T[o].dead && T[o].mm == T[id].mm) done[o] = 1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", ctl->s[id].tid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) continue;
    for (int w = 0; w < nwords; w++) {
      uint32_t v;
      if (is_mapped(T[id].mm, words[w]) && pread(fd, &v, 4, words[w]) == 4) printf("W %d %u %u\n", id, words[w], v);
    }
    close(fd);
  }
}

static void on_alarm(int sig) { (void)sig; static const char m[] = "T program timeout\n"; write(1, m, sizeof m - 1); _exit(4); }

static int controller(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  alarm(60);
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) die3("cannot mount /proc in the run's namespaces");
  if (prctl(PR_FUTEX_HASH, 2, 0, 0, 0) < 0) die3("the host kernel has no PR_FUTEX_HASH (prctl 78)");
  int cfd = memfd_create("futex-runner-ctl", 0);
  if (cfd < 0 || ftruncate(cfd, sizeof *ctl) || dup2(cfd, CTL_FD) < 0) die3("memfd_create failed");
  for (int f = 0; f < MAXF; f++) {
    int fd = memfd_create("futex-runner-file", 0);
    if (fd < 0 || ftruncate(fd, PAGE) || dup2(fd, FILE_FD + f) < 0) die3("memfd_create failed");
    close(fd);
  }
  int xfd = open("/proc/self/exe", O_RDONLY);
  if (xfd < 0 || dup2(xfd, EXE_FD) < 0) die3("cannot open the runner binary");
  close(xfd);
  attach();
  /* a failing exec that gets past mm_alloc (bprm_mm_init): an executable with no known format */
  int bfd = open(badexe, O_CREAT | O_WRONLY | O_TRUNC, 0755);
  if (bfd < 0 || write(bfd, "\x01\x02\x03\x04", 4) != 4) die3("cannot write to the scratch directory");
  close(bfd);
  T[0].exists = 1;
  T[0].ev = -1;
  T[0].mm = ++nmm;
  next_tid(0);
  pid_t p0 = fork();
  if (p0 < 0) die3("fork failed");
  if (p0 == 0) { map_scratch(); task_setup(0, 1); task_loop(0); _exit(0); }
  while (!ctl->s[0].ready) sched_yield();
  for (int i = 0; i < nev; i++) {
    struct ev *e = &evs[i];
    const char *why = precondition(e);
    if (why) printf("S %d %s\n", e->idx, why);
    else if (e->op == OP_GP || e->op == OP_SIGNAL || e->op == OP_CPU || e->op == OP_RUN || e->op == OP_TIMEOUT || e->op == OP_SIGSTOP) control(e);
    else hand(e);
    settle();
    /* the host's RCU runs in the background: a SET_SLOTS waiting for its pivot finishes on its
     * own soon, so let it finish now (the simulator gets grace periods at the same place) */
    if (e->op == OP_SET_SLOTS && !T[e->task].dead && T[e->task].ev >= 0) complete(e->task);
  }
  /* the drain: let every call that can finish finish */
  for (int round = 0; round < MAXT; round++)
    for (int id = 0; id < MAXT; id++)
      if (T[id].exists && !T[id].dead && T[id].ev >= 0) complete(id);
  for (int i = 0; i < MAXE; i++) {
    if (!ran[i]) continue;
    resolved[i] ? printf("R %d %lld", i, (long long)result[i]) : printf("R %d null", i);
#ifdef FUTEX_RUNNER_LABELS /* a reproducer names each event */
    if (i < (int)(sizeof FUTEX_RUNNER_LABELS / sizeof *FUTEX_RUNNER_LABELS)) printf("\t%s", FUTEX_RUNNER_LABELS[i]);
#endif
    printf("\n");
  }
  print_words();
  printf("END\n");
  fflush(stdout);
  return 0;
}

static void limits(void) {
  struct rlimit as = {1u << 30, 1u << 30}, np = {256, 256}, core = {0, 0};
  setrlimit(RLIMIT_AS, &as);
  setrlimit(RLIMIT_NPROC, &np);
  setrlimit(RLIMIT_CORE, &core);
}

static pid_t inner;
/* a timeout or SIGTERM: end the controller (its pid namespace goes with it) and reap it, so not
 * even a zombie is left for the host's init */
static void outer_stop(int sig) {
  (void)sig;
  if (inner > 0) {
    kill(inner, SIGKILL);
    waitpid(inner, NULL, 0);
  }
  _exit(4);
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--exec-task")) return exec_task(atoi(argv[2]));
  if (argc > 1) {
#ifdef FUTEX_RUNNER_PROGRAM
    fprintf(stderr, "usage: %s   (as root: runs the built-in futex-fuzz program, prints R/S/W lines)\n", argv[0]);
#else
    fprintf(stderr, "usage: futex-runner < PROGRAM   (written by futex-fuzz kernel-diff; see src/host/runner.ts)\n");
#endif
    return !strcmp(argv[1], "--help") ? 0 : 2;
  }
  read_program();
  if (cpus <= 0) die3("no 'cpus N' line");
  limits();
  if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET)) die3("unshare(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWNET) not permitted (the runner needs root)");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die3("cannot make mounts private");
  /* the scratch directory lives on a tmpfs of the run's own mount namespace: it goes with the
   * namespace, however the run ends */
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0700")) die3("cannot mount a scratch tmpfs on /tmp");
  char dir[] = "/tmp/futex-runner-XXXXXX";
  if (!mkdtemp(dir) || chdir(dir)) die3("cannot create a scratch directory");
  fflush(stdout);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = outer_stop;
  sigaction(SIGALRM, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  alarm(70);
  /* no stop signal may land between fork() and `inner` being known (the outer would exit and
   * leave the controller running), nor before the controller has asked to die with the outer */
  sigset_t stops, old;
  sigemptyset(&stops);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGALRM);
  sigprocmask(SIG_BLOCK, &stops, &old);
  /* the outer holds the write end of `alive`: once the controller has asked to die with the
   * outer, a hang-up on the read end means the outer was already gone (getppid() is 0 for the
   * init of a new pid namespace, so it cannot tell) */
  int alive[2];
  if (pipe(alive)) die3("pipe failed");
  inner = fork();
  if (inner < 0) die3("fork failed");
  if (inner == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(alive[1]);
    struct pollfd pf = {.fd = alive[0], .events = POLLIN};
    if (poll(&pf, 1, 0) > 0 && (pf.revents & POLLHUP)) _exit(4);
    close(alive[0]);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    alarm(0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    _exit(controller());
  }
  close(alive[0]);
  sigprocmask(SIG_SETMASK, &old, NULL);
  int st = 0;
  while (waitpid(inner, &st, 0) < 0 && errno == EINTR) {}
  unlink("not-an-executable");
  chdir("/");
  rmdir(dir);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 4;
}
