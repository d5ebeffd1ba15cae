#ifndef EVBUS_FUZZ_JOURNAL_TYPES_HPP
#define EVBUS_FUZZ_JOURNAL_TYPES_HPP

// The event types of the journal fuzz target and of its seed generator (fuzz/journal_seeds.cpp).
#include <cstdint>
#include <string>
#include <string_view>

#include <evbus/io/codec.hpp>
#include <evbus/io/event_traits.hpp>

namespace evbus_fuzz {
struct tick {
    int id;
    double px;
};
struct note {
    std::string text;
};
} // namespace evbus_fuzz

template<>
struct evbus::event_traits<evbus_fuzz::tick> {
    static constexpr std::string_view name = "fuzz.tick";
    static constexpr std::uint32_t version = 1;
};

template<>
struct evbus::event_traits<evbus_fuzz::note> {
    static constexpr std::string_view name = "fuzz.note";
    static constexpr std::uint32_t version = 1;
};

template<>
struct evbus::codec<evbus_fuzz::note> {
    static void encode(const evbus_fuzz::note &n, evbus::byte_sink &out) { out.write_string(n.text); }
    static bool decode(evbus::byte_source &in, evbus_fuzz::note &n) { return in.read_string(n.text); }
};

#endif
