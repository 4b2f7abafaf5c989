/* Calls what a stage must not, chosen at compile time (-DCALL_...), through
 * the raw syscall() or through libc's wrapper: every one must end as
 * "denied system call NAME (number N)". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "codecbench/stage.h"

int cb_stage_intra(const CbStageIntra *a)
{
    static char *const argv[] = {"/bin/sh", "-c", "true", 0};
    (void)argv;
    (void)a;
#if defined(CALL_SOCKET_RAW)
    syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
#elif defined(CALL_SOCKET_LIBC)
    socket(AF_INET, SOCK_STREAM, 0);
#elif defined(CALL_OPEN_RAW)
    syscall(SYS_open, "/etc/passwd", O_RDONLY);
#elif defined(CALL_OPEN_LIBC)
    open("/etc/passwd", O_RDONLY);
#elif defined(CALL_EXECVE_RAW)
    syscall(SYS_execve, "/bin/sh", argv, 0);
#elif defined(CALL_EXECVE_LIBC)
    execv("/bin/sh", argv);
#elif defined(CALL_PTRACE_RAW)
    syscall(SYS_ptrace, PTRACE_ATTACH, 1, 0, 0);
#elif defined(CALL_PTRACE_LIBC)
    ptrace(PTRACE_TRACEME, 0, 0, 0);
#elif defined(CALL_FORK_LIBC)
    fork();
#elif defined(CALL_CLONE_RAW)
    syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#elif defined(CALL_KILL_INIT)
    kill(1, SIGKILL);
#elif defined(CALL_MMAP_EXEC)
    mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#elif defined(CALL_MMAP_SHARED)
    mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
#elif defined(CALL_MPROTECT_EXEC)
    mprotect((void *)((unsigned long)a->dst & ~4095ul), 4096, PROT_READ | PROT_EXEC);
#else
#error "define one CALL_..."
#endif
    return 0;
}
