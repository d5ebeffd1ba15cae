// Must not compile: `order` is not trivially copyable and has no evbus::codec specialization.
#include <evbus/evbus.hpp>

#include <string>

struct order {
    std::string symbol;
};

template<>
struct evbus::event_traits<order> {
    static constexpr std::string_view name = "oms.order";
    static constexpr std::uint32_t version = 1;
};

int main() {
    evbus::bus bus;
    evbus::journal_writer jw{"/tmp/evbus_compile_fail.evj"};
    auto s = jw.record<order>(bus);
}
