// Must not compile: the publisher does not name `fill`.
#include <evbus/evbus.hpp>

struct tick {};
struct fill {};

int main() {
    evbus::bus bus;
    evbus::publisher<tick> pub{bus};
    pub.publish(fill{});
}
