// Queued delivery against its floors, each measured in the same process:
//  (a) one thread posts 64 events then dispatches them: ns per event, against a vector
//      (the floor) and raw moodycamel (bulk enqueue + bulk dequeue), same handler; also a bus
//      carrying two event types in alternating runs;
//  (b) one producer thread to one consumer thread on different cores: events per second,
//      against raw moodycamel with a producer token, single enqueue, bulk dequeue;
//  (c) ping-pong round trip between two threads through two queues: p50 and p99.
#include <benchmark/benchmark.h>

#include <evbus/evbus.hpp>
#include <evbus/queue/concurrentqueue.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#if defined(__linux__)
#    include <pthread.h>
#    include <sched.h>
#endif

#include "handlers.hpp"

namespace {

constexpr std::size_t burst = 64;
const bench_handler handler = bench_handlers[0];

void pin_to(unsigned cpu) {
#if defined(__linux__)
    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % cpus, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
#else
    (void)cpu;
#endif
}

// ---- (a) one thread: post 64, dispatch ----

void a_floor_vector(benchmark::State &state) {
    std::vector<bench_event> queue;
    queue.reserve(burst);
    for(auto _: state) {
        for(std::size_t i = 0; i < burst; ++i) {
            queue.push_back(bench_event{i, 1.0});
        }
        for(const bench_event &e: queue) {
            handler(e);
        }
        queue.clear();
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}

void a_raw_moodycamel_bulk(benchmark::State &state) {
    moodycamel::ConcurrentQueue<bench_event> queue;
    moodycamel::ProducerToken token{queue};
    bench_event in[burst];
    bench_event out[burst];
    for(auto _: state) {
        for(std::size_t i = 0; i < burst; ++i) {
            in[i] = bench_event{i, 1.0};
        }
        queue.enqueue_bulk(token, in, burst);
        const std::size_t got = queue.try_dequeue_bulk(out, burst);
        for(std::size_t i = 0; i < got; ++i) {
            handler(out[i]);
        }
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}

void a_raw_moodycamel_single(benchmark::State &state) {
    moodycamel::ConcurrentQueue<bench_event> queue;
    moodycamel::ProducerToken token{queue};
    bench_event out[burst];
    for(auto _: state) {
        for(std::size_t i = 0; i < burst; ++i) {
            queue.enqueue(token, bench_event{i, 1.0});
        }
        const std::size_t got = queue.try_dequeue_bulk(out, burst);
        for(std::size_t i = 0; i < got; ++i) {
            handler(out[i]);
        }
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}

template<typename Bus>
void a_bus_post_dispatch(benchmark::State &state) {
    Bus bus;
    auto s = bus.template subscribe<bench_event>(handler);
    for(auto _: state) {
        for(std::size_t i = 0; i < burst; ++i) {
            bus.post(bench_event{i, 1.0});
        }
        bus.dispatch();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}

// Two event types in alternating runs of RunLength events each (1: every event changes type).
template<typename Bus, std::size_t RunLength>
void a_bus_post_dispatch_mixed(benchmark::State &state) {
    Bus bus;
    auto s = bus.template subscribe<bench_event>(handler);
    auto o = bus.template subscribe<bench_other_event>(bench_other_handler);
    for(auto _: state) {
        for(std::size_t i = 0; i < burst; ++i) {
            if(i / RunLength % 2u == 0u) {
                bus.post(bench_event{i, 1.0});
            } else {
                bus.post(bench_other_event{i, 1.0});
            }
        }
        bus.dispatch();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}

void a_publisher_post_dispatch(benchmark::State &state) {
    evbus::bus bus;
    auto s = bus.subscribe<bench_event>(handler);
    evbus::publisher<bench_event> pub{bus};
    for(auto _: state) {
        for(std::size_t i = 0; i < burst; ++i) {
            pub.post(bench_event{i, 1.0});
        }
        bus.dispatch();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}

void a_publisher_post_bulk_dispatch(benchmark::State &state) {
    evbus::bus bus;
    auto s = bus.subscribe<bench_event>(handler);
    evbus::publisher<bench_event> pub{bus};
    bench_event in[burst];
    for(auto _: state) {
        for(std::size_t i = 0; i < burst; ++i) {
            in[i] = bench_event{i, 1.0};
        }
        pub.post_bulk(in, in + burst);
        bus.dispatch();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}

template<typename Threading>
void a_channel_post_dispatch(benchmark::State &state) {
    evbus::channel<bench_event, Threading> ch;
    auto s = ch.subscribe(handler);
    for(auto _: state) {
        for(std::size_t i = 0; i < burst; ++i) {
            ch.post(bench_event{i, 1.0});
        }
        ch.dispatch();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}

// ---- (b) one producer thread, one consumer thread ----

constexpr std::size_t transfer = 1u << 20;

void b_raw_moodycamel(benchmark::State &state) {
    for(auto _: state) {
        moodycamel::ConcurrentQueue<bench_event> queue;
        std::thread producer{[&] {
            pin_to(1);
            moodycamel::ProducerToken token{queue};
            for(std::size_t i = 0; i < transfer; ++i) {
                queue.enqueue(token, bench_event{i, 1.0});
            }
        }};
        pin_to(0);
        bench_event out[burst];
        for(std::size_t done = 0; done < transfer;) {
            const std::size_t got = queue.try_dequeue_bulk(out, burst);
            for(std::size_t i = 0; i < got; ++i) {
                handler(out[i]);
            }
            done += got;
        }
        producer.join();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * transfer));
}

void b_evbus_publisher(benchmark::State &state) {
    for(auto _: state) {
        evbus::bus bus;
        auto s = bus.subscribe<bench_event>(handler);
        std::thread producer{[&] {
            pin_to(1);
            evbus::publisher<bench_event> pub{bus};
            for(std::size_t i = 0; i < transfer; ++i) {
                pub.post(bench_event{i, 1.0});
            }
        }};
        pin_to(0);
        for(std::size_t done = 0; done < transfer;) {
            done += bus.dispatch();
        }
        producer.join();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * transfer));
}

// ---- (c) ping-pong round trip ----

constexpr std::size_t rounds = 20000;

void report_latency(benchmark::State &state, std::vector<double> &samples) {
    std::sort(samples.begin(), samples.end());
    state.counters["p50_ns"] = samples[samples.size() / 2];
    state.counters["p99_ns"] = samples[samples.size() * 99 / 100];
}

void c_raw_moodycamel(benchmark::State &state) {
    std::vector<double> samples;
    for(auto _: state) {
        moodycamel::ConcurrentQueue<bench_event> ping;
        moodycamel::ConcurrentQueue<bench_event> pong;
        std::thread echo{[&] {
            pin_to(1);
            bench_event e;
            for(std::size_t i = 0; i < rounds; ++i) {
                while(!ping.try_dequeue(e)) {
                }
                pong.enqueue(e);
            }
        }};
        pin_to(0);
        bench_event e{0, 0.0};
        for(std::size_t i = 0; i < rounds; ++i) {
            const auto start = std::chrono::steady_clock::now();
            ping.enqueue(bench_event{i, 0.0});
            while(!pong.try_dequeue(e)) {
            }
            samples.push_back(
                std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
        }
        echo.join();
    }
    report_latency(state, samples);
}

void c_evbus_busy_spin(benchmark::State &state) {
    std::vector<double> samples;
    for(auto _: state) {
        evbus::bus ping;
        evbus::bus pong;
        // Each on a cache line of its own: the caller writes answered every round while the echo
        // thread polls stop, and sharing one line (as they did, side by side on the stack) added a
        // line transfer to each round trip (docs/benchmarks.md, "spsc lanes").
        alignas(64) std::atomic<std::size_t> answered{0};
        auto echo_sub = ping.subscribe<bench_event>([&](const bench_event &e) { pong.post(e); });
        auto back_sub =
            pong.subscribe<bench_event>([&](const bench_event &) { answered.fetch_add(1, std::memory_order_relaxed); });
        alignas(64) std::atomic<bool> stop{false};
        std::thread echo{[&] {
            pin_to(1);
            while(!stop.load(std::memory_order_relaxed)) {
                ping.dispatch();
            }
        }};
        pin_to(0);
        for(std::size_t i = 0; i < rounds; ++i) {
            const auto start = std::chrono::steady_clock::now();
            ping.post(bench_event{i, 0.0});
            while(pong.dispatch() == 0u) {
            }
            samples.push_back(
                std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
        }
        stop.store(true);
        echo.join();
        benchmark::DoNotOptimize(answered.load());
    }
    report_latency(state, samples);
}

// Both sides sleep while idle: the echo side is a blocking worker that never spins,
// the caller waits in wait_for(). Measures wake-up latency, the cost of using no idle CPU.
void c_evbus_blocking(benchmark::State &state) {
    std::vector<double> samples;
    for(auto _: state) {
        evbus::bus ping;
        evbus::bus pong;
        auto echo_sub = ping.subscribe<bench_event>([&](const bench_event &e) { pong.post(e); });
        std::size_t answered = 0;
        auto back_sub = pong.subscribe<bench_event>([&](const bench_event &) { ++answered; });
        evbus::worker_config cfg;
        cfg.wait = evbus::wait_strategy::block;
        cfg.spins = 0;
        evbus::worker echo{ping, cfg};
        pin_to(0);
        for(std::size_t i = 0; i < rounds / 4; ++i) {
            const auto start = std::chrono::steady_clock::now();
            ping.post(bench_event{i, 0.0});
            while(answered <= i) {
                pong.wait_for(std::chrono::seconds{1});
                pong.dispatch();
            }
            samples.push_back(
                std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
        }
    }
    report_latency(state, samples);
}

} // namespace

BENCHMARK(a_floor_vector);
BENCHMARK(a_raw_moodycamel_bulk);
BENCHMARK(a_raw_moodycamel_single);
BENCHMARK_TEMPLATE(a_bus_post_dispatch, evbus::bus);
BENCHMARK(a_publisher_post_dispatch);
BENCHMARK(a_publisher_post_bulk_dispatch);
BENCHMARK_TEMPLATE(a_bus_post_dispatch, evbus::st_bus);
BENCHMARK_TEMPLATE(a_bus_post_dispatch_mixed, evbus::st_bus, 1);
BENCHMARK_TEMPLATE(a_bus_post_dispatch_mixed, evbus::st_bus, 8);
BENCHMARK_TEMPLATE(a_bus_post_dispatch_mixed, evbus::bus, 1);
BENCHMARK_TEMPLATE(a_channel_post_dispatch, evbus::multi_thread);
BENCHMARK_TEMPLATE(a_channel_post_dispatch, evbus::single_thread);
BENCHMARK(b_raw_moodycamel)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(b_evbus_publisher)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(c_raw_moodycamel)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(c_evbus_busy_spin)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(c_evbus_blocking)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

BENCHMARK_MAIN();
