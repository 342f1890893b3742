/*
 * t-badfp - allocates from a function that leaves a garbage frame pointer
 * (0xfffffffffffffff0) in %rbp, as optimised code without frame pointers
 * may: a frame-pointer walk must stop there, never read through it.
 *
 * usage: t-badfp N    allocates N blocks of 40 bytes that way, frees none
 */
#include "tprog.h"

#if defined(__x86_64__)
/* rdi holds the size on entry and goes straight to malloc. */
__asm__(
	".text\n"
	".globl alloc_bad_fp\n"
	".type alloc_bad_fp, @function\n"
	"alloc_bad_fp:\n"
	"	push %rbp\n"
	"	movabs $0xfffffffffffffff0, %rbp\n"
	"	call malloc@PLT\n"
	"	pop %rbp\n"
	"	ret\n"
	".size alloc_bad_fp, .-alloc_bad_fp\n");
void *alloc_bad_fp(size_t n);

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 3, i;

	for (i = 0; i < n; i++)
		tp_keep((unsigned)i, alloc_bad_fp(40));
	tp_truth("alloc_bad_fp", 40, n, 0);
	return 0;
}
#else
int
main(void)
{
	return 77;	/* the garbage frame is built in x86-64 assembly */
}
#endif
