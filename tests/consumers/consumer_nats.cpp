// A downstream program of the NATS bridge (evbus::nats from the installed package): links libnats,
// needs no server. A connection to a port nobody listens on is an evbus::error; a message is decoded.
#include <evbus/bridge/nats.hpp>
#include <evbus/evbus.hpp>

#include <cstdint>
#include <string_view>

struct ping {
    std::int32_t value;
};

template<>
struct evbus::event_traits<ping> {
    static constexpr std::string_view name = "consumer.ping";
    static constexpr std::uint32_t version = 1;
};

int main() {
    const ping sent{42};
    ping got{};
    if(evbus::nats::decode("consumer.ping", "1", &sent, sizeof sent, got) != evbus::nats::decode_status::ok ||
       got.value != 42) {
        return 1;
    }
#if defined(__cpp_exceptions)
    try {
        evbus::nats::connection nc{"nats://127.0.0.1:1"}; // libnats is linked and called
        return 2;
    } catch(const evbus::error &e) {
        return e.code() == evbus::errc::io_error ? 0 : 3;
    }
#else
    return 0;
#endif
}
