/*
** worker.h: the worker process, everything but main().
*/
#ifndef PLUGSUP_WORKER_H
#define PLUGSUP_WORKER_H

/* Run the worker on its request and reply fds; returns the exit status. */
int worker_main(int request_fd, int reply_fd);

#endif
