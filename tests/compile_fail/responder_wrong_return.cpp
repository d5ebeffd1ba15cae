// Must not compile: the responder returns a std::string where price_query's answer is a double.
#include <evbus/evbus.hpp>

#include <string>

struct price_query {
    int id;
    using result_type = double;
};

int main() {
    evbus::bus bus;
    auto r = bus.respond<price_query>([](const price_query &) { return std::string{"1.0"}; });
}
