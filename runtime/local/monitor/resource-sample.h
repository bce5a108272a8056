/* resource-sample.h: sampling the job's resource use (issue 17), included by rw-monitor.c.
 *
 * Who samples: the monitor, the one process that lives exactly as long as the job whatever else
 * dies, so a run that nobody watches still has its samples. Off unless RUN_DIR/sample-every-ms
 * holds a period (runwarden writes 10000 unless --no-sample). Every period the processes of the
 * job (its cgroup's cgroup.procs where it has one, else its process group) are read from /proc
 * (stat: utime+stime, threads, RSS; io: read_bytes, write_bytes) and one batch of metric events
 * is appended to RUN_DIR/resources.ndjson in the job protocol's format:
 *   {"t":"…Z","kind":"metric","name":"sys/cpu","value":12.5}   (CPU % of one core since the last sample)
 *   sys/rss (bytes), sys/threads, sys/procs, sys/read_bytes, sys/write_bytes (cumulative bytes).
 * Bounded: each time the file passes another SAMPLE_FILE_STEP_BYTES the period doubles. Cost:
 * one /proc scan per period (bench/resource-sampling.ts measures it). GPUs are sampled by the
 * TypeScript side (runtime/local/resource-gpu.ts, the one nvidia-smi reader). */

#define SAMPLE_FILE "sample-every-ms"
#define SAMPLE_OUT "resources.ndjson"
#define SAMPLE_MIN_MS 100
#define SAMPLE_PIDS_MAX 4096
#define SAMPLE_FILE_STEP_BYTES (8LL * 1024 * 1024)

static long sample_every_ms;        /* 0: off */
static long long sample_next_ms;    /* CLOCK_MONOTONIC ms of the next sample */
static long long sample_prev_ticks = -1;
static long long sample_prev_ms;
static long long sample_slow_at = SAMPLE_FILE_STEP_BYTES; /* file size at which the period doubles */
static int sample_fd = -1;

/* Read the period and open RUN_DIR/resources.ndjson for appending; off on any failure. */
static void sample_setup(void) {
  char buf[32];
  int fd = open_in_run_dir(SAMPLE_FILE, O_RDONLY, 0);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  char *end;
  long ms = strtol(buf, &end, 10);
  if (end == buf || (*end && *end != '\n') || ms < SAMPLE_MIN_MS) return;
  sample_fd = open_in_run_dir(SAMPLE_OUT, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (sample_fd < 0) return;
  sample_every_ms = ms;
  sample_next_ms = now_ms(CLOCK_MONOTONIC); /* the first at once: a baseline for the CPU % */
}

/* The job's pids: its cgroup's members, else every process in its group; how many. */
static int sample_pids(pid_t *out, int max) {
  int count = 0;
  char buf[16384];
  if (cgroup_path[0]) {
    char file[PATH_MAX + 16];
    snprintf(file, sizeof file, "%s/cgroup.procs", cgroup_path);
    if (read_small(file, buf, sizeof buf) >= 0) {
      for (char *at = buf, *end; *at && count < max; at = end) {
        long pid = strtol(at, &end, 10);
        if (end == at) break;
        if (pid > 1) out[count++] = (pid_t)pid;
      }
      return count;
    }
  }
  DIR *proc = opendir("/proc");
  struct dirent *entry;
  while (proc && count < max && (entry = readdir(proc))) {
    char *end, path[64];
    long pid = strtol(entry->d_name, &end, 10);
    if (*end || pid <= 1) continue;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (read_small(path, buf, 1024) <= 0) continue;
    char *paren = strrchr(buf, ')');
    long pgrp = 0;
    if (paren && sscanf(paren + 1, " %*c %*d %ld", &pgrp) == 1 && pgrp == job_pgid) out[count++] = (pid_t)pid;
  }
  if (proc) closedir(proc);
  return count;
}

/* "name: N" from a /proc/PID/io text, 0 when absent. */
static long long sample_io_field(const char *text, const char *name) {
  const char *at = strstr(text, name);
  return at ? strtoll(at + strlen(name), NULL, 10) : 0;
}

/* One sample appended to resources.ndjson. */
static void sample_now(long long mono_ms) {
  pid_t pids[SAMPLE_PIDS_MAX];
  int count = job_pgid > 1 ? sample_pids(pids, SAMPLE_PIDS_MAX) : 0;
  long long ticks = 0, threads = 0, rss_pages = 0, read_bytes = 0, write_bytes = 0;
  int alive = 0;
  for (int i = 0; i < count; i++) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pids[i]);
    if (read_small(path, buf, sizeof buf) <= 0) continue;
    char *paren = strrchr(buf, ')');
    char state = 0;
    long long utime = 0, stime = 0, nthreads = 0, rss = 0;
    /* After "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
       utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss */
    if (!paren || sscanf(paren + 1,
                         " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld %*d %*d %*d %*d %lld %*d %*u %*u %lld",
                         &state, &utime, &stime, &nthreads, &rss) != 5 || state == 'Z')
      continue;
    alive++;
    ticks += utime + stime;
    threads += nthreads;
    rss_pages += rss;
    snprintf(path, sizeof path, "/proc/%d/io", (int)pids[i]);
    if (read_small(path, buf, sizeof buf) > 0) {
      read_bytes += sample_io_field(buf, "read_bytes:");
      write_bytes += sample_io_field(buf, "write_bytes:");
    }
  }
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  struct tm tm;
  gmtime_r(&wall.tv_sec, &tm);
  char t[40], lines[1024];
  snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, wall.tv_nsec / 1000000);
  int len = 0;
  long tck = sysconf(_SC_CLK_TCK);
  /* CPU % of one core since the last sample; processes that ended since took their ticks along. */
  if (sample_prev_ticks >= 0 && mono_ms > sample_prev_ms && tck > 0) {
    long long delta = ticks > sample_prev_ticks ? ticks - sample_prev_ticks : 0;
    double percent = (double)delta * 1000.0 * 100.0 / (double)tck / (double)(mono_ms - sample_prev_ms);
    len += snprintf(lines + len, sizeof lines - (size_t)len,
                    "{\"t\":\"%s\",\"kind\":\"metric\",\"name\":\"sys/cpu\",\"value\":%.1f}\n", t, percent);
  }
  sample_prev_ticks = ticks;
  sample_prev_ms = mono_ms;
  const char *names[] = {"sys/rss", "sys/threads", "sys/procs", "sys/read_bytes", "sys/write_bytes"};
  long long values[] = {rss_pages * sysconf(_SC_PAGESIZE), threads, alive, read_bytes, write_bytes};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    len += snprintf(lines + len, sizeof lines - (size_t)len,
                    "{\"t\":\"%s\",\"kind\":\"metric\",\"name\":\"%s\",\"value\":%lld}\n", t, names[i], values[i]);
  if (write_all(sample_fd, lines, (size_t)len) < 0) return; /* a full disk: this sample is lost */
  struct stat st;
  if (fstat(sample_fd, &st) == 0 && st.st_size >= sample_slow_at) {
    sample_every_ms *= 2; /* bounded: the file grows ever slower */
    sample_slow_at += SAMPLE_FILE_STEP_BYTES;
  }
}

/* The monitor's loop turn: sample when due; the ms until the next sample (-1: off). */
static long sample_tick(void) {
  if (!sample_every_ms || sample_fd < 0) return -1;
  long long now = now_ms(CLOCK_MONOTONIC);
  if (now >= sample_next_ms) {
    sample_now(now);
    sample_next_ms = now + sample_every_ms;
  }
  return (long)(sample_next_ms - now);
}

/* The sooner of two waits in ms, -1 meaning none. */
static long sooner_ms(long a, long b) {
  if (a < 0) return b;
  if (b < 0) return a;
  return a < b ? a : b;
}
