/* checkpoint.h (issue 14): the monitor's checkpoint clock, so a time limit and a pending
 * checkpoint-and-exit deadline hold with no runwarden process alive. Included by rw-monitor.c.
 *
 * RUN_DIR/checkpoint-clock (one line, written atomically by runwarden):
 *   "limit LIMIT_MS BEFORE_MS SIGNO"  before the job starts: BEFORE_MS (> 0) before the limit,
 *       write a checkpoint-and-exit request (reason "time-limit") to RUN_DIR/checkpoint.json and
 *       send SIGNO to the job's group; at the limit, abort (as on SIGUSR1).
 *   "deadline EPOCH_MS SIGNO"  a checkpoint-and-exit request runwarden sent: abort at EPOCH_MS
 *       unless the job ended (runwarden sends SIGALRM after writing it: the clock is re-read).
 * The abort the clock starts is recorded in RUN_DIR/abort.json (unless one is there), so whoever
 * finalises the run finds it aborted, with reason "time-limit" for the time limit. */

/* In the job, before exec: the checkpoint signal ($RUNWARDEN_CHECKPOINT_SIGNAL, e.g. "SIGUSR1") is
   ignored, and stays ignored across exec in every process of the job that does not install a
   handler (a data loader worker, a shell wrapper): the request, sent to the whole group, then
   reaches only the processes that listen for it (the helpers install a handler). */
static void ckpt_child_ignore(void) {
  const char *want = getenv("RUNWARDEN_CHECKPOINT_SIGNAL");
  if (!want || !*want) return;
  for (int n = 1; n < 65; n++) {
    char name[24];
    name_of(n, 1, name, sizeof name);
    if (strcmp(name, want) == 0 && n != SIGKILL && n != SIGSTOP && n != SIGINT && n != SIGCHLD) {
      signal(n, SIG_IGN);
      return;
    }
  }
}

static long long ckpt_ask_at = -1;   /* CLOCK_REALTIME ms of the time limit's request; -1: none */
static long long ckpt_abort_at = -1; /* CLOCK_REALTIME ms of the clock's abort; -1: none */
static long long ckpt_before_ms = 0; /* the time limit's BEFORE_MS (the request's deadline) */
static int ckpt_signo = SIGUSR1;
static int ckpt_time_limit = 0; /* the abort is the time limit's (reason "time-limit") */

/* Read RUN_DIR/checkpoint-clock; `started_ms` is the job's start (CLOCK_REALTIME ms). */
static void ckpt_read_clock(long long started_ms) {
  char buf[128];
  int fd = open_in_run_dir("checkpoint-clock", O_RDONLY, 0);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  long long a = 0, b = 0;
  int signo = 0;
  if (started_ms >= 0 && sscanf(buf, "limit %lld %lld %d", &a, &b, &signo) == 3 && a > 0) {
    ckpt_abort_at = started_ms + a;
    ckpt_time_limit = 1;
    ckpt_before_ms = b > 0 && b < a ? b : 0;
    ckpt_ask_at = ckpt_before_ms > 0 ? started_ms + a - ckpt_before_ms : -1;
    if (signo > 0 && signo < 65) ckpt_signo = signo;
  } else if (sscanf(buf, "deadline %lld %d", &a, &signo) == 2 && a > 0) {
    if (ckpt_abort_at < 0 || a < ckpt_abort_at) {
      ckpt_abort_at = a;
      ckpt_time_limit = 0;
    }
  }
}

/* Replace RUN_DIR/NAME with `text` durably (tmp, fsync, rename, fsync the directory). */
static void ckpt_publish(const char *name, const char *text) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, ".%s.tmp-monitor-%d", name, (int)getpid());
  int fd = openat(run_dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  int ok = write_all(fd, text, strlen(text)) == 0 && fsync(fd) == 0;
  close(fd);
  if (!ok || renameat(run_dir_fd, tmp, run_dir_fd, name) < 0) {
    unlinkat(run_dir_fd, tmp, 0);
    return;
  }
  fsync(run_dir_fd);
}

/* The sequence number of the request in RUN_DIR/checkpoint.json, 0 when none. */
static long long ckpt_last_seq(void) {
  char buf[512];
  int fd = open_in_run_dir("checkpoint.json", O_RDONLY, 0);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char *at = strstr(buf, "\"seq\":");
  return at ? strtoll(at + 6, NULL, 10) : 0;
}

/* ms until the clock's next action (capped at a day), or -1 when nothing is due. */
static long long ckpt_next_ms(void) {
  long long next = ckpt_ask_at >= 0 ? ckpt_ask_at : ckpt_abort_at;
  if (ckpt_abort_at >= 0 && ckpt_abort_at < next) next = ckpt_abort_at;
  if (next < 0) return -1;
  long long left = next - now_ms(CLOCK_REALTIME);
  return left < 0 ? 0 : (left > 86400000LL ? 86400000LL : left);
}

/* Carry out what is due; 1 when the abort is due now (the caller aborts as on SIGUSR1). */
static int ckpt_tick(void) {
  long long now = now_ms(CLOCK_REALTIME);
  if (ckpt_ask_at >= 0 && now >= ckpt_ask_at) {
    ckpt_ask_at = -1;
    char sig[24], json[320];
    name_of(ckpt_signo, 1, sig, sizeof sig);
    snprintf(json, sizeof json,
             "{\"seq\":%lld,\"reason\":\"time-limit\",\"exit\":true,\"requestedAt\":%lld,"
             "\"deadlineAt\":%lld,\"signal\":\"%s\"}\n",
             ckpt_last_seq() + 1, now, now + ckpt_before_ms, sig);
    ckpt_publish("checkpoint.json", json);
    kill_group(ckpt_signo);
  }
  if (ckpt_abort_at < 0 || now < ckpt_abort_at) return 0;
  ckpt_abort_at = -1;
  if (faccessat(run_dir_fd, "abort.json", F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
    char json[256];
    snprintf(json, sizeof json,
             "{\"requestedAt\":%lld,\"graceMs\":%ld,\"forced\":false,\"interruptedAt\":%lld,"
             "\"reason\":%s}\n",
             now, read_grace_ms(), now, ckpt_time_limit ? "\"time-limit\"" : "null");
    ckpt_publish("abort.json", json);
  }
  return 1;
}
