// Queries: bus.request against calling the responder's function directly (the floor), with and
// without a memoizing cache in front. The function lives in handlers.cpp so nothing inlines.
#include <benchmark/benchmark.h>

#include <evbus/evbus.hpp>

#include <functional>

#include "handlers.hpp"

namespace {

struct fair_value_query {
    int symbol;
    using result_type = double;
};

constexpr int symbols = 64;

void direct_call(benchmark::State &state) {
    int i = 0;
    for(auto _: state) {
        benchmark::DoNotOptimize(bench_fair_value(i++ & (symbols - 1)));
    }
}

void request_computed(benchmark::State &state) {
    evbus::bus bus;
    auto r = bus.respond<fair_value_query>([](const fair_value_query &q) { return bench_fair_value(q.symbol); });
    int i = 0;
    for(auto _: state) {
        benchmark::DoNotOptimize(bus.request(fair_value_query{i++ & (symbols - 1)}));
    }
}

template<typename Policy, typename... Args>
void request_memoized_hit(benchmark::State &state, Args... policy_args) {
    evbus::bus bus;
    auto fair_value = evbus::memoize(
        evbus::cache<int, double, Policy>{symbols, policy_args...},
        [](const fair_value_query &q) { return bench_fair_value(q.symbol); },
        [](const fair_value_query &q) { return q.symbol; });
    auto r = bus.respond<fair_value_query>(std::ref(fair_value));
    for(int s = 0; s < symbols; ++s) {
        (void)bus.request(fair_value_query{s}); // warm: every later request is a hit
    }
    int i = 0;
    for(auto _: state) {
        benchmark::DoNotOptimize(bus.request(fair_value_query{i++ & (symbols - 1)}));
    }
}

void request_memoized_lru(benchmark::State &state) { request_memoized_hit<evbus::lru>(state); }
void request_memoized_lfu(benchmark::State &state) { request_memoized_hit<evbus::lfu>(state); }
void request_memoized_ttl(benchmark::State &state) { request_memoized_hit<evbus::ttl<>>(state, std::chrono::hours{1}); }

} // namespace

BENCHMARK(direct_call);
BENCHMARK(request_computed);
BENCHMARK(request_memoized_lru);
BENCHMARK(request_memoized_lfu);
BENCHMARK(request_memoized_ttl);

BENCHMARK_MAIN();
