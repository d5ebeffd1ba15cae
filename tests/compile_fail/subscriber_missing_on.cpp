// Must not compile: strategy names `fill` but declares no `on(const fill&)`.
#include <evbus/evbus.hpp>

struct tick {};
struct fill {};

struct strategy: evbus::subscriber<strategy, tick, fill> {
    explicit strategy(evbus::bus &b): subscriber(b) {}
    void on(const tick &) {}
};

int main() {
    evbus::bus bus;
    strategy s{bus};
}
