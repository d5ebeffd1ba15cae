// A downstream program: includes the umbrella header and uses the bus.
#include <evbus/evbus.hpp>

struct ping {
    int value;
};

int main() {
    evbus::bus bus;
    int sum = 0;
    auto sub = bus.subscribe<ping>([&sum](const ping &p) { sum += p.value; });
    const auto called = bus.publish(ping{41});
    bus.publish(ping{1});
    return (called == 1 && sum == 42) ? 0 : 1;
}
