#define _GNU_SOURCE
#include "CNetDrillProcess.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

int nd_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
  return posix_spawn_file_actions_addchdir_np(actions, path);
}

int nd_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int low) {
  return posix_spawn_file_actions_addclosefrom_np(actions, low);
}

int nd_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int nd_wait_exited(int status) { return WIFEXITED(status); }
int nd_wait_exit_status(int status) { return WEXITSTATUS(status); }
int nd_wait_signaled(int status) { return WIFSIGNALED(status); }
int nd_wait_term_signal(int status) { return WTERMSIG(status); }
