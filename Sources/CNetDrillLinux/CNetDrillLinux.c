#define _GNU_SOURCE
#include "CNetDrillLinux.h"

#include <net/if.h>
#include <sched.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <unistd.h>
#include <string.h>
#include <sys/ioctl.h>

int nd_set_interface_up(int fd, const char *name) {
  struct ifreq request;
  memset(&request, 0, sizeof request);
  strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &request) < 0) return -1;
  request.ifr_flags |= IFF_UP;
  return ioctl(fd, SIOCSIFFLAGS, &request);
}

unsigned int nd_interface_index(const char *name) { return if_nametoindex(name); }

struct cmsghdr *nd_cmsg_firsthdr(struct msghdr *msg) { return CMSG_FIRSTHDR(msg); }
struct cmsghdr *nd_cmsg_nxthdr(struct msghdr *msg, struct cmsghdr *cmsg) { return CMSG_NXTHDR(msg, cmsg); }
unsigned char *nd_cmsg_data(struct cmsghdr *cmsg) { return CMSG_DATA(cmsg); }
size_t nd_cmsg_space(size_t length) { return CMSG_SPACE(length); }
size_t nd_cmsg_len(size_t length) { return CMSG_LEN(length); }
struct sockaddr *nd_ee_offender(struct sock_extended_err *ee) { return SO_EE_OFFENDER(ee); }

_Static_assert(sizeof(struct nd_mmsghdr) == sizeof(struct mmsghdr), "nd_mmsghdr must match mmsghdr");

int nd_sendmmsg(int fd, struct nd_mmsghdr *messages, unsigned int count, int flags) {
  return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

int nd_recvmmsg(int fd, struct nd_mmsghdr *messages, unsigned int count, int flags) {
  // No timeout argument: recvmmsg(2) only checks it after a datagram arrives.
  return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int nd_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
  return accept4(fd, address, length, flags);
}

int nd_unshare_network(void) { return unshare(CLONE_NEWNET); }
int nd_unshare_user(void) { return unshare(CLONE_NEWUSER); }
int nd_setns_network(int fd) { return setns(fd, CLONE_NEWNET); }

int nd_open_packet_socket(const char *interface) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) return -1;
  struct sockaddr_ll address;
  memset(&address, 0, sizeof address);
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = (int)if_nametoindex(interface);
  if (address.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}
