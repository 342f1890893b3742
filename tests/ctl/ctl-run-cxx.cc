// ctl-run-cxx.cc - jhookctl run's C++ program: leaks through operator new
// from a namespaced member function, and exits with status 5.
#include <cstdlib>

namespace jt {

struct Widget {
	char payload[5005];
};

template <typename T>
struct Factory {
	__attribute__((noipa)) static T *make() {
		return new T();	// RUN_CXX_LEAK
	}
};

}  // namespace jt

// Global, so the compiler cannot drop the blocks it keeps.
jt::Widget *ctl_kept[4];

int
main()
{
	volatile int four = 4;	// one call site, never unrolled

	for (int i = 0; i < four; i++)
		ctl_kept[i] = jt::Factory<jt::Widget>::make();
	std::exit(5);
}
