// Small C helpers for starting programs under test: GNU extensions of
// posix_spawn(3) and pipe2(2) that Swift's Glibc module hides (it does not
// define _GNU_SOURCE), and the wait(2) status macros. Thin pass-throughs, no policy.
#ifndef CNETDRILLPROCESS_H
#define CNETDRILLPROCESS_H

#include <spawn.h>

/// posix_spawn_file_actions_addchdir_np (glibc 2.29): chdir in the child only
/// (chdir(2) in netdrill would move every thread).
int nd_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34): close every
/// descriptor >= `low` in the child, whatever its FD_CLOEXEC flag.
int nd_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int low);

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec from birth, so no program
/// started concurrently by another thread can inherit them.
int nd_pipe_cloexec(int fds[2]);

/// WIFEXITED / WEXITSTATUS / WIFSIGNALED / WTERMSIG of wait(2).
int nd_wait_exited(int status);
int nd_wait_exit_status(int status);
int nd_wait_signaled(int status);
int nd_wait_term_signal(int status);

#endif
