// Must not compile: the handler cannot take `const tick&`.
#include <evbus/evbus.hpp>

struct tick {};

int main() {
    evbus::bus bus;
    auto s = bus.subscribe<tick>([](int) {});
}
