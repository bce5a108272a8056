/* rw-monitor: the parent of one runwarden job; records its exit durably in RUN_DIR/exit.json.
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
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Child -> monitor messages on the exec-status pipe (ints); an errno (> 0) means exec failed. */
#define MSG_IN_SESSION (-1)
#define MSG_GO_RECEIVED (-2)
#define REPORT_FD 3
#define GO_FD 4
#define DEFAULT_GRACE_MS 10000L
#define MAX_GRACE_MS 86400000L

static pid_t job_pgid; /* 0 until the child runs in its own session */

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

/* The grace between SIGINT and SIGKILL, from RUN_DIR/abort-grace-ms (default 10 s). */
static long read_grace_ms(const char *run_dir) {
  char path[PATH_MAX], buf[32];
  snprintf(path, sizeof path, "%s/abort-grace-ms", run_dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
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

/* The job's side of the fork: own session, wait for 'G', exec; never returns. */
static void run_child(int status_fd, char **argv, const sigset_t *old_mask) {
  close(REPORT_FD);
  int msg = MSG_IN_SESSION;
  if (setsid() < 0) _exit(127);
  /* A signal ignored by whoever started us would be inherited by the job: restore defaults. */
  int defaults[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) signal(defaults[i], SIG_DFL);
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

/* Write RUN_DIR/exit.json atomically (tmp, fsync, rename, fsync dir); exits 1 on failure. */
static void write_exit_record(const char *run_dir, const siginfo_t *info, long long ended_ms,
                              const struct exec_state *st) {
  char tmp[PATH_MAX], dst[PATH_MAX], json[256], code[16] = "null", sig[40] = "null", err[40] = "null";
  char name[32];
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
  int len = snprintf(json, sizeof json,
                     "{\"code\":%s,\"signal\":%s,\"endedAt\":%lld,\"notStarted\":%s,\"execError\":%s}\n",
                     code, sig, ended_ms, st->go_received ? "false" : "true", err);
  snprintf(tmp, sizeof tmp, "%s/exit.json.tmp-%d", run_dir, (int)getpid());
  snprintf(dst, sizeof dst, "%s/exit.json", run_dir);
  const char *step = "creating";
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) goto fail;
  step = "writing";
  if (write_all(fd, json, (size_t)len) < 0) goto fail;
  step = "fsyncing";
  if (fsync(fd) < 0) goto fail;
  step = "closing";
  int rc = close(fd);
  fd = -1;
  if (rc < 0) goto fail;
  step = "renaming";
  if (rename(tmp, dst) < 0) goto fail;
  int dir = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir); /* the record is in place; a failed directory fsync cannot be undone */
    close(dir);
  }
  return;
fail:;
  int saved = errno;
  if (fd >= 0) close(fd);
  unlink(tmp);
  fprintf(stderr, "rw-monitor: RW_EXIT_RECORD_WRITE_FAILED: %s %s: %s; the job's exit was code %s, signal %s\n",
          step, tmp, strerror(saved), code, sig);
  exit(1);
}

/* Wait for signals until the child ends, escalating an abort when its grace runs out. */
static void supervise(const char *run_dir, pid_t pid, const sigset_t *set, struct exec_state *st,
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
    siginfo_t si;
    int sig = sigtimedwait(set, &si, timeout);
    if (sig == SIGUSR1 || sig == SIGTERM || sig == SIGINT) {
      if (!aborting) {
        aborting = 1;
        deadline = now_ms(CLOCK_MONOTONIC) + read_grace_ms(run_dir);
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
  const char *run_dir = argv[1];
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
  signal(SIGPIPE, SIG_IGN); /* the launcher may be gone: its pipe must not kill us */

  /* Report the pid only once the child leads its own group, so kill(-pid) reaches it. */
  int msg = 0;
  ssize_t n;
  do n = read(ep[0], &msg, sizeof msg);
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t)sizeof msg && msg == MSG_IN_SESSION) job_pgid = pid;
  char line[32];
  snprintf(line, sizeof line, "pid %d\n", (int)pid);
  write_all(REPORT_FD, line, strlen(line));
  fcntl(ep[0], F_SETFL, O_ASYNC | O_NONBLOCK);

  struct exec_state st = {ep[0], 0, 0, 0};
  siginfo_t info;
  supervise(run_dir, pid, &set, &st, &info);
  long long ended_ms = now_ms(CLOCK_REALTIME);
  kill_group(SIGKILL); /* grandchildren left in the job's group; the zombie keeps the pgid ours */
  siginfo_t reaped;
  while (waitid(P_PID, pid, &reaped, WEXITED) < 0 && errno == EINTR) {
  }
  if (st.fd >= 0) fcntl(st.fd, F_SETFL, O_NONBLOCK); /* the writer is gone: reads end at EOF */
  poll_exec(&st);
  write_exit_record(run_dir, &info, ended_ms, &st);
  return 0;
}
