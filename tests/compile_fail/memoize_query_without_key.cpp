// Must not compile: without a key function the query itself would be the key of a cache keyed by int.
#include <evbus/evbus.hpp>

struct price_query {
    int id;
    using result_type = double;
};

int main() {
    auto f = evbus::memoize(evbus::cache<int, double, evbus::lru>{16}, [](const price_query &q) { return q.id * 1.5; });
    return static_cast<int>(f(price_query{1}));
}
