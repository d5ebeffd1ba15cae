// Must not compile: price_query names no `result_type`, so it is no query.
#include <evbus/evbus.hpp>

struct price_query {
    int id;
};

int main() {
    evbus::bus bus;
    const double px = bus.request(price_query{1});
    return static_cast<int>(px);
}
