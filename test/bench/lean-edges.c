/*
 * Loopback edges for `npm run bench`, in C: the benchmark's edges stand for machines of their own,
 * but here they share the prober's two cores. Served by node, a thousand connections arriving at once
 * cost the edges' process about half a millisecond of CPU each, and its lag in reading the requests
 * (up to 70 ms) decided which answers came first. This program costs a few microseconds a connection.
 *
 *   lean-edges RESPONSE_FILE BEHAVIOURS_FILE   (a line per edge: "ADDRESS ok DELAY_MS" or "ADDRESS hang")
 *
 * It listens on one port (the kernel's choice, printed as "port N") on every address given, reads each
 * request to its blank line, and after the edge's delay writes the prepared response whole and closes
 * its side. Then it takes commands on stdin: "served" prints "ADDRESS MS AT" for every edge answered
 * since the last such command (MS from accepting the connection to the response's last byte handed to
 * the kernel; AT when that was, in ms of CLOCK_MONOTONIC, node's process.hrtime), then "end"; end of
 * input closes everything and exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct edge { char address[64]; int listener; int hang; double delay_ms; double served_ms, ended_ms; int has_served; };
struct conn { int fd; int edge; int state; double accepted; double due; char tail[4]; int tail_len; };
enum { READING, WAITING, HANGING, CLOSING };

static struct edge *edges;
static int edge_count;
static char *response;
static size_t response_len;
static int ep, tfd;
/* Answers due, as a binary heap of connections ordered by due time. */
static struct conn **heap;
static int heap_len, heap_cap;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void die(const char *what) { perror(what); exit(1); }

static void heap_push(struct conn *c) {
  if (heap_len == heap_cap) {
    heap_cap = heap_cap ? heap_cap * 2 : 1024;
    heap = realloc(heap, heap_cap * sizeof *heap);
    if (!heap) die("realloc");
  }
  int i = heap_len++;
  while (i > 0 && heap[(i - 1) / 2]->due > c->due) { heap[i] = heap[(i - 1) / 2]; i = (i - 1) / 2; }
  heap[i] = c;
}

static struct conn *heap_pop(void) {
  struct conn *top = heap[0], *last = heap[--heap_len];
  int i = 0;
  for (;;) {
    int k = 2 * i + 1;
    if (k >= heap_len) break;
    if (k + 1 < heap_len && heap[k + 1]->due < heap[k]->due) k++;
    if (heap[k]->due >= last->due) break;
    heap[i] = heap[k];
    i = k;
  }
  if (heap_len) heap[i] = last;
  return top;
}

/* The timer fires at the earliest due answer (absolute, monotonic), or never. */
static void arm(void) {
  struct itimerspec it = {0};
  if (heap_len) {
    double due = heap[0]->due;
    it.it_value.tv_sec = (time_t)(due / 1e3);
    it.it_value.tv_nsec = (long)((due - it.it_value.tv_sec * 1e3) * 1e6);
    if (it.it_value.tv_sec == 0 && it.it_value.tv_nsec == 0) it.it_value.tv_nsec = 1;
  }
  if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &it, NULL) < 0) die("timerfd_settime");
}

static void drop(struct conn *c) {
  close(c->fd);
  free(c);
}

static void answer(struct conn *c) {
  if (c->state == CLOSING) { drop(c); return; }
  size_t off = 0;
  while (off < response_len) {
    ssize_t n = send(c->fd, response + off, response_len - off, MSG_NOSIGNAL);
    if (n > 0) { off += n; continue; }
    if (n < 0 && errno == EINTR) continue;
    /* The prober is gone, or (never on loopback with a few KiB) the buffer is full: give up on it, and
       close once its end is read (an event for it may still be pending). */
    c->state = CLOSING;
    return;
  }
  struct edge *e = &edges[c->edge];
  e->ended_ms = now_ms();
  e->served_ms = e->ended_ms - c->accepted;
  e->has_served = 1;
  shutdown(c->fd, SHUT_WR);
  c->state = CLOSING;
}

/* Reads what the prober sent; the request ends at its first blank line. */
static void readable(struct conn *c) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      if (c->state == WAITING) { /* still in the heap: dropped when due */
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        c->state = CLOSING;
        return;
      }
      drop(c);
      return;
    }
    if (n < 0) return;
    if (c->state != READING) continue;
    for (ssize_t i = 0; i < n; i++) {
      c->tail[0] = c->tail[1]; c->tail[1] = c->tail[2]; c->tail[2] = c->tail[3]; c->tail[3] = buf[i];
      if (++c->tail_len >= 4 && memcmp(c->tail, "\r\n\r\n", 4) == 0) {
        struct edge *e = &edges[c->edge];
        if (e->hang) { c->state = HANGING; break; }
        c->state = WAITING;
        c->due = now_ms() + e->delay_ms;
        heap_push(c);
        arm();
        break;
      }
    }
  }
}

static void accept_all(int listener, int edge) {
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    struct conn *c = calloc(1, sizeof *c);
    if (!c) die("calloc");
    c->fd = fd; c->edge = edge; c->state = READING; c->accepted = now_ms();
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl conn");
    readable(c);
  }
}

/* Listener tags are small integers below this (edge index + 1); connections are pointers. */
#define TAG_STDIN ((void *)1)
#define TAG_TIMER ((void *)2)
#define LISTENER_BASE 16

static void command(void) {
  static char line[256];
  static size_t len;
  char buf[256];
  ssize_t n = read(0, buf, sizeof buf);
  if (n <= 0) exit(0);
  for (ssize_t i = 0; i < n; i++) {
    if (buf[i] != '\n') { if (len < sizeof line - 1) line[len++] = buf[i]; continue; }
    line[len] = 0;
    len = 0;
    if (strcmp(line, "served") != 0) continue;
    for (int k = 0; k < edge_count; k++)
      if (edges[k].has_served) { printf("%s %.3f %.3f\n", edges[k].address, edges[k].served_ms, edges[k].ended_ms); edges[k].has_served = 0; }
    printf("end\n");
    fflush(stdout);
  }
}

static void read_response(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) die(path);
  fseek(f, 0, SEEK_END);
  response_len = ftell(f);
  rewind(f);
  response = malloc(response_len);
  if (!response || fread(response, 1, response_len, f) != response_len) die("read response");
  fclose(f);
}

static void read_behaviours(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) die(path);
  char line[256], address[64], kind[16];
  double delay;
  int cap = 0, port = 0;
  while (fgets(line, sizeof line, f)) {
    int got = sscanf(line, "%63s %15s %lf", address, kind, &delay);
    if (got < 2) continue;
    if (edge_count == cap) { cap = cap ? cap * 2 : 1024; edges = realloc(edges, cap * sizeof *edges); if (!edges) die("realloc"); }
    struct edge *e = &edges[edge_count];
    memset(e, 0, sizeof *e);
    snprintf(e->address, sizeof e->address, "%s", address);
    e->hang = strcmp(kind, "hang") == 0;
    e->delay_ms = got == 3 ? delay : 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    if (inet_pton(AF_INET, address, &sa.sin_addr) != 1) { fprintf(stderr, "not an IPv4 address: %s\n", address); exit(2); }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0) die(address);
    if (!port) {
      socklen_t l = sizeof sa;
      getsockname(fd, (struct sockaddr *)&sa, &l);
      port = ntohs(sa.sin_port);
    }
    e->listener = fd;
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LISTENER_BASE + edge_count };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl listener");
    edge_count++;
  }
  fclose(f);
  printf("port %d\n", port);
  fflush(stdout);
}

/* Answers whose time has come, in the order they are due. */
static void due(void) {
  uint64_t expirations;
  if (read(tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) die("timerfd read");
  double t = now_ms();
  while (heap_len && heap[0]->due <= t) answer(heap_pop());
  arm();
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: lean-edges RESPONSE_FILE BEHAVIOURS_FILE\n"); return 2; }
  read_response(argv[1]);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
  ep = epoll_create1(EPOLL_CLOEXEC);
  tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (ep < 0 || tfd < 0) die("epoll/timerfd");
  struct epoll_event tev = { .events = EPOLLIN, .data.ptr = TAG_TIMER }, sev = { .events = EPOLLIN, .data.ptr = TAG_STDIN };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev) < 0) die("epoll_ctl");
  read_behaviours(argv[2]);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      void *p = evs[i].data.ptr;
      uint64_t tag = evs[i].data.u64;
      if (p == TAG_STDIN) command();
      else if (p == TAG_TIMER) due();
      else if (tag < (uint64_t)LISTENER_BASE + edge_count) accept_all(edges[tag - LISTENER_BASE].listener, (int)(tag - LISTENER_BASE));
      else readable(p);
    }
  }
}
