/*
 * fd.h - the agent's file descriptors, kept out of the host's way.
 */
#ifndef JHOOK_FD_H
#define JHOOK_FD_H

/*
 * Moves a descriptor the agent (or an unwinder it calls) holds for long
 * far above the small numbers hosts name explicitly: shells dup2 onto
 * 3..9 and close them by number, daemons open their files at the lowest
 * free ones.  Keeps FD_CLOEXEC as it was; returns the new number, or fd
 * unchanged when no higher one can be had.
 */
int	fd_move_high(int fd);

#endif /* JHOOK_FD_H */
