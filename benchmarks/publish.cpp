// Synchronous publish: evbus::bus, evbus::st_bus and evbus::channel against a vector
// of function pointers (the floor) and Boost.Signals2, with every handler defined
// in handlers.cpp so nothing inlines. Arg = number of handlers.
#include <benchmark/benchmark.h>

#include <evbus/evbus.hpp>

#include <boost/signals2.hpp>

#include <vector>

#include "handlers.hpp"

namespace {

void floor_function_pointers(benchmark::State &state) {
    std::vector<bench_handler> handlers(bench_handlers.begin(), bench_handlers.begin() + state.range(0));
    bench_event event{1, 2.0};
    for(auto _: state) {
        benchmark::DoNotOptimize(event);
        for(bench_handler h: handlers) {
            h(event);
        }
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(bench_sink());
}

/// The timed loop every evbus variant shares: publish one event to target's handlers.
template<typename Target>
void time_publish(benchmark::State &state, Target &target) {
    bench_event event{1, 2.0};
    for(auto _: state) {
        benchmark::DoNotOptimize(event);
        benchmark::DoNotOptimize(target.publish(event));
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(bench_sink());
}

template<typename Bus>
void bus_publish(benchmark::State &state) {
    Bus bus;
    std::vector<evbus::subscription> subs;
    for(std::int64_t i = 0; i < state.range(0); ++i) {
        subs.push_back(bus.template subscribe<bench_event>(bench_handlers[static_cast<std::size_t>(i)]));
    }
    time_publish(state, bus);
}

/// Subscribes the first `count` handlers, bound at compile time: each node calls its function directly.
template<typename Target, std::size_t... N>
void subscribe_bound(Target &target, std::vector<evbus::subscription> &subs, std::size_t count,
                     std::index_sequence<N...>) {
    ((N < count
          ? subs.push_back(target.template subscribe<bench_event>([](const bench_event &e) { bench_handler_fn<N>(e); }))
          : void()),
     ...);
}

template<typename Bus>
void bus_publish_bound(benchmark::State &state) {
    Bus bus;
    std::vector<evbus::subscription> subs;
    subscribe_bound(bus, subs, static_cast<std::size_t>(state.range(0)),
                    std::make_index_sequence<bench_handler_count>{});
    time_publish(state, bus);
}

/// Handlers that capture state (here, the function to call), as a `[this]` lambda or a
/// subscriber<> does: each is called through its thunk.
template<typename Bus>
void bus_publish_capturing(benchmark::State &state) {
    Bus bus;
    std::vector<evbus::subscription> subs;
    for(std::int64_t i = 0; i < state.range(0); ++i) {
        const bench_handler h = bench_handlers[static_cast<std::size_t>(i)];
        subs.push_back(bus.template subscribe<bench_event>([h](const bench_event &e) { h(e); }));
    }
    time_publish(state, bus);
}

template<typename Threading>
void channel_publish(benchmark::State &state) {
    evbus::channel<bench_event, Threading> channel;
    std::vector<evbus::subscription> subs;
    for(std::int64_t i = 0; i < state.range(0); ++i) {
        subs.push_back(channel.subscribe(bench_handlers[static_cast<std::size_t>(i)]));
    }
    time_publish(state, channel);
}

void boost_signals2(benchmark::State &state) {
    boost::signals2::signal<void(const bench_event &)> signal;
    for(std::int64_t i = 0; i < state.range(0); ++i) {
        signal.connect(bench_handlers[static_cast<std::size_t>(i)]);
    }
    bench_event event{1, 2.0};
    for(auto _: state) {
        benchmark::DoNotOptimize(event);
        signal(event);
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(bench_sink());
}

} // namespace

BENCHMARK(floor_function_pointers)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_TEMPLATE(bus_publish, evbus::bus)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_TEMPLATE(bus_publish, evbus::st_bus)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_TEMPLATE(bus_publish_bound, evbus::bus)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_TEMPLATE(bus_publish_capturing, evbus::bus)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_TEMPLATE(channel_publish, evbus::multi_thread)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK_TEMPLATE(channel_publish, evbus::single_thread)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK(boost_signals2)->Arg(1)->Arg(10)->Arg(100);

BENCHMARK_MAIN();
