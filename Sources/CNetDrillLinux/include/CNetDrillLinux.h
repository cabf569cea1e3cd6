// Small C helpers for what Swift cannot call directly: variadic ioctl(2) and
// the CMSG_* macros of cmsg(3). Each is a thin pass-through, no policy.
#ifndef CNETDRILLLINUX_H
#define CNETDRILLLINUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <linux/errqueue.h>

/// Sets IFF_UP on the interface `name` in the caller's network namespace,
/// using `fd` (any AF_INET socket) for SIOCGIFFLAGS/SIOCSIFFLAGS.
/// Returns 0, or -1 with errno set.
int nd_set_interface_up(int fd, const char *name);

/// Interface index of `name`, 0 if unknown (if_nametoindex without the libc lookup quirks).
unsigned int nd_interface_index(const char *name);

struct cmsghdr *nd_cmsg_firsthdr(struct msghdr *msg);
struct cmsghdr *nd_cmsg_nxthdr(struct msghdr *msg, struct cmsghdr *cmsg);
unsigned char *nd_cmsg_data(struct cmsghdr *cmsg);
size_t nd_cmsg_space(size_t length);
size_t nd_cmsg_len(size_t length);

/// `struct mmsghdr` with the same layout; glibc only declares it under
/// _GNU_SOURCE, which Swift's Glibc module does not set.
struct nd_mmsghdr {
  struct msghdr msg_hdr;
  unsigned int msg_len;
};

int nd_sendmmsg(int fd, struct nd_mmsghdr *messages, unsigned int count, int flags);
int nd_recvmmsg(int fd, struct nd_mmsghdr *messages, unsigned int count, int flags);
int nd_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// unshare(2) and setns(2) for network/user namespaces (GNU extensions).
int nd_unshare_network(void);
int nd_unshare_user(void);
int nd_setns_network(int fd);

/// A non-blocking AF_PACKET socket receiving every frame on `interface`
/// (ETH_P_ALL), in the caller's network namespace. Returns the descriptor, or
/// -1 with errno set. Used to watch an interface without libpcap.
int nd_open_packet_socket(const char *interface);

/// SO_EE_OFFENDER: the address that follows a sock_extended_err in its cmsg.
struct sockaddr *nd_ee_offender(struct sock_extended_err *ee);

#endif
