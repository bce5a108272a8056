/* log-cap.h: bounded logs (issue 17), included by rw-monitor.c.
 *
 * Off unless RUN_DIR/log-max-bytes holds a size: then nothing changes. On, each log is kept as
 *
 *     [head: the first quarter of the cap, up to a line end]
 *     [marker: one line of LOG_CAP_MARKER_BYTES, "[runwarden: N bytes dropped here ...]"]
 *     [the newest bytes, from a line start]
 *
 * and its disk use stays within the cap. NAME.cap (e.g. stdout.log.cap) says where:
 * "rw-log-cap 1 GEN HEAD BODY DROPPED MAX\n" (fixed width, rewritten in place; GEN is odd while
 * bytes are being dropped). A reader shows [0, HEAD + marker) and [BODY, end); the byte at
 * BODY + k is byte HEAD + DROPPED + k of the job's output. Two ways, the first where it works:
 *
 * holes (the default): the job's fds 1 and 2 stay the log files (it writes them directly: it never
 *   waits for us, never gets SIGPIPE, and outlives us). inotify wakes the monitor (SIGIO) when a
 *   log grows; past the cap it punches the bytes between the marker and the newest half out of
 *   the file (fallocate PUNCH_HOLE: the blocks are freed, the size stays, offsets never move).
 *   The file's apparent size is the job's whole output; its disk use (du) is the cap.
 * pipe (where holes cannot be punched, or RUNWARDEN_LOG_CAP=pipe): fds 1 and 2 are 1 MiB pipes the
 *   monitor splices into the logs; at the cap the newest half is moved (copy_file_range) behind
 *   the marker and the file truncated: a plain file within the cap, but a job faster than the
 *   monitor waits for it, and the job's next write gets EPIPE if the monitor is SIGKILLed.
 *
 * A write or punch that fails (a full disk) drops bytes (counted) rather than stall the job. */
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

#define LOG_CAP_FILE "log-max-bytes"
#define LOG_CAP_MIN_BYTES (64LL * 1024)
#define LOG_CAP_MARKER_BYTES 128
#define LOG_CAP_PIPE_BYTES (1024 * 1024)
#define LOG_CAP_PUMP_BYTES (64LL * 1024 * 1024) /* drained per pipe per loop turn at most */
#define LOG_CAP_LINE_SEARCH 65536             /* how far to look for a line end at a cut */
#define LOG_CAP_COPY_BYTES (1024 * 1024)
#define LOG_CAP_SLACK_BYTES (4 * 4096) /* holes: blocks only partly ours (file-system metadata too) */
#define LOG_CAP_POLL_MS 100 /* holes without inotify: how often the logs are measured */

struct log_cap {
  int rd, wr;          /* the pipe: the job writes wr (its fd 1 or 2), we read rd; -1 when closed */
  int file;            /* the log, reopened without O_APPEND: we write at `size` */
  int side;            /* NAME.cap, written in place */
  long long size;      /* the log's length as we wrote it */
  long long head;      /* end of the kept head (= marker's offset); 0 before the first cut */
  long long body;      /* where the newest part starts (head + marker); 0 before the first cut */
  long long dropped;   /* bytes of the job's output no longer in the file */
  unsigned long long gen;
  int marker_nl;       /* the marker begins with '\n' (the head was cut mid-line) */
};

static long long log_cap_max; /* 0: off */
static int log_cap_holes;     /* 1: the job writes the files, we punch holes; 0: the pipes */
static int log_cap_inotify = -1; /* holes: IN_MODIFY on both logs wakes us (SIGIO) */
static struct log_cap log_caps[2] = {{-1, -1, -1, -1, 0, 0, 0, 0, 0, 0}, {-1, -1, -1, -1, 0, 0, 0, 0, 0, 0}};
static char log_cap_buf[LOG_CAP_COPY_BYTES];

/* Rewrite NAME.cap in place: "rw-log-cap 1 GEN HEAD BODY DROPPED MAX" (fixed width). */
static void log_cap_side(struct log_cap *c) {
  char line[128];
  int len = snprintf(line, sizeof line, "rw-log-cap 1 %020llu %020lld %020lld %020lld %020lld\n", c->gen,
                     c->head, c->body, c->dropped, log_cap_max);
  if (c->side >= 0) (void)!pwrite(c->side, line, (size_t)len, 0);
}

/* The marker line at c->head (exactly LOG_CAP_MARKER_BYTES, ending in '\n'). */
static void log_cap_marker(struct log_cap *c) {
  char line[LOG_CAP_MARKER_BYTES + 1];
  int len = snprintf(line, sizeof line, "%s[runwarden: %020lld bytes dropped here by --log-max %lld]",
                     c->marker_nl ? "\n" : "", c->dropped, log_cap_max);
  memset(line + len, ' ', (size_t)(LOG_CAP_MARKER_BYTES - len));
  line[LOG_CAP_MARKER_BYTES - 1] = '\n';
  (void)!pwrite(c->file, line, LOG_CAP_MARKER_BYTES, c->head);
}

/* Offset just past the first '\n' in [from, from + LOG_CAP_LINE_SEARCH) (backwards when back is
   set: the last '\n' before `from`), or -1. */
static long long log_cap_line_end(int fd, long long from, int back) {
  long long start = back ? from - LOG_CAP_LINE_SEARCH : from;
  if (start < 0) start = 0;
  ssize_t n = pread(fd, log_cap_buf, (size_t)(back ? from - start : LOG_CAP_LINE_SEARCH), start);
  for (ssize_t i = back ? n - 1 : 0; n > 0 && i >= 0 && i < n; i += back ? -1 : 1)
    if (log_cap_buf[i] == '\n') return start + i + 1;
  return -1;
}

/* Copy `len` bytes of the log from `src` to `dst` (dst < src, not overlapping); 0 or -1. */
static int log_cap_move(int fd, long long src, long long dst, long long len) {
  while (len > 0) {
    loff_t in = src, out = dst;
    ssize_t n = copy_file_range(fd, &in, fd, &out, (size_t)len, 0);
    if (n <= 0) { /* not supported here (EXDEV, EINVAL, ENOSYS): through our buffer */
      n = pread(fd, log_cap_buf, len < LOG_CAP_COPY_BYTES ? (size_t)len : LOG_CAP_COPY_BYTES, src);
      if (n <= 0 || pwrite(fd, log_cap_buf, (size_t)n, dst) != n) return -1;
    }
    src += n;
    dst += n;
    len -= n;
  }
  return 0;
}

/* The log is at the cap: keep the head (cut there the first time), drop the older half of what
   follows the marker, move the newer half behind it. */
static void log_cap_compact(struct log_cap *c) {
  int first = c->body == 0;
  c->gen++; /* odd: bytes are moving */
  log_cap_side(c);
  if (first) {
    c->head = log_cap_max / 4;
    long long cut = log_cap_line_end(c->file, c->head, 1);
    c->marker_nl = cut <= 0; /* no line end near: the marker starts one */
    if (cut > 0) c->head = cut;
    c->body = c->head + LOG_CAP_MARKER_BYTES;
  }
  long long keep = (log_cap_max - c->body) / 2;
  long long from = c->size - keep;
  long long line = log_cap_line_end(c->file, from, 0);
  if (line > 0 && line < c->size) from = line;
  long long kept = c->size - from;
  if (log_cap_move(c->file, from, c->body, kept) < 0) kept = 0; /* dropped, not stalled */
  /* Before the first cut every byte is the job's; after it, those past the marker. */
  c->dropped += c->size - (first ? c->head : c->body) - kept;
  c->size = c->body + kept;
  if (ftruncate(c->file, c->size) < 0) {
    /* the file keeps stale bytes past c->size; the next writes overwrite them */
  }
  log_cap_marker(c);
  c->gen++;
  log_cap_side(c);
}

/* Before the fork: read the cap; make the pipes and reopen the logs (fds 1, 2) for positional
   writes. Any failure leaves the cap off (the job writes its files directly) and says so. */
static void log_cap_setup(void) {
  char buf[32];
  int fd = open_in_run_dir(LOG_CAP_FILE, O_RDONLY, 0);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  char *end;
  errno = 0;
  long long max = strtoll(buf, &end, 10);
  if (errno || end == buf || (*end && *end != '\n') || max < LOG_CAP_MIN_BYTES) return;
  for (int i = 0; i < 2; i++) {
    struct log_cap *c = &log_caps[i];
    char self[64], side[PATH_MAX + 8], target[PATH_MAX];
    struct stat st;
    snprintf(self, sizeof self, "/proc/self/fd/%d", i + 1);
    ssize_t len = readlink(self, target, sizeof target - 1);
    int p[2] = {-1, -1};
    c->file = open(self, O_RDWR | O_CLOEXEC); /* the same inode (a magic link), its own offset */
    if (len > 0 && c->file >= 0 && i == 0) {
      /* Holes where this file system punches them (a punch past the end changes nothing). */
      const char *wanted = getenv("RUNWARDEN_LOG_CAP");
      log_cap_holes = !(wanted && strcmp(wanted, "pipe") == 0) &&
                      fallocate(c->file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)1 << 40, 4096) == 0;
    }
    if (len <= 0 || c->file < 0 || fstat(c->file, &st) < 0 || !S_ISREG(st.st_mode) ||
        (!log_cap_holes && pipe2(p, O_CLOEXEC) < 0)) {
      fprintf(stderr, "rw-monitor: RW_LOG_CAP_OFF: cannot cap the log on fd %d: %s; it is not capped\n", i + 1,
              strerror(errno ? errno : EINVAL));
      for (int j = 0; j <= i; j++) {
        if (log_caps[j].file >= 0) close(log_caps[j].file);
        if (log_caps[j].side >= 0) close(log_caps[j].side);
        if (j < i && log_caps[j].rd >= 0) close(log_caps[j].rd), close(log_caps[j].wr);
        log_caps[j].file = log_caps[j].side = log_caps[j].rd = log_caps[j].wr = -1;
      }
      return;
    }
    target[len] = '\0';
    if (p[1] >= 0) fcntl(p[1], F_SETPIPE_SZ, LOG_CAP_PIPE_BYTES);
    c->rd = p[0];
    c->wr = p[1];
    c->size = st.st_size;
    const char *base = strrchr(target, '/');
    snprintf(side, sizeof side, "%s.cap", base ? base + 1 : target);
    c->side = open_in_run_dir(side, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  }
  log_cap_max = max;
  for (int i = 0; i < 2; i++) log_cap_side(&log_caps[i]);
  if (!log_cap_holes) return;
  /* Woken when a log grows; without inotify, every LOG_CAP_POLL_MS. */
  log_cap_inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  for (int i = 0; log_cap_inotify >= 0 && i < 2; i++) {
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", i + 1);
    if (inotify_add_watch(log_cap_inotify, self, IN_MODIFY) < 0) {
      close(log_cap_inotify);
      log_cap_inotify = -1;
    }
  }
  if (log_cap_inotify >= 0) {
    fcntl(log_cap_inotify, F_SETOWN, getpid());
    fcntl(log_cap_inotify, F_SETFL, O_NONBLOCK | O_ASYNC);
  }
}

/* In the child, before exec: fds 1 and 2 become the pipes' write ends. */
static void log_cap_child(void) {
  if (!log_cap_max || log_cap_holes) return;
  for (int i = 0; i < 2; i++)
    if (dup2(log_caps[i].wr, i + 1) < 0) _exit(127);
}

/* In the monitor after the fork: only the child writes; reading never blocks and SIGIO wakes us. */
static void log_cap_parent(void) {
  if (!log_cap_max || log_cap_holes) return;
  for (int i = 0; i < 2; i++) {
    close(log_caps[i].wr);
    log_caps[i].wr = -1;
    fcntl(log_caps[i].rd, F_SETOWN, getpid());
    fcntl(log_caps[i].rd, F_SETFL, O_NONBLOCK | O_ASYNC);
  }
}

/* Holes: a log past the cap loses the bytes between its marker and its newest half (punched
   out: blocks freed, offsets kept). The first time, the head is cut at a line end and the marker
   written after it; the newest part starts at a line start when one is near. */
static void log_cap_punch(struct log_cap *c) {
  struct stat st;
  if (fstat(c->file, &st) < 0) return;
  long long size = st.st_size;
  long long from = c->body ? c->body : 0; /* the kept newest bytes start here */
  long long head = c->body ? c->head : log_cap_max / 4;
  /* For the newest bytes: the cap less the head and marker, and the partly used blocks at either
     end of the hole and at the end of the file (disk use counts whole blocks). */
  long long budget = log_cap_max - head - LOG_CAP_MARKER_BYTES - LOG_CAP_SLACK_BYTES;
  if (c->body ? size - from <= budget : size <= log_cap_max) return;
  int first = c->body == 0;
  c->gen++;
  log_cap_side(c);
  if (first) {
    long long cut = log_cap_line_end(c->file, head, 1);
    c->marker_nl = cut <= 0;
    c->head = cut > 0 ? cut : head;
    from = c->head + LOG_CAP_MARKER_BYTES;
    budget = log_cap_max - c->head - LOG_CAP_MARKER_BYTES - LOG_CAP_SLACK_BYTES;
  }
  long long body = (size - budget / 2) & ~4095LL; /* whole blocks are freed */
  long long line = log_cap_line_end(c->file, body, 0);
  if (line > 0 && line < size) body = line;
  /* Always from the marker's end: a block the last punch only zeroed (its start was mid-block)
     is freed now that the whole of it is dropped. Punching a hole again costs nothing. */
  long long hole = c->head + LOG_CAP_MARKER_BYTES;
  if (body > from && fallocate(c->file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, hole, body - hole) < 0) {
    /* not freed (the bytes stay on disk); readers skip them all the same */
  }
  c->body = body;
  c->dropped = body - c->head; /* the marker took the place of output bytes too */
  log_cap_marker(c);
  c->gen++;
  log_cap_side(c);
}

/* Drain the inotify events and bound both logs; the most ms to wait before looking again. */
static long log_cap_watch(void) {
  char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  while (log_cap_inotify >= 0 && read(log_cap_inotify, events, sizeof events) > 0) {
  }
  for (int i = 0; i < 2; i++) log_cap_punch(&log_caps[i]);
  return log_cap_inotify >= 0 ? -1 : LOG_CAP_POLL_MS;
}

/* Move what the pipes hold into the logs, up to LOG_CAP_PUMP_BYTES each; 1 when one of them
   stopped at that bound (call again without waiting), else 0. EOF closes a pipe. */
static int log_cap_pipes(void) {
  int more = 0;
  for (int i = 0; log_cap_max && i < 2; i++) {
    struct log_cap *c = &log_caps[i];
    long long moved = 0;
    while (c->rd >= 0 && moved < LOG_CAP_PUMP_BYTES) {
      if (c->size >= log_cap_max) {
        /* Compact only for bytes that wait: a log that ends at the cap keeps every byte. */
        int waiting = 0;
        struct pollfd hup = {c->rd, POLLIN, 0};
        if (ioctl(c->rd, FIONREAD, &waiting) == 0 && waiting == 0) {
          if (poll(&hup, 1, 0) == 1 && (hup.revents & POLLHUP)) {
            close(c->rd); /* EOF: the writers are gone */
            c->rd = -1;
          }
          break;
        }
        log_cap_compact(c);
      }
      long long room = log_cap_max - c->size;
      loff_t at = c->size;
      ssize_t n = splice(c->rd, NULL, c->file, &at, (size_t)(room < LOG_CAP_PIPE_BYTES ? room : LOG_CAP_PIPE_BYTES),
                         SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0) { /* the log refused (a full disk, or splice unsupported): read and try pwrite */
        n = read(c->rd, log_cap_buf, (size_t)(room < LOG_CAP_COPY_BYTES ? room : LOG_CAP_COPY_BYTES));
        if (n < 0) break; /* EAGAIN: empty; anything else: retried on the next turn */
        if (n > 0 && pwrite(c->file, log_cap_buf, (size_t)n, c->size) != n) {
          c->dropped += n; /* never stall the job: the bytes are counted, not kept */
          moved += n;
          continue;
        }
      }
      if (n == 0) {
        close(c->rd);
        c->rd = -1;
        break;
      }
      c->size += n;
      moved += n;
    }
    if (moved >= LOG_CAP_PUMP_BYTES) more = 1;
  }
  return more;
}

/* The monitor's loop turn: bound the logs; the most ms to wait before the next turn (-1: until a
   signal, 0: at once). */
static long log_cap_pump(void) {
  if (!log_cap_max) return -1;
  if (log_cap_holes) return log_cap_watch();
  return log_cap_pipes() ? 0 : -1;
}

/* After the job and its descendants are gone: drain what is left (bounded), record the layout. */
static void log_cap_finish(void) {
  for (int round = 0; log_cap_max && round < 1024 && log_cap_pump() == 0; round++) {
  }
  if (log_cap_inotify >= 0) close(log_cap_inotify);
  for (int i = 0; log_cap_max && i < 2; i++) {
    struct log_cap *c = &log_caps[i];
    if (c->rd >= 0) close(c->rd);
    if (c->body) log_cap_marker(c);
    log_cap_side(c);
    fsync(c->file);
    close(c->file);
    if (c->side >= 0) close(c->side);
  }
}
