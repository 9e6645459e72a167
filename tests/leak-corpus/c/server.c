// HTTP/1.1 request handler for the leak corpus, C with glibc malloc.
//
//   server PORT MODE BYTES [-w WORKERS -m MAX_REQUESTS] [-f FILE]
//
// Every request builds a record of BYTES bytes (a request log entry) and
// answers with its checksum. MODE:
//   leak    record malloc'ed and kept in a global list, never freed
//   clean   record malloc'ed and freed after the response
//   shmlog  record appended to a request log in shared memory (MAP_SHARED on
//           a memfd), so it outlives the worker that wrote it
//   mmap    no record: the request reads the next BYTES of FILE through a
//           read-only mapping (file-backed pages, no anonymous growth)
// -w N starts a pre-fork server: a master that forks N workers accepting on
// one socket; -m M recycles a worker after M requests (as PHP-FPM's
// pm.max_requests or Apache's MaxConnectionsPerChild do), and the master
// forks a replacement.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct record {
  struct record *next;
  size_t len;
  char data[];
};

static const char *mode;
static size_t bytes;
static struct record *request_log;  // leak: grows forever

// shmlog: a log in shared memory; the first 64 bytes hold the write offset.
static char *shm;
static size_t shm_size;

// mmap: the mapped file and where the next read starts.
static const unsigned char *file_map;
static size_t file_size, file_pos;

static uint32_t fill(char *dst, size_t len, const char *head) {
  size_t hl = strlen(head);
  uint32_t sum = 0;
  for (size_t i = 0; i < len; i++) {
    dst[i] = head[i % hl];
    sum = sum * 31 + (unsigned char)dst[i];
  }
  return sum;
}

static uint32_t handle(const char *line) {
  char head[512];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(head, sizeof head, "%ld.%09ld %.400s\n", (long)ts.tv_sec, ts.tv_nsec, line);
  if (strcmp(mode, "mmap") == 0) {
    uint32_t sum = 0;
    for (size_t i = 0; i < bytes; i += 4096) sum += file_map[(file_pos + i) % file_size];
    file_pos = (file_pos + bytes) % file_size;
    return sum;
  }
  if (strcmp(mode, "shmlog") == 0) {
    _Atomic size_t *off = (_Atomic size_t *)shm;
    size_t at = atomic_fetch_add(off, bytes);
    if (64 + at + bytes > shm_size) return 0;  // log full
    return fill(shm + 64 + at, bytes, head);
  }
  struct record *r = malloc(sizeof *r + bytes);
  if (!r) return 0;
  r->len = bytes;
  uint32_t sum = fill(r->data, bytes, head);
  if (strcmp(mode, "leak") == 0) {
    r->next = request_log;
    request_log = r;
  } else {
    free(r);
  }
  return sum;
}

static void serve_one(int fd) {
  char buf[8192];
  size_t got = 0;
  while (got < sizeof buf - 1) {
    ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
    if (n <= 0) break;
    got += n;
    buf[got] = 0;
    if (strstr(buf, "\r\n\r\n")) break;
  }
  buf[got] = 0;
  char *eol = strstr(buf, "\r\n");
  if (eol) *eol = 0;
  char body[64], out[256];
  int bl = snprintf(body, sizeof body, "ok %u\n", handle(buf));
  int ol = snprintf(out, sizeof out,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                    "Connection: close\r\n\r\n%s", bl, body);
  if (write(fd, out, ol) < 0) { /* client went away */ }
  close(fd);
}

static void accept_loop(int lfd, long max_requests) {
  for (long n = 0; max_requests <= 0 || n < max_requests; n++) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) { n--; continue; }
      perror("accept");
      exit(1);
    }
    serve_one(fd);
  }
  exit(0);
}

static pid_t spawn(int lfd, long max_requests) {
  pid_t pid = fork();
  if (pid == 0) accept_loop(lfd, max_requests);
  return pid;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: server PORT MODE BYTES [-w WORKERS -m MAX_REQUESTS] [-f FILE]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  mode = argv[2];
  bytes = strtoul(argv[3], NULL, 10);
  int workers = 0;
  long max_requests = 0;
  const char *file = NULL;
  for (int i = 4; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "-w")) workers = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-m")) max_requests = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "-f")) file = argv[i + 1];
  }
  signal(SIGPIPE, SIG_IGN);

  if (!strcmp(mode, "shmlog")) {
    // Reserve 8 GiB of address space; pages are charged only when written.
    shm_size = (size_t)8 << 30;
    int fd = memfd_create("request-log", 0);
    if (fd < 0 || ftruncate(fd, shm_size) < 0) { perror("memfd"); return 1; }
    shm = mmap(NULL, shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shm == MAP_FAILED) { perror("mmap"); return 1; }
    close(fd);
  } else if (!strcmp(mode, "mmap")) {
    int fd = open(file, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) { perror(file); return 1; }
    file_size = st.st_size;
    // Start cold: drop the file's cached pages so every first touch is a read.
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    file_map = mmap(NULL, file_size, PROT_READ, MAP_SHARED, fd, 0);
    if (file_map == MAP_FAILED) { perror("mmap"); return 1; }
    close(fd);
  }

  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 128) < 0) {
    perror("bind");
    return 1;
  }
  if (workers <= 0) accept_loop(lfd, 0);

  for (int i = 0; i < workers; i++) spawn(lfd, max_requests);
  for (;;) {
    int status;
    pid_t pid = wait(&status);
    if (pid < 0) {
      if (errno == EINTR) continue;
      perror("wait");
      return 1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "worker %d ended abnormally (status 0x%x)\n", pid, status);
      usleep(200000);  // no fork storm when workers keep dying
    }
    spawn(lfd, max_requests);
  }
}
