/*
 * t-cxx.cc - C++ new/delete, and a static destructor that frees.
 *
 * cxx_leak_obj leaks 6 objects of 40 bytes with `new`; cxx_leak_array
 * leaks 2 arrays of 10 ints with `new[]`; cxx_churn news and deletes 50;
 * cxx_held news 3 objects that a static object's destructor deletes after
 * main returns, so they must not be in the exit report.  The callers have C
 * linkage so their names are the same in every symbol table.
 */
#include "tprog.h"

#include <new>

struct Obj {
	long	v[5];
};

static_assert(sizeof(Obj) == 40, "Obj is 40 bytes");

struct Holder {
	Obj	*held[3];
	~Holder()
	{
		for (int i = 0; i < 3; i++)
			delete held[i];
	}
};

static Holder holder;

extern "C" {

NOINLINE Obj *
cxx_leak_obj(long i)
{
	Obj *o = new Obj();

	o->v[0] = i;
	return o;
}

NOINLINE int *
cxx_leak_array(int i)
{
	int *a = new int[10];

	a[0] = i;
	return a;
}

NOINLINE void
cxx_churn(int i)
{
	Obj *o = new Obj();

	o->v[1] = i;
	delete o;
}

NOINLINE Obj *
cxx_held(int i)
{
	Obj *o = new Obj();

	o->v[2] = i;
	return o;
}

}

int
main()
{
	for (int i = 0; i < 6; i++)
		tp_keep(i, cxx_leak_obj(i));
	for (int i = 0; i < 2; i++)
		tp_keep(10 + i, cxx_leak_array(i));
	for (int i = 0; i < 50; i++)
		cxx_churn(i);
	for (int i = 0; i < 3; i++)
		holder.held[i] = cxx_held(i);
	tp_truth("cxx_leak_obj", 40, 6, 0);
	tp_truth("cxx_leak_array", 40, 2, 0);
	tp_truth("cxx_churn", 40, 50, 50);
	tp_truth("cxx_held", 40, 3, 3);
	return 0;
}
