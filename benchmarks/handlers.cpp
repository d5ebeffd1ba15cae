#include "handlers.hpp"

#include <utility>

namespace {
std::uint64_t counters[bench_handler_count];

template<std::size_t... N>
constexpr std::array<bench_handler, sizeof...(N)> make_table(std::index_sequence<N...>) {
    return {&bench_handler_fn<N>...};
}
} // namespace

template<std::size_t N>
void bench_handler_fn(const bench_event &event) {
    counters[N] += event.id;
}

const std::array<bench_handler, bench_handler_count> bench_handlers =
    make_table(std::make_index_sequence<bench_handler_count>{});

void (*const bench_other_handler)(const bench_other_event &) = [](const bench_other_event &event) {
    counters[1] += event.id;
};

std::uint64_t bench_sink() noexcept {
    std::uint64_t sum = 0;
    for(auto c: counters) {
        sum += c;
    }
    return sum;
}

double bench_fair_value(int symbol) noexcept {
    double x = symbol;
    for(int i = 0; i < 100; ++i) {
        x = x * 1.0000001 + 0.5;
    }
    return x;
}
