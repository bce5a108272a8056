/* rw-monitor: the parent of one runwarden job; records its exit durably in RUN_DIR/exit.json.
 *
 * Confined: RUN_DIR is opened once (O_DIRECTORY|O_NOFOLLOW) before the job runs, and every file
 * of the run is opened relative to that fd with O_NOFOLLOW|O_NONBLOCK (openat), regular files only,
 * so a job that swaps its run directory or a file in it for a link or a FIFO cannot move our writes.
 * Contained: the job runs in a cgroup v2 of its own where one can be made (killed via cgroup.kill),
 * and the monitor is a child subreaper either way, so descendants that setsid/setpgid are killed
 * when the job ends or is aborted. The record says which containment held ("containment") and
 * how many processes survived every kill ("leftovers").
 * Durable: a record's worth of space is reserved at launch (exit.json.reserve); if writing the
 * record fails (ENOSPC, EROFS, ...) the monitor keeps the exit code, overwrites the reserve in
 * place and renames it, retrying with back-off for as long as it lives; the record then says what
 * delayed it ("delayedBy", "delayMs").
 *
 * Usage: rw-monitor RUN_DIR -- PROG [ARGS...]
 * fds: 0 /dev/null, 1 stdout log, 2 stderr log (inherited by the job as they are),
 *      3 report channel to the launcher ("pid N\n", then "exec ok|cancelled|ENAME\n"),
 *      4 go channel from the launcher (the job execs on the byte 'G'; EOF = never start).
 * Signals (all handled synchronously in one sigtimedwait loop; conmon is the model):
 *   SIGUSR1/SIGTERM/SIGINT graceful abort: SIGINT to the job's group, SIGKILL after
 *   RUN_DIR/abort-grace-ms; SIGUSR2 SIGKILL now; SIGHUP ignored; SIGCHLD the job ended;
 *   SIGIO the child's exec-status pipe became readable. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Child -> monitor messages on the exec-status pipe (ints); an errno (> 0) means exec failed. */
#define MSG_IN_SESSION (-1)
#define MSG_GO_RECEIVED (-2)
#define MSG_IN_SESSION_CGROUP (-3) /* in its own session, and inside the run's cgroup */
#define REPORT_FD 3
#define GO_FD 4
#define DEFAULT_GRACE_MS 10000L
#define MAX_GRACE_MS 86400000L
#define RECORD_BYTES 512           /* the exit record's most bytes; also the reserve's size */
#define RETRY_FIRST_MS 10          /* the exit record's back-off: 10 ms doubling up to 5 s */
#define RETRY_MAX_MS 5000
#define SWEEP_ROUNDS 500           /* killing descendants: at most 500 rounds 10 ms apart */
#define SWEEP_PAUSE_MS 10
#define RESERVE_NAME "exit.json.reserve"

static pid_t job_pgid;            /* 0 until the child runs in its own session */
static int run_dir_fd = -1;       /* RUN_DIR, opened O_DIRECTORY|O_NOFOLLOW before the job runs */
static int reserved;              /* RUN_DIR/exit.json.reserve holds RECORD_BYTES (closed: no open
                                     writable file keeps the disk from being remounted) */
static int cgroup_procs_fd = -1;  /* the run's cgroup.procs: the child joins by writing "0" */
static char cgroup_path[PATH_MAX]; /* the run's cgroup directory, "" when none was made */
static const char *containment = "subreaper";

#include "kick.h" /* issue 12: the queue's dispatcher, started once the exit is recorded */

/* Write the whole buffer, retrying short writes and EINTR; -1 on error. */
static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Signal the job's whole process group, never a group id <= 1 (kill(-1) would hit everything). */
static void kill_group(int sig) {
  if (job_pgid > 1) kill(-job_pgid, sig);
}

/* Milliseconds on the given clock. */
static long long now_ms(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep `ms` milliseconds (signals stay blocked: they wait in the queue). */
static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

/* Open `name` in the run directory without following a link or blocking; regular files only
   (anything else fails with EINVAL: a FIFO or device planted there is refused). */
static int open_in_run_dir(const char *name, int flags, mode_t mode) {
  int fd = openat(run_dir_fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

/* The grace between SIGINT and SIGKILL, from RUN_DIR/abort-grace-ms (default 10 s). */
static long read_grace_ms(void) {
  char buf[32];
  int fd = open_in_run_dir("abort-grace-ms", O_RDONLY, 0);
  if (fd < 0) return DEFAULT_GRACE_MS;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return DEFAULT_GRACE_MS;
  buf[n] = '\0';
  char *end;
  errno = 0;
  long ms = strtol(buf, &end, 10);
  if (errno || end == buf || (*end && *end != '\n') || ms < 0) return DEFAULT_GRACE_MS;
  return ms > MAX_GRACE_MS ? MAX_GRACE_MS : ms;
}

/* The symbolic name of an errno ("ENOENT") or, with sig set, a signal ("SIGKILL"). */
static void name_of(int n, int sig, char *out, size_t size) {
  const char *name = NULL;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
  name = sig ? sigabbrev_np(n) : strerrorname_np(n);
#endif
  if (name) snprintf(out, size, "%s%s", sig ? "SIG" : "", name);
  else snprintf(out, size, "%s%d", sig ? "SIG" : "E", n);
}

#include "log-cap.h" /* bounded logs (issue 17): log_cap_setup/child/parent/pump/finish */
#include "checkpoint.h" /* issue 14: the checkpoint clock (time limit, request deadline) */

/* The job's side of the fork: own session, wait for 'G', exec; never returns. */
static void run_child(int status_fd, char **argv, const sigset_t *old_mask) {
  close(REPORT_FD);
  log_cap_child();
  int msg = MSG_IN_SESSION;
  if (cgroup_procs_fd >= 0 && write(cgroup_procs_fd, "0", 1) == 1) msg = MSG_IN_SESSION_CGROUP;
  if (cgroup_procs_fd >= 0) close(cgroup_procs_fd);
  if (setsid() < 0) _exit(127);
  /* A signal ignored by whoever started us would be inherited by the job: restore defaults. */
  int defaults[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) signal(defaults[i], SIG_DFL);
  ckpt_child_ignore(); /* issue 14: a checkpoint request never kills a job that does not handle it */
  sigprocmask(SIG_SETMASK, old_mask, NULL);
  write_all(status_fd, (const char *)&msg, sizeof msg);
  fcntl(GO_FD, F_SETFL, fcntl(GO_FD, F_GETFL) & ~O_NONBLOCK); /* wait for the launcher, however set */
  char go = 0;
  ssize_t n;
  do n = read(GO_FD, &go, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1 || go != 'G') _exit(127); /* EOF or anything but 'G': never started */
  close(GO_FD);
  msg = MSG_GO_RECEIVED;
  write_all(status_fd, (const char *)&msg, sizeof msg);
  execvp(argv[0], argv);
  msg = errno;
  write_all(status_fd, (const char *)&msg, sizeof msg);
  _exit(127);
}

/* What the monitor knows about the child's exec, read from the exec-status pipe. */
struct exec_state {
  int fd;          /* read end, -1 once EOF was seen */
  int go_received; /* the child got 'G' */
  int error;       /* exec errno, 0 if none */
  int reported;    /* the "exec ..." line was sent */
};

/* Drain the exec-status pipe without blocking; once it hits EOF, report the outcome on fd 3. */
static void poll_exec(struct exec_state *st) {
  int msg;
  while (st->fd >= 0) {
    ssize_t n = read(st->fd, &msg, sizeof msg);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return; /* EAGAIN: nothing yet */
    if (n == (ssize_t)sizeof msg) {
      if (msg == MSG_GO_RECEIVED) st->go_received = 1;
      else if (msg > 0) st->error = msg;
      continue;
    }
    close(st->fd); /* EOF: the child exec'd (CLOEXEC) or exited */
    st->fd = -1;
  }
  if (st->reported) return;
  char line[64], name[32];
  if (st->error) {
    name_of(st->error, 0, name, sizeof name);
    snprintf(line, sizeof line, "exec %s\n", name);
  } else {
    snprintf(line, sizeof line, "exec %s\n", st->go_received ? "ok" : "cancelled");
  }
  write_all(REPORT_FD, line, strlen(line));
  close(REPORT_FD);
  st->reported = 1;
}

/* Put `json` in place as RUN_DIR/exit.json through a fresh tmp file (fsync, rename). 0 on
   success, else the errno of the step that failed. */
static int place_fresh(const char *json, size_t len) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, "exit.json.tmp-%d", (int)getpid());
  unlinkat(run_dir_fd, tmp, 0); /* a previous attempt's leftover */
  int failed = 0;
  int fd = open_in_run_dir(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0 || write_all(fd, json, len) < 0 || fsync(fd) < 0) failed = errno ? errno : EIO;
  if (fd >= 0 && close(fd) < 0 && !failed) failed = errno;
  if (!failed && renameat(run_dir_fd, tmp, run_dir_fd, "exit.json") < 0) failed = errno;
  if (failed) {
    unlinkat(run_dir_fd, tmp, 0);
    return failed;
  }
  fsync(run_dir_fd); /* the record is in place; a failed directory fsync cannot be undone */
  unlinkat(run_dir_fd, RESERVE_NAME, 0);
  return 0;
}

/* Put `json` in place by overwriting the reserve (its blocks exist: no new space needed) and
   renaming it to exit.json. 0 on success, -1 when there is no reserve or a step failed. */
static int place_reserved(const char *json, size_t len) {
  int fd = reserved ? open_in_run_dir(RESERVE_NAME, O_WRONLY, 0) : -1;
  if (fd < 0) return -1;
  int placed = pwrite(fd, json, len, 0) == (ssize_t)len && ftruncate(fd, (off_t)len) == 0 &&
               fsync(fd) == 0;
  close(fd);
  if (!placed || renameat(run_dir_fd, RESERVE_NAME, run_dir_fd, "exit.json") < 0) return -1;
  fsync(run_dir_fd);
  reserved = 0;
  return 0;
}

/* Write RUN_DIR/exit.json, retrying with back-off (10 ms doubling to 5 s) for as long as we live:
   the exit code is never given up. A delayed record says by what and for how long. */
static void write_exit_record(const siginfo_t *info, long long ended_ms, const struct exec_state *st,
                              int leftovers) {
  char json[RECORD_BYTES], code[16] = "null", sig[40] = "null", err[40] = "null", name[32];
  char delay[80] = "";
  if (info->si_code == CLD_EXITED) {
    snprintf(code, sizeof code, "%d", info->si_status);
  } else {
    name_of(info->si_status, 1, name, sizeof name);
    snprintf(sig, sizeof sig, "\"%s\"", name);
  }
  if (st->error) {
    name_of(st->error, 0, name, sizeof name);
    snprintf(err, sizeof err, "\"%s\"", name);
  }
  long long started = now_ms(CLOCK_MONOTONIC);
  long backoff_ms = RETRY_FIRST_MS;
  int delayed_by = 0;
  for (;;) {
    if (delayed_by) {
      name_of(delayed_by, 0, name, sizeof name);
      snprintf(delay, sizeof delay, ",\"delayedBy\":\"%s\",\"delayMs\":%lld", name,
               now_ms(CLOCK_MONOTONIC) - started);
    }
    int len = snprintf(json, sizeof json,
                       "{\"code\":%s,\"signal\":%s,\"endedAt\":%lld,\"notStarted\":%s,\"execError\":%s,"
                       "\"containment\":\"%s\",\"leftovers\":%d%s}\n",
                       code, sig, ended_ms, st->go_received ? "false" : "true", err, containment,
                       leftovers, delay);
    /* Fresh first; once it failed, the record (now saying why) goes into the reserve. */
    int failed = delayed_by ? (place_reserved(json, (size_t)len) == 0 ? 0 : place_fresh(json, (size_t)len))
                            : place_fresh(json, (size_t)len);
    if (!failed) {
      if (delayed_by)
        fprintf(stderr, "rw-monitor: the exit record was written after %lld ms (delayed by %s)\n",
                now_ms(CLOCK_MONOTONIC) - started, name);
      return;
    }
    if (!delayed_by) {
      delayed_by = failed;
      /* This line may not reach a full disk either; the record itself will say what happened. */
      fprintf(stderr,
              "rw-monitor: RW_EXIT_RECORD_DELAYED: writing exit.json: %s; the job's exit was code %s, "
              "signal %s; retrying with back-off until it can be written\n",
              strerror(failed), code, sig);
      continue; /* straight to the reserve, which needs no new space */
    }
    sleep_ms(backoff_ms);
    backoff_ms = backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff_ms * 2;
  }
}

/* Reserve the record's space at launch: RECORD_BYTES written and synced, to overwrite in place
   when the disk is full at the job's exit. Best effort: without it the record still retries. */
static void reserve_exit_record(void) {
  char blank[RECORD_BYTES];
  memset(blank, ' ', sizeof blank);
  int fd = open_in_run_dir(RESERVE_NAME, O_RDWR | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return;
  reserved = write_all(fd, blank, sizeof blank) == 0 && fsync(fd) == 0;
  close(fd);
  if (!reserved) unlinkat(run_dir_fd, RESERVE_NAME, 0);
}

/* Read up to size-1 bytes of a small file into buf, NUL-terminated; the length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return n;
}

/* Remove the empty cgroups of monitors that died without cleaning up (SIGKILLed): rmdir fails
   on a cgroup that still holds processes, and a live monitor's cgroup is never touched. */
static void sweep_stale_cgroups(const char *parent) {
  DIR *dir = opendir(parent);
  if (!dir) return;
  struct dirent *entry;
  int rounds = 0;
  while ((entry = readdir(dir)) && rounds++ < 10000) {
    if (strncmp(entry->d_name, "rw-run-", 7) != 0) continue;
    char *end;
    long pid = strtol(entry->d_name + 7, &end, 10);
    if (*end || pid <= 1 || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    char stale[PATH_MAX];
    if (snprintf(stale, sizeof stale, "%s/%s", parent, entry->d_name) < (int)sizeof stale) rmdir(stale);
  }
  closedir(dir);
}

/* Make a cgroup v2 of the run's own under ours, if this system lets us (root, or delegation):
   its cgroup.procs is kept open for the child to join. Best effort: else the subreaper holds.
   The v2 hierarchy is at /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified (hybrid); no mount
   table parsing, to keep the monitor small. */
static void make_cgroup(void) {
  const char *mounts[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
  const char *mount = NULL;
  char probe[64], own[PATH_MAX];
  for (size_t i = 0; i < sizeof mounts / sizeof mounts[0] && !mount; i++) {
    snprintf(probe, sizeof probe, "%s/cgroup.procs", mounts[i]);
    if (access(probe, F_OK) == 0) mount = mounts[i];
  }
  if (!mount || read_small("/proc/self/cgroup", own, sizeof own) <= 0) return;
  char *line = strstr(own, "0::");
  if (!line || (line != own && line[-1] != '\n')) return;
  line += 3;
  line[strcspn(line, "\n")] = '\0';
  if (strcmp(line, "/") == 0) line[0] = '\0';
  char path[PATH_MAX], procs[PATH_MAX + 16];
  if (snprintf(path, sizeof path, "%s%s", mount, line) >= (int)sizeof path) return;
  sweep_stale_cgroups(path);
  if (snprintf(path, sizeof path, "%s%s/rw-run-%d", mount, line, (int)getpid()) >= (int)sizeof path) return;
  if (mkdir(path, 0755) < 0) return;
  snprintf(procs, sizeof procs, "%s/cgroup.procs", path);
  cgroup_procs_fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (cgroup_procs_fd < 0) {
    rmdir(path);
    return;
  }
  snprintf(cgroup_path, sizeof cgroup_path, "%s", path);
}

/* SIGKILL every process in the run's cgroup (cgroup.kill, and each pid it lists for kernels
   without it) until it is empty or the rounds run out; removes it. Returns the processes left. */
static int empty_cgroup(void) {
  char file[PATH_MAX + 16], buf[4096];
  snprintf(file, sizeof file, "%s/cgroup.kill", cgroup_path);
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    write_all(fd, "1", 1);
    close(fd);
  }
  snprintf(file, sizeof file, "%s/cgroup.procs", cgroup_path);
  int left = 0;
  for (int round = 0; round < SWEEP_ROUNDS; round++) {
    left = 0;
    fd = open(file, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0) close(fd);
    if (n <= 0) break;
    buf[n] = '\0';
    for (char *at = buf, *end; *at; at = end) {
      long pid = strtol(at, &end, 10);
      if (end == at) break;
      if (pid > 1) {
        kill((pid_t)pid, SIGKILL);
        left++;
      }
    }
    if (!left) break;
    sleep_ms(SWEEP_PAUSE_MS);
  }
  if (!left) rmdir(cgroup_path);
  return left;
}

/* The pids whose parent is us (descendants reparented to this subreaper), up to `max`. */
static int our_children(pid_t *out, int max) {
  DIR *proc = opendir("/proc");
  if (!proc) return 0;
  int count = 0;
  pid_t self = getpid();
  struct dirent *entry;
  while (count < max && (entry = readdir(proc))) {
    char *end;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end || pid <= 1) continue;
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (read_small(path, stat, sizeof stat) <= 0) continue;
    char *paren = strrchr(stat, ')'); /* "pid (comm) S ppid ...": comm may hold ')' itself */
    if (!paren || !paren[1] || !paren[2] || !paren[3]) continue;
    if (strtol(paren + 4, NULL, 10) == (long)self) out[count++] = (pid_t)pid;
  }
  closedir(proc);
  return count;
}

/* As the subreaper: SIGKILL each descendant handed to us and reap it, until none is left or the
   rounds run out. Each kill is safe: an unreaped child's pid cannot be reused. Returns those left. */
static int kill_descendants(void) {
  pid_t pids[256];
  int left = 0;
  for (int round = 0; round < SWEEP_ROUNDS; round++) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    left = our_children(pids, 256);
    if (!left) break;
    for (int i = 0; i < left; i++) kill(pids[i], SIGKILL);
    sleep_ms(SWEEP_PAUSE_MS);
  }
  return left;
}

#include "resource-sample.h" /* resource sampling (issue 17): sample_setup/tick */

/* Wait for signals until the child ends, escalating an abort when its grace runs out. */
static void supervise(pid_t pid, const sigset_t *set, struct exec_state *st,
                      siginfo_t *info) {
  long long deadline = -1; /* CLOCK_MONOTONIC ms of the pending SIGKILL, -1 if none */
  int aborting = 0;        /* an abort was asked for: later requests add nothing */
  for (;;) {
    memset(info, 0, sizeof *info);
    if (waitid(P_PID, pid, info, WEXITED | WNOWAIT | WNOHANG) == 0 && info->si_pid == pid) return;
    poll_exec(st);
    struct timespec ts, *timeout = NULL;
    if (deadline >= 0) {
      long long left = deadline - now_ms(CLOCK_MONOTONIC);
      if (left <= 0) {
        kill_group(SIGKILL);
        deadline = -1;
        continue;
      }
      ts.tv_sec = left / 1000;
      ts.tv_nsec = (left % 1000) * 1000000;
      timeout = &ts;
    }
    long cap_ms = sooner_ms(log_cap_pump(), sample_tick()); /* issue 17: logs, samples */
    struct timespec cap_ts = {cap_ms / 1000, (cap_ms % 1000) * 1000000L};
    if (cap_ms >= 0 && (!timeout || cap_ms < ts.tv_sec * 1000 + ts.tv_nsec / 1000000)) timeout = &cap_ts;
    siginfo_t si;
    long long ck_ms = ckpt_next_ms(); /* issue 14: wake for the checkpoint clock too */
    struct timespec ck_ts = {ck_ms / 1000, (ck_ms % 1000) * 1000000L};
    if (ck_ms >= 0 && (!timeout || ck_ms < timeout->tv_sec * 1000 + timeout->tv_nsec / 1000000)) timeout = &ck_ts;
    int sig = sigtimedwait(set, &si, timeout);
    if (sig == SIGALRM) ckpt_read_clock(-1);
    if (ckpt_tick() && sig != SIGUSR2) sig = SIGUSR1; /* the clock's abort: as if asked */
    if (sig == SIGUSR1 || sig == SIGTERM || sig == SIGINT) {
      if (!aborting) {
        aborting = 1;
        deadline = now_ms(CLOCK_MONOTONIC) + read_grace_ms();
        kill_group(SIGINT);
      }
    } else if (sig == SIGUSR2) {
      kill_group(SIGKILL);
    } /* SIGCHLD, SIGIO, SIGHUP, SIGALRM, timeouts: re-checked at the top of the loop */
  }
}

int main(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[2], "--") != 0) {
    fprintf(stderr, "usage: rw-monitor RUN_DIR -- PROG [ARGS...]\n");
    return 2;
  }
  /* Opened once, before the job exists: a job swapping its run directory for a link later
     changes nothing for us (every run file is opened relative to this fd). */
  run_dir_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (run_dir_fd < 0) {
    fprintf(stderr, "rw-monitor: RW_PATH_ESCAPE: opening the run directory %s: %s (a link is never followed)\n",
            argv[1], strerror(errno));
    return 1;
  }
  /* Orphaned descendants come to us, not init; without that (and without a cgroup) only the
     job's process group is killed, and the record says so ("none"). */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) < 0) containment = "none";
  /* RUNWARDEN_CONTAINMENT=subreaper skips the cgroup (for systems whose cgroups misbehave). */
  const char *wanted = getenv("RUNWARDEN_CONTAINMENT");
  if (!wanted || strcmp(wanted, "subreaper") != 0) make_cgroup();
  reserve_exit_record();
  log_cap_setup();
  sample_setup();
  kick_capture();
  sigset_t set, old_mask;
  sigemptyset(&set);
  int handled[] = {SIGCHLD, SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGIO};
  for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++) sigaddset(&set, handled[i]);
  sigprocmask(SIG_BLOCK, &set, &old_mask);

  int ep[2];
  if (pipe2(ep, O_CLOEXEC) < 0) {
    perror("rw-monitor: RW_MONITOR_PIPE_FAILED: pipe2");
    return 1;
  }
  /* SIGIO on the read end wakes the loop when the child execs (EOF) or reports; set before fork
     so the exec cannot slip in between. */
  fcntl(ep[0], F_SETOWN, getpid());
  fcntl(ep[0], F_SETFL, O_ASYNC);
  pid_t pid = fork();
  if (pid < 0) {
    perror("rw-monitor: RW_MONITOR_FORK_FAILED: fork");
    return 1;
  }
  if (pid == 0) {
    close(ep[0]);
    run_child(ep[1], argv + 3, &old_mask);
  }
  close(ep[1]);
  close(GO_FD);
  log_cap_parent();
  signal(SIGPIPE, SIG_IGN); /* the launcher may be gone: its pipe must not kill us */

  /* Report the pid only once the child leads its own group, so kill(-pid) reaches it. */
  int msg = 0;
  ssize_t n;
  do n = read(ep[0], &msg, sizeof msg);
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t)sizeof msg && (msg == MSG_IN_SESSION || msg == MSG_IN_SESSION_CGROUP)) job_pgid = pid;
  if (cgroup_procs_fd >= 0) close(cgroup_procs_fd);
  if (n == (ssize_t)sizeof msg && msg == MSG_IN_SESSION_CGROUP) {
    containment = "cgroup";
  } else if (cgroup_path[0]) {
    rmdir(cgroup_path);
    cgroup_path[0] = '\0';
  }
  char line[32];
  snprintf(line, sizeof line, "pid %d\n", (int)pid);
  write_all(REPORT_FD, line, strlen(line));
  fcntl(ep[0], F_SETFL, O_ASYNC | O_NONBLOCK);

  struct exec_state st = {ep[0], 0, 0, 0};
  siginfo_t info;
  ckpt_read_clock(now_ms(CLOCK_REALTIME)); /* issue 14: the time limit counts from here */
  supervise(pid, &set, &st, &info);
  long long ended_ms = now_ms(CLOCK_REALTIME);
  kill_group(SIGKILL); /* grandchildren left in the job's group; the zombie keeps the pgid ours */
  siginfo_t reaped;
  while (waitid(P_PID, pid, &reaped, WEXITED) < 0 && errno == EINTR) {
  }
  if (st.fd >= 0) fcntl(st.fd, F_SETFL, O_NONBLOCK); /* the writer is gone: reads end at EOF */
  poll_exec(&st);
  /* The whole tree goes with the job, after a normal exit and after an abort alike. */
  int leftovers = cgroup_path[0] ? empty_cgroup() : 0;
  leftovers += kill_descendants();
  log_cap_finish();
  write_exit_record(&info, ended_ms, &st, leftovers);
  kick_run(run_dir_fd);
  return 0;
}
