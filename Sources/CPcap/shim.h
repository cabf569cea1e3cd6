#ifndef NETDRILL_CPCAP_SHIM_H
#define NETDRILL_CPCAP_SHIM_H

#include <pcap/pcap.h>
#include <sys/syscall.h>
#include <unistd.h>

/// setns(2) for a network namespace. Swift's Glibc module is built without
/// _GNU_SOURCE, so neither setns() nor CLONE_NEWNET is visible from Swift;
/// the raw system call is. CLONE_NEWNET is 0x40000000 (include/uapi/linux/sched.h).
static inline int cpcap_setns_net(int fd) {
  return (int)syscall(SYS_setns, fd, 0x40000000);
}

#endif
