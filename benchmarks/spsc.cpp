// Single-producer single-consumer delivery against its floors, each measured in the same process
// (docs/benchmarks.md, "spsc lanes"):
//  (d) one producer thread (CPU 1) to one consumer thread (CPU 0): events per second, for the
//      evbus spsc channel and bus, the multi-producer bus, publisher and channel, raw moodycamel
//      (token + single enqueue, token + bulk enqueue), raw ReaderWriterQueue, raw atomic_queue and
//      a batched ring written here as the floor (spsc lanes and raw rings: 4096 slots; the
//      multi-producer ones unbounded, as raw moodycamel is);
//  (e) busy-spin round trip (ping-pong over two lanes): p50, p99, p99.9, against one cache line
//      passed back and forth;
//  (f) one thread posts 64 events then dispatches them: ns per event, against a vector.
// Every queue object sits on cache lines of its own (see the note on benchmarks/async.cpp (c) in
// docs/benchmarks.md): only what the queue itself shares crosses between the two cores.
#include <benchmark/benchmark.h>

#include <evbus/evbus.hpp>
#include <evbus/queue/concurrentqueue.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <thread>
#include <vector>

#if __has_include(<readerwriterqueue/readerwriterqueue.h>)
#    include <readerwriterqueue/readerwriterqueue.h>
#    define EVBUS_BENCH_HAVE_RWQ 1
#else
#    define EVBUS_BENCH_HAVE_RWQ 0
#endif
#if __has_include(<atomic_queue/atomic_queue.h>)
#    include <atomic_queue/atomic_queue.h>
#    define EVBUS_BENCH_HAVE_ATOMIC_QUEUE 1
#else
#    define EVBUS_BENCH_HAVE_ATOMIC_QUEUE 0
#endif

#if defined(__linux__)
#    include <pthread.h>
#    include <sched.h>
#endif

#include "handlers.hpp"

namespace {

constexpr std::size_t burst = 64;
constexpr std::size_t ring_size = 4096;    // every bounded queue here
constexpr std::size_t transfer = 1u << 22; // (d): events per process-iteration
constexpr std::size_t rounds = 20000;      // (e): round trips per iteration
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

inline void relax() noexcept {
#if(defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_ia32_pause();
#endif
}

/// Holds T on cache lines of its own (the heap allocation is 64-byte aligned and padded).
template<typename T>
struct alignas(64) isolated {
    template<typename... Args>
    explicit isolated(Args &&...args): value(std::forward<Args>(args)...) {}
    T value;
    unsigned char pad[64];
};

template<typename T, typename... Args>
std::unique_ptr<isolated<T>> make_isolated(Args &&...args) {
    return std::make_unique<isolated<T>>(std::forward<Args>(args)...);
}

// ---- the floor: a batched single-producer ring ----
// The producer keeps a copy of the consumer's position and reads the real one only when the copy
// says full; the consumer reads the producer's position once per batch and publishes its own once
// per batch; the two sides' fields sit on different cache lines.
template<typename T, std::size_t Size>
class floor_ring {
    static_assert((Size & (Size - 1)) == 0);

public:
    bool push(const T &value) noexcept {
        const std::uint64_t tail = producer_.tail.load(std::memory_order_relaxed);
        if(tail - producer_.cached_head == Size) {
            producer_.cached_head = consumer_.head.load(std::memory_order_acquire);
            if(tail - producer_.cached_head == Size) {
                return false;
            }
        }
        slots_[tail & (Size - 1)] = value;
        producer_.tail.store(tail + 1, std::memory_order_release);
        return true;
    }

    /// Pushes up to count, publishing once; returns how many.
    std::size_t push_bulk(const T *values, std::size_t count) noexcept {
        const std::uint64_t tail = producer_.tail.load(std::memory_order_relaxed);
        if(Size - (tail - producer_.cached_head) < count) {
            producer_.cached_head = consumer_.head.load(std::memory_order_acquire);
        }
        const std::size_t n = std::min<std::size_t>(count, Size - (tail - producer_.cached_head));
        for(std::size_t i = 0; i < n; ++i) {
            slots_[(tail + i) & (Size - 1)] = values[i];
        }
        producer_.tail.store(tail + n, std::memory_order_release);
        return n;
    }

    bool pop(T &out) noexcept {
        const std::uint64_t head = consumer_.head.load(std::memory_order_relaxed);
        if(head == producer_.tail.load(std::memory_order_acquire)) {
            return false;
        }
        out = slots_[head & (Size - 1)];
        consumer_.head.store(head + 1, std::memory_order_release);
        return true;
    }

    /// Takes everything the producer has published (one read of its position), giving slots back
    /// every 64 events.
    template<typename F>
    std::size_t drain(F &&f) noexcept {
        const std::uint64_t start = consumer_.head.load(std::memory_order_relaxed);
        const std::uint64_t tail = producer_.tail.load(std::memory_order_acquire);
        for(std::uint64_t head = start; head != tail;) {
            const std::uint64_t end = std::min<std::uint64_t>(tail, head + burst);
            for(; head != end; ++head) {
                f(slots_[head & (Size - 1)]);
            }
            consumer_.head.store(end, std::memory_order_release);
        }
        return static_cast<std::size_t>(tail - start);
    }

private:
    struct alignas(64) producer_side {
        std::atomic<std::uint64_t> tail{0};
        std::uint64_t cached_head{0};
    };
    struct alignas(64) consumer_side {
        std::atomic<std::uint64_t> head{0};
    };
    producer_side producer_;
    consumer_side consumer_;
    alignas(64) T slots_[Size];
};

// ---- a ring whose consumer finds a new event from the slot's own line ----
// Each slot holds its event and the position it was written for, on one cache line: a consumer
// polling an empty ring waits for one line when an event arrives (not the producer's position,
// then the slot). What (e) shows such a ring would save over the batched one.
template<typename T, std::size_t Size>
class sequenced_ring {
    static_assert((Size & (Size - 1)) == 0);

public:
    bool push(const T &value) noexcept {
        if(tail_ - cached_head_ == Size) {
            cached_head_ = head_.load(std::memory_order_acquire);
            if(tail_ - cached_head_ == Size) {
                return false;
            }
        }
        cell &c = cells_[tail_ & (Size - 1)];
        c.value = value;
        c.seq.store(++tail_, std::memory_order_release);
        return true;
    }

    bool pop(T &out) noexcept {
        cell &c = cells_[next_ & (Size - 1)];
        if(c.seq.load(std::memory_order_acquire) != next_ + 1) {
            return false;
        }
        out = c.value;
        head_.store(++next_, std::memory_order_release);
        return true;
    }

private:
    struct alignas(64) cell {
        std::atomic<std::uint64_t> seq{0};
        T value{};
    };
    alignas(64) std::uint64_t tail_{0}; // producer
    std::uint64_t cached_head_{0};
    alignas(64) std::uint64_t next_{0}; // consumer
    alignas(64) std::atomic<std::uint64_t> head_{0};
    cell cells_[Size];
};

struct sequenced_pop_adapter {
    sequenced_ring<bench_event, ring_size> ring;
    void push(const bench_event &e) noexcept {
        while(!ring.push(e)) {
            relax();
        }
    }
    bool pop(bench_event &e) noexcept { return ring.pop(e); }
};

// ---- adapters: push one event (spinning while full), drain what is there ----

struct floor_adapter {
    floor_ring<bench_event, ring_size> ring;
    void push(const bench_event &e) noexcept {
        while(!ring.push(e)) {
            relax();
        }
    }
    std::size_t push_bulk(const bench_event *e, std::size_t n) noexcept {
        std::size_t done = 0;
        while(done < n) {
            done += ring.push_bulk(e + done, n - done);
        }
        return done;
    }
    std::size_t drain() noexcept {
        return ring.drain([](const bench_event &e) { handler(e); });
    }
};

struct moodycamel_single_adapter {
    moodycamel::ConcurrentQueue<bench_event> queue;
    moodycamel::ProducerToken token{queue};
    void push(const bench_event &e) { queue.enqueue(token, e); }
    std::size_t drain() {
        bench_event out[burst];
        const std::size_t got = queue.try_dequeue_bulk(out, burst);
        for(std::size_t i = 0; i < got; ++i) {
            handler(out[i]);
        }
        return got;
    }
};

struct moodycamel_bulk_adapter: moodycamel_single_adapter {
    std::size_t push_bulk(const bench_event *e, std::size_t n) {
        queue.enqueue_bulk(token, e, n);
        return n;
    }
};

#if EVBUS_BENCH_HAVE_RWQ
struct rwq_adapter {
    moodycamel::ReaderWriterQueue<bench_event> queue{ring_size};
    void push(const bench_event &e) {
        while(!queue.try_enqueue(e)) {
            relax();
        }
    }
    std::size_t drain() {
        std::size_t got = 0;
        for(bench_event e; got < burst && queue.try_dequeue(e); ++got) {
            handler(e);
        }
        return got;
    }
};
#endif

#if EVBUS_BENCH_HAVE_ATOMIC_QUEUE
struct atomic_queue_adapter {
    atomic_queue::AtomicQueue2<bench_event, ring_size, true, true, false, true> queue;
    void push(const bench_event &e) {
        while(!queue.try_push(bench_event{e})) {
            relax();
        }
    }
    std::size_t drain() {
        std::size_t got = 0;
        for(bench_event e; got < burst && queue.try_pop(e); ++got) {
            handler(e);
        }
        return got;
    }
};
#endif

/// spsc lanes: a ring of ring_size slots, like the raw rings. The multi-producer bus and channel
/// stay unbounded, as raw moodycamel is (their bound is a shared counter: a different cost).
template<typename Threading>
evbus::bus_config ring_config() {
    evbus::bus_config cfg;
    if constexpr(evbus::detail::is_spsc_v<Threading>) {
        cfg.capacity = ring_size;
    }
    return cfg;
}

/// An evbus channel (any threading policy) with one handler.
template<typename Threading>
struct channel_adapter {
    evbus::channel<bench_event, Threading> lane{ring_config<Threading>()};
    evbus::subscription s = lane.subscribe(handler);
    void push(const bench_event &e) {
        while(!lane.post(e)) {
            relax();
        }
    }
    std::size_t push_bulk(const bench_event *e, std::size_t n) {
        std::size_t done = 0;
        while(done < n) {
            done += lane.post_bulk(e + done, e + n);
        }
        return done;
    }
    std::size_t drain() { return lane.dispatch(); }
};

/// An evbus bus with one handler per type; Types > 1 posts alternating types (runs of 8).
template<typename Threading, bool Mixed>
struct bus_adapter {
    evbus::basic_bus<Threading> bus{ring_config<Threading>()};
    evbus::subscription s = bus.template subscribe<bench_event>(handler);
    evbus::subscription o = bus.template subscribe<bench_other_event>(bench_other_handler);
    std::uint64_t n = 0;
    void push(const bench_event &e) {
        if(Mixed && (n++ / 8u) % 2u == 1u) {
            const bench_other_event other{e.id, e.value};
            while(!bus.post(other)) {
                relax();
            }
            return;
        }
        while(!bus.post(e)) {
            relax();
        }
    }
    std::size_t drain() { return bus.dispatch(); }
};

/// The multi-producer bus through a publisher (its own producer token).
struct publisher_adapter {
    evbus::bus bus{ring_config<evbus::multi_thread>()};
    evbus::subscription s = bus.subscribe<bench_event>(handler);
    std::unique_ptr<evbus::publisher<bench_event>> pub; // made on the producer thread
    void push(const bench_event &e) {
        if(!pub) {
            pub = std::make_unique<evbus::publisher<bench_event>>(bus);
        }
        while(!pub->post(e)) {
            relax();
        }
    }
    std::size_t drain() { return bus.dispatch(); }
};

// ---- (d) one producer thread, one consumer thread ----

template<typename Adapter, bool Bulk = false>
void d_throughput(benchmark::State &state) {
    for(auto _: state) {
        auto q = make_isolated<Adapter>();
        Adapter &queue = q->value;
        std::thread producer{[&] {
            pin_to(1);
            if constexpr(Bulk) {
                bench_event in[burst];
                for(std::size_t i = 0; i < transfer; i += burst) {
                    for(std::size_t k = 0; k < burst; ++k) {
                        in[k] = bench_event{i + k, 1.0};
                    }
                    queue.push_bulk(in, burst);
                }
            } else {
                for(std::size_t i = 0; i < transfer; ++i) {
                    queue.push(bench_event{i, 1.0});
                }
            }
        }};
        pin_to(0);
        for(std::size_t done = 0; done < transfer;) {
            done += queue.drain();
        }
        producer.join();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * transfer));
}

// ---- (e) busy-spin round trip ----

void report_latency(benchmark::State &state, std::vector<double> &samples) {
    std::sort(samples.begin(), samples.end());
    state.counters["p50_ns"] = samples[samples.size() / 2];
    state.counters["p99_ns"] = samples[samples.size() * 99 / 100];
    state.counters["p999_ns"] = samples[samples.size() * 999 / 1000];
}

double elapsed_ns(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
}

/// One cache line passed back and forth: the caller writes an odd number, the echo the next even.
void e_floor_one_line(benchmark::State &state) {
    std::vector<double> samples;
    samples.reserve(rounds);
    for(auto _: state) {
        auto line = make_isolated<std::atomic<std::uint64_t>>(0u);
        std::atomic<std::uint64_t> &cell = line->value;
        std::thread echo{[&] {
            pin_to(1);
            for(std::uint64_t i = 0; i < rounds; ++i) {
                while(cell.load(std::memory_order_acquire) != 2 * i + 1) {
                }
                cell.store(2 * i + 2, std::memory_order_release);
            }
        }};
        pin_to(0);
        for(std::uint64_t i = 0; i < rounds; ++i) {
            const auto start = std::chrono::steady_clock::now();
            cell.store(2 * i + 1, std::memory_order_release);
            while(cell.load(std::memory_order_acquire) != 2 * i + 2) {
            }
            samples.push_back(elapsed_ns(start));
        }
        echo.join();
    }
    report_latency(state, samples);
}

/// Raw queues: Q has push(e) (spins while full) and pop(e) (false when empty).
template<typename Adapter>
void e_round_trip_raw(benchmark::State &state) {
    std::vector<double> samples;
    samples.reserve(rounds);
    for(auto _: state) {
        auto ping = make_isolated<Adapter>();
        auto pong = make_isolated<Adapter>();
        std::thread echo{[&] {
            pin_to(1);
            bench_event e{};
            for(std::size_t i = 0; i < rounds; ++i) {
                while(!ping->value.pop(e)) {
                }
                pong->value.push(e);
            }
        }};
        pin_to(0);
        bench_event e{};
        for(std::size_t i = 0; i < rounds; ++i) {
            const auto start = std::chrono::steady_clock::now();
            ping->value.push(bench_event{i, 0.0});
            while(!pong->value.pop(e)) {
            }
            samples.push_back(elapsed_ns(start));
        }
        echo.join();
    }
    report_latency(state, samples);
}

struct floor_pop_adapter: floor_adapter {
    bool pop(bench_event &e) noexcept { return ring.pop(e); }
};
struct moodycamel_pop_adapter: moodycamel_single_adapter {
    bool pop(bench_event &e) { return queue.try_dequeue(e); }
};
#if EVBUS_BENCH_HAVE_RWQ
struct rwq_pop_adapter: rwq_adapter {
    bool pop(bench_event &e) { return queue.try_dequeue(e); }
};
#endif
#if EVBUS_BENCH_HAVE_ATOMIC_QUEUE
struct atomic_queue_pop_adapter: atomic_queue_adapter {
    bool pop(bench_event &e) { return queue.try_pop(e); }
};
#endif

template<typename Threading>
evbus::subscription subscribe_echo(evbus::basic_bus<Threading> &from, evbus::basic_bus<Threading> &to) {
    return from.template subscribe<bench_event>([&to](const bench_event &e) { (void)to.post(e); });
}
template<typename Threading>
evbus::subscription subscribe_sink(evbus::basic_bus<Threading> &at) {
    return at.template subscribe<bench_event>(handler);
}
template<typename Threading>
evbus::subscription subscribe_echo(evbus::channel<bench_event, Threading> &from,
                                   evbus::channel<bench_event, Threading> &to) {
    return from.subscribe([&to](const bench_event &e) { (void)to.post(e); });
}
template<typename Threading>
evbus::subscription subscribe_sink(evbus::channel<bench_event, Threading> &at) {
    return at.subscribe(handler);
}

/// evbus: the echo's handler on ping posts into pong; the caller dispatches pong until it delivers.
template<typename Lane>
void e_round_trip_evbus(benchmark::State &state) {
    std::vector<double> samples;
    samples.reserve(rounds);
    for(auto _: state) {
        auto ping = make_isolated<Lane>(ring_config<typename Lane::threading_policy>());
        auto pong = make_isolated<Lane>(ring_config<typename Lane::threading_policy>());
        auto stop = make_isolated<std::atomic<bool>>(false);
        evbus::subscription echo_sub;
        evbus::subscription back_sub;
        echo_sub = subscribe_echo(ping->value, pong->value);
        back_sub = subscribe_sink(pong->value);
        std::thread echo{[&] {
            pin_to(1);
            while(!stop->value.load(std::memory_order_relaxed)) {
                ping->value.dispatch();
            }
        }};
        pin_to(0);
        for(std::size_t i = 0; i < rounds; ++i) {
            const auto start = std::chrono::steady_clock::now();
            (void)ping->value.post(bench_event{i, 0.0});
            while(pong->value.dispatch() == 0u) {
            }
            samples.push_back(elapsed_ns(start));
        }
        stop->value.store(true);
        echo.join();
    }
    report_latency(state, samples);
}

// ---- (f) one thread: post 64, dispatch ----

void f_floor_vector(benchmark::State &state) {
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

template<typename Lane>
void f_post_dispatch(benchmark::State &state) {
    auto lane = make_isolated<Lane>(ring_config<typename Lane::threading_policy>());
    auto s = subscribe_sink(lane->value);
    for(auto _: state) {
        for(std::size_t i = 0; i < burst; ++i) {
            (void)lane->value.post(bench_event{i, 1.0});
        }
        lane->value.dispatch();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}

} // namespace

#define EVBUS_BENCH_D(...)                                                                                             \
    BENCHMARK_TEMPLATE(d_throughput, __VA_ARGS__)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3)
#define EVBUS_BENCH_E(name, ...)                                                                                       \
    BENCHMARK_TEMPLATE(name, __VA_ARGS__)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1)

EVBUS_BENCH_D(floor_adapter);
EVBUS_BENCH_D(floor_adapter, true);
EVBUS_BENCH_D(moodycamel_single_adapter);
EVBUS_BENCH_D(moodycamel_bulk_adapter, true);
#if EVBUS_BENCH_HAVE_RWQ
EVBUS_BENCH_D(rwq_adapter);
#endif
#if EVBUS_BENCH_HAVE_ATOMIC_QUEUE
EVBUS_BENCH_D(atomic_queue_adapter);
#endif
EVBUS_BENCH_D(channel_adapter<evbus::spsc>);
EVBUS_BENCH_D(channel_adapter<evbus::spsc>, true);
EVBUS_BENCH_D(bus_adapter<evbus::spsc, false>);
EVBUS_BENCH_D(bus_adapter<evbus::spsc, true>);
EVBUS_BENCH_D(bus_adapter<evbus::multi_thread, false>);
EVBUS_BENCH_D(publisher_adapter);
EVBUS_BENCH_D(channel_adapter<evbus::multi_thread>);

BENCHMARK(e_floor_one_line)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
EVBUS_BENCH_E(e_round_trip_raw, floor_pop_adapter);
EVBUS_BENCH_E(e_round_trip_raw, sequenced_pop_adapter);
EVBUS_BENCH_E(e_round_trip_raw, moodycamel_pop_adapter);
#if EVBUS_BENCH_HAVE_RWQ
EVBUS_BENCH_E(e_round_trip_raw, rwq_pop_adapter);
#endif
#if EVBUS_BENCH_HAVE_ATOMIC_QUEUE
EVBUS_BENCH_E(e_round_trip_raw, atomic_queue_pop_adapter);
#endif
EVBUS_BENCH_E(e_round_trip_evbus, evbus::channel<bench_event, evbus::spsc>);
EVBUS_BENCH_E(e_round_trip_evbus, evbus::basic_bus<evbus::spsc>);
EVBUS_BENCH_E(e_round_trip_evbus, evbus::bus);
EVBUS_BENCH_E(e_round_trip_evbus, evbus::channel<bench_event>);

BENCHMARK(f_floor_vector);
BENCHMARK_TEMPLATE(f_post_dispatch, evbus::channel<bench_event, evbus::spsc>);
BENCHMARK_TEMPLATE(f_post_dispatch, evbus::basic_bus<evbus::spsc>);
BENCHMARK_TEMPLATE(f_post_dispatch, evbus::channel<bench_event, evbus::single_thread>);
BENCHMARK_TEMPLATE(f_post_dispatch, evbus::st_bus);

BENCHMARK_MAIN();
