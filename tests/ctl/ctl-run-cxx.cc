// ctl-run-cxx.cc - jhookctl run's C++ program: leaks through operator new
// from a namespaced member function, and exits with status 5.
#include <cstdlib>

namespace jt {

struct Widget {
	char payload[5005];
};

template <typename T>
struct Factory {
	__attribute__((noinline)) static T *make() {
		return new T();	// RUN_CXX_LEAK
	}
};

}  // namespace jt

static jt::Widget *kept[4];

int
main()
{
	for (int i = 0; i < 4; i++)
		kept[i] = jt::Factory<jt::Widget>::make();
	std::exit(5);
}
