// Small C helpers for starting programs under test: GNU extensions that
// Swift's Glibc module hides (it does not define _GNU_SOURCE), the wait(2)
// status macros, and the contained spawn below, which must run code between
// clone(2) and execve(2) — something Swift cannot do safely.
#ifndef CNETDRILLPROCESS_H
#define CNETDRILLPROCESS_H

#include <spawn.h>
#include <sys/types.h>

/// posix_spawn_file_actions_addchdir_np (glibc 2.29): chdir in the child only
/// (chdir(2) in netdrill would move every thread).
int nd_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34): close every
/// descriptor >= `low` in the child, whatever its FD_CLOEXEC flag.
int nd_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int low);

/// WIFEXITED / WEXITSTATUS / WIFSIGNALED / WTERMSIG of wait(2).
int nd_wait_exited(int status);
int nd_wait_exit_status(int status);
int nd_wait_signaled(int status);
int nd_wait_term_signal(int status);

/// What `nd_spawn_contained` starts. Every string and array is prepared by
/// the caller: the code after clone(2) may not allocate.
typedef struct {
  /// The executable (absolute path: execve(2) does no PATH search).
  const char *path;
  /// NULL-terminated argv and envp.
  char *const *argv;
  char *const *envp;
  /// chdir(2) here before execve; NULL keeps the caller's directory.
  const char *directory;
  /// Become the program's stdout and stderr (stdin is /dev/null).
  int stdout_fd;
  int stderr_fd;
  /// The write end of the report pipe (close-on-exec, above 2): the
  /// namespace's init writes `nd_report` records to it.
  int report_fd;
  /// The read end of the report pipe, which only netdrill may hold: the init
  /// closes its inherited copy first, so "no reader left" means netdrill is gone.
  int report_read_fd;
} nd_contained_spawn;

/// One record on the report pipe; written whole (8 bytes < PIPE_BUF).
typedef struct {
  /// 'S': the program is running (its execve succeeded).
  /// 'E': it could not start; `value` is the errno (of chdir, open or execve).
  /// 'X': it ended; `value` is its wait(2) status.
  int kind;
  int value;
} nd_report;

/// Starts a program contained in a PID namespace of its own.
///
/// clone(2) with CLONE_NEWPID makes a small init (PID 1 of the new namespace)
/// that forks the program (PID 2) and waits for it. When the namespace's init
/// ends, the kernel SIGKILLs every process left in the namespace
/// (pid_namespaces(7)), so nothing the program started outlives it. The init
/// carries PR_SET_PDEATHSIG = SIGKILL, so it dies with the calling thread —
/// even when netdrill is SIGKILLed — and takes the whole tree with it.
///
/// The init forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to
/// every other process of the namespace (kill(-1)): the program itself must
/// not be PID 1, because PID 1 ignores every signal it has no handler for,
/// SIGTERM included, which would change how programs stop. SIGKILL to the
/// init ends everything at once.
///
/// Returns the init's pid (in the caller's namespace), or -1 with errno set.
/// The init's first report is 'S' or 'E'; 'X' follows when the program ends,
/// just before the init exits.
pid_t nd_spawn_contained(const nd_contained_spawn *request);

#endif
