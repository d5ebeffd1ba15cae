// The NATS bridge against raw libnats, in one process, through one nats-server that the program
// starts on 127.0.0.1 (a free port). 32-byte events.
//
// - one-way throughput: 20000 events published on one connection and received on another; an
//   iteration ends when the last one reached its handler. Raw: natsConnection_Publish of the 32
//   bytes, a subscription callback that reads them. evbus: bus.publish() into a bridge's send, a
//   bridge's receive that posts into a second bus, dispatched by the waiting thread (the handler
//   is the bus's).
// - round trip (p50, p99 in µs): a ping published on connection A, answered by a pong from
//   connection B (both with send_asap). Raw: B's callback publishes the pong, A's sets a flag. evbus:
//   bridge B receives the ping into bus b, whose handler publishes the pong into b, which bridge B
//   sends; bridge A posts it into bus a, which the waiting thread dispatches. Three ways for b:
//   publish_inline (the handler runs on libnats' thread), or posted and dispatched by an
//   evbus::worker that yields or blocks while idle.
//
// - throughput_evbus_prefix: the same with the sending bridge in wire_format::prefix (the type name
//   and version in a payload prefix, no NATS headers); compared with raw libnats without headers.
// - throughput_raw_headers: raw libnats again, with the bridge's two headers set on each message and
//   read on arrival (natsMsgHeader_Set/Get): the cost of the wire format inside libnats, without evbus.
//
// After the runs it prints the medians over the repetitions and the ratios evbus / raw.
#include <evbus/bridge/nats.hpp>
#include <evbus/evbus.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../tests/bridge/nats_server.hpp"

namespace {

struct ev32 {
    std::int64_t seq;
    std::int64_t a;
    std::int64_t b;
    std::int64_t c;
};
static_assert(sizeof(ev32) == 32);

struct ping: ev32 {};
struct pong: ev32 {};

} // namespace

template<>
struct evbus::event_traits<ev32> {
    static constexpr std::string_view name = "bench.ev32";
    static constexpr std::uint32_t version = 1;
};
template<>
struct evbus::event_traits<ping> {
    static constexpr std::string_view name = "bench.ping";
    static constexpr std::uint32_t version = 1;
};
template<>
struct evbus::event_traits<pong> {
    static constexpr std::string_view name = "bench.pong";
    static constexpr std::uint32_t version = 1;
};

namespace {

constexpr int batch = 20000;
std::unique_ptr<evbus_test::nats_server> server;

/// A raw libnats connection; send_asap as the round trips use it (no flusher batching).
natsConnection *raw_connect(bool send_asap = false) {
    natsOptions *opts = nullptr;
    natsConnection *nc = nullptr;
    if(natsOptions_Create(&opts) != NATS_OK || natsOptions_SetURL(opts, server->url().c_str()) != NATS_OK ||
       natsOptions_SetSendAsap(opts, send_asap) != NATS_OK || natsConnection_Connect(&nc, opts) != NATS_OK) {
        std::fprintf(stderr, "cannot connect to %s\n", server->url().c_str());
        std::abort();
    }
    natsOptions_Destroy(opts);
    return nc;
}

/// The same for the bridge.
evbus::nats::connection_options bridge_options(bool send_asap) {
    evbus::nats::connection_options options;
    options.servers = {server->url()};
    options.send_asap = send_asap;
    return options;
}

std::atomic<std::int64_t> raw_count{0};
std::int64_t raw_sum = 0;

void on_raw(natsConnection *, natsSubscription *, natsMsg *msg, void *) {
    ev32 e;
    if(natsMsg_GetDataLength(msg) == sizeof e) {
        std::memcpy(&e, natsMsg_GetData(msg), sizeof e);
        raw_sum += e.seq;
    }
    natsMsg_Destroy(msg);
    raw_count.fetch_add(1, std::memory_order_release);
}

void throughput_raw(benchmark::State &state) {
    natsConnection *out = raw_connect();
    natsConnection *in = raw_connect();
    natsSubscription *sub = nullptr;
    natsConnection_Subscribe(&sub, in, "raw.ev32", &on_raw, nullptr);
    natsSubscription_SetPendingLimits(sub, -1, -1);
    natsConnection_Flush(in);
    std::int64_t expected = 0;
    for(auto _: state) {
        expected += batch;
        for(int i = 0; i < batch; ++i) {
            const ev32 e{i, 1, 2, 3};
            natsConnection_Publish(out, "raw.ev32", &e, sizeof e);
        }
        natsConnection_FlushTimeout(out, 10000);
        while(raw_count.load(std::memory_order_acquire) < expected) {
            std::this_thread::yield();
        }
    }
    state.SetItemsProcessed(state.iterations() * batch);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(in);
    natsConnection_Destroy(out);
    raw_count = 0;
}

std::atomic<std::int64_t> raw_header_count{0};

/// Raw libnats with the bridge's two headers, read as the bridge reads them: what the wire format
/// itself costs in libnats, without evbus.
void on_raw_headers(natsConnection *, natsSubscription *, natsMsg *msg, void *) {
    const char *type = nullptr;
    const char *version = nullptr;
    ev32 e;
    if(natsMsgHeader_Get(msg, "Evbus-Type", &type) == NATS_OK &&
       natsMsgHeader_Get(msg, "Evbus-Version", &version) == NATS_OK && natsMsg_GetDataLength(msg) == sizeof e) {
        std::memcpy(&e, natsMsg_GetData(msg), sizeof e);
        raw_sum += e.seq;
    }
    natsMsg_Destroy(msg);
    raw_header_count.fetch_add(1, std::memory_order_release);
}

void throughput_raw_headers(benchmark::State &state) {
    natsConnection *out = raw_connect();
    natsConnection *in = raw_connect();
    natsSubscription *sub = nullptr;
    natsConnection_Subscribe(&sub, in, "rawh.ev32", &on_raw_headers, nullptr);
    natsSubscription_SetPendingLimits(sub, -1, -1);
    natsConnection_Flush(in);
    std::int64_t expected = 0;
    for(auto _: state) {
        expected += batch;
        for(int i = 0; i < batch; ++i) {
            const ev32 e{i, 1, 2, 3};
            natsMsg *msg = nullptr;
            natsMsg_Create(&msg, "rawh.ev32", nullptr, reinterpret_cast<const char *>(&e), sizeof e);
            natsMsgHeader_Set(msg, "Evbus-Type", "bench.ev32");
            natsMsgHeader_Set(msg, "Evbus-Version", "1");
            natsConnection_PublishMsg(out, msg);
            natsMsg_Destroy(msg);
        }
        natsConnection_FlushTimeout(out, 10000);
        while(raw_header_count.load(std::memory_order_acquire) < expected) {
            std::this_thread::yield();
        }
    }
    state.SetItemsProcessed(state.iterations() * batch);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(in);
    natsConnection_Destroy(out);
    raw_header_count = 0;
}

void throughput_bridge(benchmark::State &state, evbus::nats::wire_format format) {
    evbus::nats::connection out_conn{server->url()};
    evbus::nats::connection in_conn{server->url()};
    evbus::bus feed, sink;
    evbus::nats::bridge_options out_options;
    out_options.format = format;
    evbus::nats::bridge out{feed, out_conn, out_options}, in{sink, in_conn};
    const char *subject = format == evbus::nats::wire_format::prefix ? "evp.ev32" : "ev.ev32";
    auto s = out.send<ev32>(subject);
    evbus::nats::receive_options options;
    options.pending_messages = -1;
    options.pending_bytes = -1;
    auto r = in.receive<ev32>(subject, options);
    (void)in_conn.flush();
    std::int64_t count = 0, sum = 0;
    auto h = sink.subscribe<ev32>([&](const ev32 &e) {
        sum += e.seq;
        ++count;
    });
    std::int64_t expected = 0;
    for(auto _: state) {
        expected += batch;
        for(int i = 0; i < batch; ++i) {
            feed.publish(ev32{i, 1, 2, 3});
        }
        (void)out_conn.flush(std::chrono::milliseconds{10000});
        while(count < expected) {
            if(sink.dispatch() == 0u) {
                std::this_thread::yield();
            }
        }
    }
    state.SetItemsProcessed(state.iterations() * batch);
    if(in.stats().dropped != 0u || in.stats().malformed != 0u) {
        state.SkipWithError("dropped or malformed messages");
    }
    benchmark::DoNotOptimize(sum);
}

void throughput_evbus(benchmark::State &state) { throughput_bridge(state, evbus::nats::wire_format::headers); }

void throughput_evbus_prefix(benchmark::State &state) { throughput_bridge(state, evbus::nats::wire_format::prefix); }

/// Sets p50 and p99 (µs) from one repetition's samples.
void percentiles(benchmark::State &state, std::vector<double> &samples) {
    std::sort(samples.begin(), samples.end());
    if(!samples.empty()) {
        state.counters["p50_us"] = samples[samples.size() / 2];
        state.counters["p99_us"] = samples[std::min(samples.size() - 1u, samples.size() * 99u / 100u)];
    }
}

std::atomic<std::int64_t> raw_pong{-1};
natsConnection *raw_b = nullptr;

void on_raw_ping(natsConnection *, natsSubscription *, natsMsg *msg, void *) {
    natsConnection_Publish(raw_b, "raw.pong", natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
}

void on_raw_pong(natsConnection *, natsSubscription *, natsMsg *msg, void *) {
    ev32 e;
    std::memcpy(&e, natsMsg_GetData(msg), sizeof e);
    natsMsg_Destroy(msg);
    raw_pong.store(e.seq, std::memory_order_release);
}

void round_trip_raw(benchmark::State &state) {
    natsConnection *a = raw_connect(true);
    raw_b = raw_connect(true);
    natsSubscription *sa = nullptr, *sb = nullptr;
    natsConnection_Subscribe(&sa, a, "raw.pong", &on_raw_pong, nullptr);
    natsConnection_Subscribe(&sb, raw_b, "raw.ping", &on_raw_ping, nullptr);
    natsConnection_Flush(a);
    natsConnection_Flush(raw_b);
    std::vector<double> samples;
    std::int64_t seq = 0;
    for(auto _: state) {
        const auto t0 = std::chrono::steady_clock::now();
        const ev32 e{++seq, 0, 0, 0};
        natsConnection_Publish(a, "raw.ping", &e, sizeof e);
        while(raw_pong.load(std::memory_order_acquire) != seq) {
            std::this_thread::yield();
        }
        const std::chrono::duration<double, std::micro> rt = std::chrono::steady_clock::now() - t0;
        samples.push_back(rt.count());
        state.SetIterationTime(rt.count() * 1e-6);
    }
    percentiles(state, samples);
    natsSubscription_Unsubscribe(sa);
    natsSubscription_Unsubscribe(sb);
    natsSubscription_Destroy(sa);
    natsSubscription_Destroy(sb);
    natsConnection_Destroy(a);
    natsConnection_Destroy(raw_b);
    raw_pong = -1;
}

/// range(0): 0 publish_inline (the pong is published on libnats' thread, no queue), else the
/// worker's wait_strategy + 1 (the ping is posted and a worker dispatches it).
void round_trip_evbus(benchmark::State &state) {
    const bool inline_publish = state.range(0) == 0;
    const auto strategy = static_cast<evbus::wait_strategy>(inline_publish ? 2 : state.range(0) - 1);
    evbus::nats::connection ca{bridge_options(true)}, cb{bridge_options(true)};
    evbus::bus a, b;
    evbus::nats::bridge ba{a, ca}, bb{b, cb};
    auto s1 = ba.send<ping>("ev.ping");
    auto r1 = ba.receive<pong>("ev.pong");
    evbus::nats::receive_options ping_options;
    ping_options.publish_inline = inline_publish;
    auto r2 = bb.receive<ping>("ev.ping", ping_options);
    auto s2 = bb.send<pong>("ev.pong");
    auto answer = b.subscribe<ping>([&b](const ping &p) {
        pong reply;
        static_cast<ev32 &>(reply) = p;
        b.publish(reply);
    });
    std::int64_t last = -1;
    auto done = a.subscribe<pong>([&last](const pong &p) { last = p.seq; });
    (void)ca.flush();
    (void)cb.flush();
    evbus::worker_config config;
    config.wait = strategy;
    std::unique_ptr<evbus::worker> w;
    if(!inline_publish) {
        w = std::make_unique<evbus::worker>(b, config);
    }
    std::vector<double> samples;
    std::int64_t seq = 0;
    for(auto _: state) {
        const auto t0 = std::chrono::steady_clock::now();
        ping p;
        p.seq = ++seq;
        p.a = p.b = p.c = 0;
        a.publish(p);
        while(last != seq) {
            if(a.dispatch() == 0u) {
                std::this_thread::yield();
            }
        }
        const std::chrono::duration<double, std::micro> rt = std::chrono::steady_clock::now() - t0;
        samples.push_back(rt.count());
        state.SetIterationTime(rt.count() * 1e-6);
    }
    percentiles(state, samples);
}

/// Keeps the median of each benchmark's repetitions, for the ratios printed at the end.
class median_reporter: public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run> &runs) override {
        for(const Run &run: runs) {
            if(run.aggregate_name == "median") {
                result &r = medians[run.run_name.str()];
                const auto items = run.counters.find("items_per_second");
                if(items != run.counters.end()) {
                    r.items_per_second = items->second.value;
                }
                const auto p50 = run.counters.find("p50_us");
                const auto p99 = run.counters.find("p99_us");
                if(p50 != run.counters.end() && p99 != run.counters.end()) {
                    r.p50 = p50->second.value;
                    r.p99 = p99->second.value;
                }
            }
        }
        ConsoleReporter::ReportRuns(runs);
    }

    struct result {
        double items_per_second{0.0};
        double p50{0.0};
        double p99{0.0};
    };
    std::map<std::string, result> medians;
};

} // namespace

BENCHMARK(throughput_raw)->Iterations(10)->Repetitions(7)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(throughput_raw_headers)->Iterations(10)->Repetitions(7)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(throughput_evbus)->Iterations(10)->Repetitions(7)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(throughput_evbus_prefix)->Iterations(10)->Repetitions(7)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(round_trip_raw)->Iterations(2000)->Repetitions(7)->Unit(benchmark::kMicrosecond)->UseManualTime();
BENCHMARK(round_trip_evbus)
    ->Arg(0)
    ->Arg(static_cast<int>(evbus::wait_strategy::yield) + 1)
    ->Arg(static_cast<int>(evbus::wait_strategy::block) + 1)
    ->Iterations(2000)
    ->Repetitions(7)
    ->Unit(benchmark::kMicrosecond)
    ->UseManualTime();

int main(int argc, char **argv) {
    benchmark::Initialize(&argc, argv);
    server = std::make_unique<evbus_test::nats_server>();
    median_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    server.reset();
    const auto &m = reporter.medians;
    auto get = [&m](const char *name) {
        for(const auto &[key, r]: m) {
            if(key.rfind(std::string{name} + "/", 0) == 0) {
                return r;
            }
        }
        return median_reporter::result{};
    };
    const auto tr = get("throughput_raw"), th = get("throughput_raw_headers"), te = get("throughput_evbus");
    const auto tp = get("throughput_evbus_prefix");
    const auto rr = get("round_trip_raw");
    std::printf("\nmedians of the repetitions, evbus / raw libnats (targets: throughput >= 0.8x, p50 <= 1.2x)\n");
    if(tr.items_per_second > 0.0 && te.items_per_second > 0.0) {
        std::printf("throughput: raw %.3f M/s, evbus %.3f M/s: %.2fx\n", tr.items_per_second / 1e6,
                    te.items_per_second / 1e6, te.items_per_second / tr.items_per_second);
    }
    if(tr.items_per_second > 0.0 && tp.items_per_second > 0.0) {
        std::printf("throughput, wire_format::prefix: raw (no headers) %.3f M/s, evbus %.3f M/s: %.2fx\n",
                    tr.items_per_second / 1e6, tp.items_per_second / 1e6, tp.items_per_second / tr.items_per_second);
    }
    if(th.items_per_second > 0.0 && te.items_per_second > 0.0) {
        std::printf("throughput: raw with the two headers %.3f M/s (%.2fx raw), evbus %.2fx of it\n",
                    th.items_per_second / 1e6, th.items_per_second / tr.items_per_second,
                    te.items_per_second / th.items_per_second);
    }
    for(const auto &[name, r]: m) {
        if(name.rfind("round_trip_evbus", 0) == 0 && rr.p50 > 0.0) {
            const char *how = name.rfind("round_trip_evbus/0/", 0) == 0   ? "publish_inline"
                              : name.rfind("round_trip_evbus/3/", 0) == 0 ? "post + worker(block)"
                                                                          : "post + worker(yield)";
            std::printf("round trip, evbus %s: raw p50 %.1f us p99 %.1f us, evbus p50 %.1f us p99 %.1f us: p50 %.2fx, "
                        "p99 %.2fx\n",
                        how, rr.p50, rr.p99, r.p50, r.p99, r.p50 / rr.p50, r.p99 / rr.p99);
        }
    }
    benchmark::Shutdown();
    return 0;
}
