// Must not compile: evbus::publisher<tick> publishes to an evbus::bus, not to an evbus::st_bus.
#include <evbus/evbus.hpp>

struct tick {};

int main() {
    evbus::st_bus bus;
    evbus::publisher<tick> pub{bus};
    pub.publish(tick{});
}
