// evbus in one screen: typed events, RAII subscriptions, priorities, a publisher.
#include <evbus/evbus.hpp>

#include <cstdio>

struct tick {
    int id;
    double px;
};
struct fill {
    int id;
    int qty;
};

struct strategy: evbus::subscriber<strategy, tick, fill> {
    explicit strategy(evbus::bus &b): subscriber(b) {}
    void on(const tick &t) { last_px = t.px; }
    void on(const fill &f) { position += f.qty; }
    double last_px = 0.0;
    int position = 0;
};

int main() {
    evbus::bus bus;
    strategy s{bus};

    // Runs before the strategy's handlers: higher priority first.
    evbus::subscription log =
        bus.subscribe<tick>([](const tick &t) { std::printf("tick %d @ %.2f\n", t.id, t.px); }, 10);

    evbus::publisher<tick, fill> feed{bus}; // may publish only tick and fill
    std::size_t called = feed.publish(tick{1, 101.25});
    feed.publish(fill{1, 100});

    log.reset(); // unsubscribed: no longer called
    feed.publish(tick{2, 101.50});

    std::printf("handlers called for the first tick: %zu\n", called);
    std::printf("last price %.2f, position %d\n", s.last_px, s.position);
    return (called == 2 && s.position == 100 && s.last_px == 101.50) ? 0 : 1;
}
