#define _GNU_SOURCE
#include "CNetDrillProcess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int nd_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
  return posix_spawn_file_actions_addchdir_np(actions, path);
}

int nd_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int low) {
  return posix_spawn_file_actions_addclosefrom_np(actions, low);
}

int nd_wait_exited(int status) { return WIFEXITED(status); }
int nd_wait_exit_status(int status) { return WEXITSTATUS(status); }
int nd_wait_signaled(int status) { return WIFSIGNALED(status); }
int nd_wait_term_signal(int status) { return WTERMSIG(status); }

// ---- Contained spawn ------------------------------------------------------
//
// Everything below runs in processes cloned from a many-threaded process:
// only async-signal-safe calls (signal-safety(7)) and raw system calls. No
// malloc, no stdio, and no glibc fork() — it takes locks (malloc's, stdio's)
// that another thread of netdrill may have held at the moment of the clone.
// Children are made with the raw clone system call without CLONE_VM, which is
// fork(2) without glibc's bookkeeping: the child runs on a copy of the stack.
// Swift, and so netdrill's door to the kernel (NetDrillSystem), cannot run
// here: the few EINTR retries below are the cloned processes' own.

static pid_t raw_clone(unsigned long flags) {
  // flags, then stack (0: the child runs on its copy of ours) and three pointers left 0 (their order differs by architecture).
  return (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
}

static void write_record(int fd, int kind, int value) {
  nd_report record = {kind, value};
  while (write(fd, &record, sizeof record) < 0 && errno == EINTR) {
  }
}

/// Closes every descriptor from 3 up except `keep` (up to three, each > 2).
static void close_all_except(int a, int b, int c) {
  int keep[3] = {a, b, c};
  // Sort the three (tiny insertion sort; -1 entries sort first and are skipped).
  for (int i = 1; i < 3; i++)
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  unsigned int low = 3;
  for (int i = 0; i < 3; i++) {
    if (keep[i] < (int)low) continue;
    if ((unsigned int)keep[i] > low) syscall(SYS_close_range, low, (unsigned int)keep[i] - 1, 0);
    low = (unsigned int)keep[i] + 1;
  }
  syscall(SYS_close_range, low, ~0U, 0);
}

/// PID 2: the program. Reports a failure to start as an errno on `exec_fd`
/// (close-on-exec: a successful execve closes it, which the init reads as success).
static void program_main(const nd_contained_spawn *request, int exec_fd) {
  // The program gets default dispositions and an empty mask: the init
  // installed handlers, and netdrill ignores SIGPIPE, SIGINT and SIGTERM.
  struct sigaction default_action = {0};
  default_action.sa_handler = SIG_DFL;
  for (int number = 1; number < NSIG; number++) sigaction(number, &default_action, NULL);
  setpgid(0, 0);  // its own process group, as shells and job-control programs expect
  int error = 0;
  if (dup2(request->stdout_fd, 1) < 0 || dup2(request->stderr_fd, 2) < 0) error = errno;
  if (!error) close_all_except(exec_fd, -1, -1);
  if (!error && request->directory && chdir(request->directory) != 0) error = errno;
  if (!error) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(request->path, request->argv, request->envp);
    error = errno;
  }
  while (write(exec_fd, &error, sizeof error) < 0 && errno == EINTR) {
  }
  _exit(127);
}

/// Hands a signal sent to the init on to every other process of the namespace.
static void forward_signal(int number) {
  int saved = errno;
  kill(-1, number);  // in a PID namespace's init: every process of the namespace but itself
  errno = saved;
}

/// Only interrupts ppoll: the init's loop reaps the children itself.
static void wake_up(int number) { (void)number; }

static const int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/// PID 1 of the program's namespace. Never returns.
static void init_main(const nd_contained_spawn *request) {
  int report = request->report_fd;
  // Die with the thread that cloned us (prctl(2): the death signal follows the
  // parent *thread*). If it ended before this line, no signal will come; the
  // report pipe tells: with no reader left, poll() on its write end gives POLLERR.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NAME, "netdrill-init");  // as ps shows it (its argv is still netdrill's)
  // clone(2) copied netdrill's descriptors, the report pipe's read end among
  // them: drop that copy, or the pipe would always have a reader (ours).
  close(request->report_read_fd);
  struct pollfd lifeline = {report, 0, 0};
  if (poll(&lifeline, 1, 0) == 1 && (lifeline.revents & POLLERR)) _exit(127);

  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &all, NULL);  // signals wait until the handlers are in place

  // Hold nothing of netdrill's: its sockets, namespaces and the pipes of other
  // programs (whose readers would never see end of file). stdin, stdout and
  // stderr become /dev/null; the program gets its own below.
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) {
    write_record(report, 'E', errno);
    _exit(127);
  }
  for (int fd = 0; fd < 3; fd++)
    if (null != fd) dup2(null, fd);
  close_all_except(report, request->stdout_fd, request->stderr_fd);

  setpgid(0, 0);  // out of netdrill's process group: a Ctrl-C at the terminal is netdrill's to handle
  struct sigaction ignore = {0};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, NULL);  // a dead netdrill makes write() fail with EPIPE, nothing more
  struct sigaction forward = {0};
  forward.sa_handler = forward_signal;
  sigfillset(&forward.sa_mask);
  for (unsigned i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
    sigaction(forwarded_signals[i], &forward, NULL);

  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
    write_record(report, 'E', errno);
    _exit(127);
  }
  pid_t program = raw_clone(SIGCHLD);
  if (program < 0) {
    write_record(report, 'E', errno);
    _exit(127);
  }
  if (program == 0) program_main(request, exec_pipe[1]);
  close(exec_pipe[1]);
  // Only the program writes its output: netdrill's reader sees end of file
  // once the program's tree has closed the pipes, not when the init ends.
  close(request->stdout_fd);
  close(request->stderr_fd);
  int error = 0;
  ssize_t count;
  do {
    count = read(exec_pipe[0], &error, sizeof error);
  } while (count < 0 && errno == EINTR);
  close(exec_pipe[0]);
  if (count == sizeof error) {
    write_record(report, 'E', error);
    _exit(127);  // the program's process goes with the namespace
  }
  write_record(report, 'S', 0);

  // Wait for the program to end, and for netdrill to go: the death signal
  // covers netdrill ending after the prctl above, the report pipe losing its
  // last reader (POLLERR) every other case, whatever the timing. SIGCHLD stays
  // blocked except inside ppoll, so a program that ends between the reaping
  // and the wait still wakes it.
  struct sigaction on_child = {0};
  on_child.sa_handler = wake_up;
  sigaction(SIGCHLD, &on_child, NULL);
  sigset_t waiting = none;
  sigset_t child_only;
  sigemptyset(&child_only);
  sigaddset(&child_only, SIGCHLD);
  sigprocmask(SIG_SETMASK, &child_only, NULL);
  for (;;) {
    int status;
    pid_t ended;
    while ((ended = waitpid(-1, &status, WNOHANG)) > 0) {  // reaps orphans of the namespace too
      if (ended == program) {
        write_record(report, 'X', status);
        _exit(0);  // the kernel now SIGKILLs whatever is left in the namespace
      }
    }
    if (ended < 0 && errno != EINTR) _exit(127);
    struct pollfd watch = {report, 0, 0};
    if (ppoll(&watch, 1, NULL, &waiting) == 1 && (watch.revents & (POLLERR | POLLHUP))) {
      _exit(0);  // netdrill is gone: so is everything in this namespace
    }
  }
}

pid_t nd_spawn_contained(const nd_contained_spawn *request) {
  pid_t init = raw_clone(CLONE_NEWPID | SIGCHLD);
  if (init == 0) init_main(request);
  return init;  // the init's pid, or -1 with errno
}
