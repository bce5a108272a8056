/* kick.h (issue 12): once the job's exit is recorded durably, start the queue's dispatcher so the
 * next queued run starts with no runwarden process alive. The starter passes its argv in RW_KICK
 * (arguments joined by \x1f); the job never sees it (unset before the fork). The kick runs only
 * when RUN_DIR/../queue holds an entry, detached (own session, stdio /dev/null, no inherited fds,
 * signals as at birth), and is never waited for: the monitor exits at once. Included once, by
 * rw-monitor.c. */
#include <dirent.h>

#define KICK_ARGS_MAX 64
#define KICK_BYTES_MAX 16384

static char kick_buf[KICK_BYTES_MAX];
static char *kick_argv[KICK_ARGS_MAX + 1];

/* Take RW_KICK out of the environment (before the job is forked) and split it into kick_argv. */
static void kick_capture(void) {
  const char *k = getenv("RW_KICK");
  if (k != NULL && strlen(k) < sizeof kick_buf) {
    strcpy(kick_buf, k);
    int n = 0;
    char *at = kick_buf;
    while (n < KICK_ARGS_MAX) {
      kick_argv[n++] = at;
      char *sep = strchr(at, '\x1f');
      if (sep == NULL) break;
      *sep = '\0';
      at = sep + 1;
    }
    kick_argv[n] = NULL;
    if (kick_argv[0][0] == '\0') kick_argv[0] = NULL;
  }
  unsetenv("RW_KICK");
}

/* Whether the workspace's queue directory holds a waiting or claimed entry (cheap: one listing). */
static int kick_queue_has_work(int run_dir) {
  int fd = openat(run_dir, "../queue", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return 0;
  }
  int found = 0;
  struct dirent *e;
  while (!found && (e = readdir(d)) != NULL) {
    const char *n = e->d_name;
    if (n[0] == '.' || strcmp(n, "hold.json") == 0 || strcmp(n, "boot") == 0) continue;
    if (strstr(n, ".new-") != NULL || strstr(n, ".tmp") != NULL) continue;
    found = strstr(n, ".json") != NULL;
  }
  closedir(d);
  return found;
}

/* Fork and exec the kick, detached; never waits for it. */
static void kick_run(int run_dir) {
  if (kick_argv[0] == NULL || !kick_queue_has_work(run_dir)) return;
  pid_t pid = fork();
  if (pid != 0) return; /* the monitor (or a failed fork): nothing to wait for */
  setsid();
  int null_fd = open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
  }
  long fds_max = sysconf(_SC_OPEN_MAX);
  if (fds_max < 0 || fds_max > 65536) fds_max = 65536;
  for (int fd = 3; fd < fds_max; fd++) close(fd);
  int defaults[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM, SIGIO};
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) signal(defaults[i], SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvp(kick_argv[0], kick_argv);
  _exit(127);
}
