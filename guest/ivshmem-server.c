/* A one-client ivshmem server for QEMU's ivshmem-doorbell device (protocol: QEMU
 * docs/specs/ivshmem-spec.rst, "Server-client protocol"): every message is a little-endian
 * int64, some carry one file descriptor as SCM_RIGHTS. The client gets the protocol
 * version (0), its own peer ID, its own eventfds (its ID once per vector, each with one
 * eventfd) and last the shared memory (-1 with a memfd). QEMU's ivshmem_recv_setup reads
 * until the shared memory message, so sending the client's eventfds first has them all set
 * up before realize returns (the device accepts the messages in any order). There are no
 * other peers: the guest rings its own doorbell.
 *
 * Usage: ivshmem-server SOCKET VECTORS SECONDS. The parent returns once the socket
 * listens; the child serves one client, stays until it disconnects (it owns nothing the
 * client needs then) or SECONDS pass, removes the socket and exits. Built by build.sh. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
#include <unistd.h>

#define PEER_ID 0
#define SHM_BYTES 4096 /* BAR2; the guest never touches it */
#define MAX_VECTORS 64

static const char *socket_path;

static void die(const char *what) {
  fprintf(stderr, "ivshmem-server: %s: %m\n", what);
  exit(1);
}

static void send_msg(int client, int64_t value, int fd) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; i++) bytes[i] = (unsigned char)((uint64_t)value >> (8 * i));
  struct iovec iov = {.iov_base = bytes, .iov_len = sizeof bytes};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  if (sendmsg(client, &msg, MSG_NOSIGNAL) != (ssize_t)sizeof bytes) die("sendmsg");
}

static void on_alarm(int sig) {
  (void)sig;
  unlink(socket_path);
  _exit(2);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: ivshmem-server SOCKET VECTORS SECONDS\n");
    return 2;
  }
  socket_path = argv[1];
  int vectors = atoi(argv[2]), seconds = atoi(argv[3]);
  if (vectors < 1 || vectors > MAX_VECTORS || seconds < 1) {
    fprintf(stderr, "ivshmem-server: VECTORS must be 1..%d and SECONDS positive\n", MAX_VECTORS);
    return 2;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(socket_path) >= sizeof addr.sun_path) {
    fprintf(stderr, "ivshmem-server: socket path too long: %s\n", socket_path);
    return 2;
  }
  strcpy(addr.sun_path, socket_path);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  if (listener < 0) die("socket");
  unlink(socket_path);
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(listener, 1) < 0) die("listen");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child > 0) return 0; /* listening: the client may connect now */
  /* Let go of the caller's stdio, so a caller waiting for it to close sees the parent's exit. */
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
  }

  signal(SIGALRM, on_alarm);
  alarm((unsigned)seconds);
  int shm = memfd_create("ivshmem", MFD_CLOEXEC);
  if (shm < 0 || ftruncate(shm, SHM_BYTES) < 0) die("memfd");
  int client = accept(listener, NULL, NULL);
  if (client < 0) die("accept");
  close(listener);
  unlink(socket_path);
  send_msg(client, 0, -1);       /* IVSHMEM_PROTOCOL_VERSION */
  send_msg(client, PEER_ID, -1); /* the client's own ID */
  for (int v = 0; v < vectors; v++) {
    int efd = eventfd(0, EFD_CLOEXEC);
    if (efd < 0) die("eventfd");
    send_msg(client, PEER_ID, efd); /* the N-th fd for a peer is its vector N-1 */
    close(efd);
  }
  send_msg(client, -1, shm);
  close(shm);
  char byte;
  while (read(client, &byte, 1) > 0) {
  }
  return 0;
}
