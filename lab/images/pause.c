/*
 * pause: the sandbox process of the dualstack lab's pods.
 *
 * It holds the pod's namespaces open and does nothing else: it sleeps in
 * pause(2), exits on SIGINT or SIGTERM, and, when it is PID 1 of a pod
 * sharing its PID namespace, reaps the zombies re-parented to it on SIGCHLD.
 *
 * Given a command (``pause CMD ARGS...``), it is a minimal init instead: it
 * runs CMD as its child, passes SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2
 * on to it, reaps every zombie and exits with CMD's status (128+signal when
 * CMD was killed).  The testbox image uses that, because a program running as
 * PID 1 of a container without its own handlers ignores SIGTERM.
 *
 * Build: gcc -static -Os -s -o pause pause.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t child;

static void on_stop(int signo)
{
	if (child > 0)
		kill(child, signo);
	else
		_exit(0);
}

static void on_child(int signo)
{
	int saved = errno;
	int status;
	pid_t pid;

	(void)signo;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (child > 0 && pid == child) {
			if (WIFSIGNALED(status))
				_exit(128 + WTERMSIG(status));
			_exit(WEXITSTATUS(status));
		}
	}
	errno = saved;
}

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static int install(int signo, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = signo == SIGCHLD ? SA_NOCLDSTOP | SA_RESTART : 0;
	return sigaction(signo, &sa, NULL);
}

static int run_child(char **argv)
{
	sigset_t all, old;
	size_t i;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	child = fork();
	if (child < 0) {
		perror("pause: fork");
		return 1;
	}
	if (child == 0) {
		for (i = 0; i < NFORWARDED; i++)
			signal(forwarded[i], SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "pause: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (i = 0; i < NFORWARDED; i++)
		if (install(forwarded[i], on_stop))
			return 1;
	if (install(SIGCHLD, on_child))
		return 1;
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("pause (dualstack lab) 1.1\n");
		return 0;
	}
	if (argc > 1)
		return run_child(argv + 1);
	if (getpid() != 1)
		fprintf(stderr, "pause: warning: not running as PID 1\n");
	if (install(SIGINT, on_stop) || install(SIGTERM, on_stop) || install(SIGCHLD, on_child)) {
		perror("pause: sigaction");
		return 1;
	}
	for (;;)
		pause();
	/* not reached */
	return 42;
}
