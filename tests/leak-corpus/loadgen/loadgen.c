// Paced HTTP/1.1 load generator: GET /item/<random key> on 127.0.0.1:PORT at
// RATE requests/s, one connection per request ("Connection: close", so a
// prefork server's workers can be recycled between requests). A refused or
// failed request is counted and skipped; the pace is kept on an absolute clock.
//
//   loadgen PORT RATE [KEYS]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static int one_request(int port, long key) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct timeval tv = {.tv_sec = 5};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
  char req[256];
  int n = snprintf(req, sizeof req,
                   "GET /item/%ld HTTP/1.1\r\nHost: localhost\r\nUser-Agent: hp-loadgen\r\n"
                   "Connection: close\r\n\r\n", key);
  if (write(fd, req, n) != n) { close(fd); return -1; }
  char buf[4096];
  long got = 0, r;
  while ((r = read(fd, buf, sizeof buf)) > 0) got += r;
  close(fd);
  return got > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : (got > 0 ? 0 : -1);
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: loadgen PORT RATE [KEYS]\n"); return 2; }
  int port = atoi(argv[1]);
  double rate = atof(argv[2]);
  long keys = argc > 3 ? atol(argv[3]) : 1000000;
  if (rate <= 0 || keys <= 0) return 2;
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  signal(SIGPIPE, SIG_IGN);
  srandom(getpid());
  long period_ns = (long)(1e9 / rate), ok = 0, failed = 0;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  time_t last_report = time(NULL);
  while (!stop) {
    if (one_request(port, random() % keys) == 0) ok++; else failed++;
    next.tv_nsec += period_ns;
    while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    if (time(NULL) - last_report >= 60) {
      fprintf(stderr, "ok=%ld failed=%ld\n", ok, failed);
      last_report = time(NULL);
    }
  }
  fprintf(stderr, "ok=%ld failed=%ld\n", ok, failed);
  return 0;
}
