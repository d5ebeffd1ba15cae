// trading_loop: market data -> strategy -> execution simulator -> fills, over evbus, for a bounded time.
//
// Shows: a market-data thread posting ticks through its own evbus::publisher onto a bounded bus
// (overflow_policy::block: a fast feed is slowed down, never dropped); a strategy on the main thread,
// which dispatches that bus, asking a fair-value query answered by a TTL-memoized responder
// (evbus::memoize over evbus::cache<int, double, evbus::ttl<>>) that each tick of a symbol
// invalidates (evbus::evict_on); orders going to an execution simulator on an evbus::worker thread
// through a second bus, and fills coming back as events; an order timeout (evbus::scheduler) that
// gives up waiting for an unfilled order, and that its fill cancels. The timeouts run on market
// time, an evbus::manual_clock that each tick moves 20 us forward, so that a backtest (and this
// program as a test) behaves the same on a slow machine as on a fast one. Prints ticks/s, queue
// depth and the cache hit ratio each second, then checks that every tick was delivered, every order
// filled and every timeout either cancelled by its fill or delivered.
//
// Record and backtest: the session is recorded (evbus::journal_writer) as the strategy saw it: every
// tick, fill and order timeout the market bus delivered, in delivery order. After the live run, a
// backtest replays the journal (evbus::journal_reader) through the same strategy, wired the same
// way, on one thread and without the feed, the exchange or the timers, and checks that the strategy
// ends in the same state: positions, counts, the orders it waits for. Timeouts are replayed from the
// journal rather than fired again, since when a timeout was delivered between the ticks depended on
// the live threads. `trading_loop --backtest FILE` replays a kept journal alone.
// Usage: trading_loop [seconds] [ticks_per_second] [journal]   (default 2 s at 50000 ticks/s; 0 = as
//        fast as possible; the journal goes to a temporary file unless a path is given)
//        trading_loop --backtest journal

#include <evbus/evbus.hpp>
#include <evbus/fmt.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>

using steady = std::chrono::steady_clock;

constexpr int symbols = 16;         // traded in pairs: 0 with 1, 2 with 3, ...
constexpr std::size_t history = 32; // prices the fair-value model looks at
struct market_time;                 // tag of the simulated clock the order timeouts run on
using market_clock = evbus::manual_clock<market_time>;
constexpr auto tick_time = std::chrono::microseconds{20};          // market time per tick
constexpr auto order_timeout_after = std::chrono::milliseconds{4}; // 200 ticks of market time

struct tick {
    int symbol;
    double price;
};
struct order {
    std::uint64_t id;
    int symbol;
    int qty;
    double price;
}; // qty > 0 buys, < 0 sells
struct fill {
    std::uint64_t order_id;
    int symbol;
    int qty;
    double price;
};
struct order_timeout {
    std::uint64_t order_id;
    int symbol;
};
struct fair_value_query {
    int symbol;
    using result_type = double;
};

// The stable names the journal knows the events by.
template<>
struct evbus::event_traits<tick> {
    static constexpr std::string_view name = "trading_loop.tick";
    static constexpr std::uint32_t version = 1;
};
template<>
struct evbus::event_traits<fill> {
    static constexpr std::string_view name = "trading_loop.fill";
    static constexpr std::uint32_t version = 1;
};
template<>
struct evbus::event_traits<order_timeout> {
    static constexpr std::string_view name = "trading_loop.order_timeout";
    static constexpr std::uint32_t version = 1;
};

// Recent prices per symbol; updated by a tick handler and read by the model, both on the main thread.
struct book {
    std::array<std::array<double, history>, symbols> prices{};
    std::array<std::size_t, symbols> count{};
    void on(const tick &t) { prices[t.symbol][count[t.symbol]++ % history] = t.price; }
    double last(int s) const { return prices[s][(count[s] + history - 1) % history]; }
    double fair_value(int s) const { // the "expensive" model: exponentially weighted mean price
        double sum = 0.0, weights = 0.0, w = 1.0;
        for(std::size_t i = 0; i < std::min(count[s], history); ++i, w *= 0.9) {
            sum += w * prices[s][(count[s] + history - 1 - i) % history];
            weights += w;
        }
        return sum / weights;
    }
};

// The fair-value responder: evbus::memoize over a TTL cache, answering from the book.
auto make_fair_value(const book &prices) {
    return evbus::memoize(
        evbus::cache<int, double, evbus::ttl<>>{symbols, std::chrono::milliseconds{20}},
        [&prices](const fair_value_query &q) { return prices.fair_value(q.symbol); },
        [](const fair_value_query &q) { return q.symbol; });
}

// What the strategy's side of the market bus needs, wired the same way live and in a backtest: the
// book and the fair-value responder. Handlers of a tick, in order: the eviction, the book (priority
// 100), the strategy, the eviction again (evict_on runs before and after every other handler:
// docs/queries.md).
struct desk {
    explicit desk(evbus::bus &market)
        : responder{market.respond<fair_value_query>(std::ref(fair_value))},
          invalidate{evbus::evict_on<tick>(market, fair_value.cache(), [](const tick &t) { return t.symbol; })},
          book_updates{market.subscribe<tick>([this](const tick &t) { prices.on(t); }, 100)} {}
    book prices;
    decltype(make_fair_value(prices)) fair_value = make_fair_value(prices);
    evbus::subscription responder, invalidate, book_updates;
};

// Pairs trading: buy a symbol that is cheap against its fair value relative to its partner, sell a
// rich one; one working order per symbol at a time, |position| <= 100. Runs on the main thread.
struct strategy: evbus::subscriber<strategy, tick, fill, order_timeout> {
    strategy(evbus::bus &market_bus, evbus::bus &exec_bus, const book &b, evbus::scheduler<market_clock> &t)
        : subscriber(market_bus), market{market_bus}, orders_out{exec_bus}, prices{b}, timers{t} {}
    void on(const tick &t) {
        ++ticks;
        market_clock::advance(tick_time);
        const int partner = t.symbol ^ 1;
        if(working[t.symbol] != 0u || prices.count[partner] == 0) {
            return;
        }
        const double fv = market.request(fair_value_query{t.symbol});        // a miss: this tick evicted it
        const double fv_partner = market.request(fair_value_query{partner}); // usually a hit
        const double rich = t.price / fv - prices.last(partner) / fv_partner;
        const int qty = rich > 0.0005 ? -10 : rich < -0.0005 ? 10 : 0;
        if(qty != 0 && std::abs(position[t.symbol] + qty) <= 100 &&
           orders_out.post(order{orders + 1u, t.symbol, qty, t.price})) {
            working[t.symbol] = ++orders;
            // Stop waiting for it after a while; assigning the handle drops the previous order's
            // timer, which had already ended (its order was filled or timed out).
            timeout[t.symbol] = timers.post_after(order_timeout_after, order_timeout{orders, t.symbol});
        }
    }
    void on(const fill &f) {
        ++fills;
        position[f.symbol] += f.qty;
        if(working[f.symbol] == f.order_id) {
            working[f.symbol] = 0u;
            // true: the timeout was still to come and now will not; false: it is already queued
            // and will find the order filled.
            timeouts_cancelled += timeout[f.symbol].cancel() ? 1u : 0u;
        } else {
            ++late_fills; // its order had timed out: the strategy had stopped waiting for it
        }
    }
    void on(const order_timeout &t) {
        if(working[t.symbol] == t.order_id) {
            working[t.symbol] = 0u; // give up on it: the next tick may trade the symbol again
            ++timeouts;
        } else {
            ++stale_timeouts; // the fill came first, after the timeout was posted
        }
    }
    evbus::bus &market;
    evbus::publisher<order> orders_out;
    const book &prices;
    evbus::scheduler<market_clock> &timers;
    std::array<std::uint64_t, symbols> working{}; // the order waited for, per symbol (0: none)
    std::array<evbus::timer, symbols> timeout;
    std::array<int, symbols> position{};
    std::uint64_t ticks = 0, orders = 0, fills = 0, late_fills = 0;
    std::uint64_t timeouts = 0, stale_timeouts = 0, timeouts_cancelled = 0;
};

// Execution simulator on the worker thread that dispatches the execution bus: fills each order at its
// price and posts the fill back to the market bus (waiting while that bus is full).
struct exchange: evbus::subscriber<exchange, order> {
    exchange(evbus::bus &exec_bus, evbus::bus &market_bus): subscriber(exec_bus), fills_out{market_bus} {}
    ~exchange() { unsubscribe(); }
    void on(const order &o) {
        if(fills_out.post(fill{o.id, o.symbol, o.qty, o.price})) {
            ++sent;
        } else {
            ++lost; // the market bus was closed: only when main gives up
        }
    }
    evbus::publisher<fill> fills_out;
    std::uint64_t sent = 0, lost = 0; // read by main once the worker has stopped
};

// Posts `rate` ticks per second (0: as fast as the queue takes them) for `seconds`; `accepted` is
// read by main after the join.
void market_data(evbus::bus &bus, double seconds, double rate, std::atomic<bool> &done, std::uint64_t &accepted) {
    evbus::publisher<tick> feed{bus};
    std::array<double, symbols> px;
    px.fill(100.0);
    std::mt19937 rng{2024};
    std::uniform_int_distribution<int> pick{0, symbols - 1};
    std::uniform_real_distribution<double> move{-1e-3, 1e-3};
    std::uint64_t issued = 0;
    const auto start = steady::now();
    for(auto now = start; now - start < std::chrono::duration<double>(seconds); now = steady::now()) {
        const double elapsed = std::chrono::duration<double>(now - start).count();
        const auto due =
            rate > 0.0 ? std::min(static_cast<std::uint64_t>(rate * elapsed), issued + 1024u) : issued + 1024u;
        for(; issued < due; ++issued) {
            const int s = pick(rng);
            px[s] += px[s] * move(rng) + 0.01 * (100.0 - px[s]); // mean-reverting random walk
            accepted += feed.post(tick{s, px[s]}) ? 1u : 0u;
        }
        if(rate > 0.0) {
            std::this_thread::sleep_for(std::chrono::milliseconds{1});
        }
    }
    done.store(true, std::memory_order_release);
}

// What the strategy ends a session with; a backtest of the session's journal must end the same.
struct strategy_state {
    std::array<int, symbols> position{};
    std::array<std::uint64_t, symbols> working{};
    std::uint64_t ticks = 0, orders = 0, fills = 0, late_fills = 0, timeouts = 0, stale_timeouts = 0;
    bool operator==(const strategy_state &o) const {
        return position == o.position && working == o.working && ticks == o.ticks && orders == o.orders &&
               fills == o.fills && late_fills == o.late_fills && timeouts == o.timeouts &&
               stale_timeouts == o.stale_timeouts;
    }
};

strategy_state state_of(const strategy &s) {
    return strategy_state{s.position, s.working,    s.ticks,    s.orders,
                          s.fills,    s.late_fills, s.timeouts, s.stale_timeouts};
}

void print_state(const char *what, const strategy_state &st) {
    fmt::print("{}: {} ticks, {} orders, {} fills ({} late), {} timeouts ({} stale); positions", what, st.ticks,
               st.orders, st.fills, st.late_fills, st.timeouts, st.stale_timeouts);
    for(const int p: st.position) {
        fmt::print(" {}", p);
    }
    fmt::print("\n");
}

// Replays a recorded session through the strategy, wired as live (the same desk), on this thread. The
// orders it sends go to an execution bus that nobody dispatches: the fills come from the journal, as
// do the timeouts; the strategy's own timers are never polled. False if the journal is damaged.
bool backtest(const std::string &path, strategy_state &out) {
    evbus::bus market;
    evbus::bus exec;
    desk side{market};
    market_clock::reset();
    evbus::scheduler<market_clock> timers{market};
    strategy strat{market, exec, side.prices, timers};
    evbus::journal_reader journal{path};
    const std::size_t replayed = journal.replay(market);
    const evbus::journal_reader_stats &st = journal.stats();
    fmt::print("backtest   : {} events replayed from {} ({} unknown, {} malformed, {} corrupt bytes)\n", replayed, path,
               st.unknown, st.malformed, st.corrupt_bytes);
    out = state_of(strat);
    return st.corrupt_bytes == 0u && st.unknown == 0u && st.malformed == 0u && exec.stats().posted == strat.orders;
}

constexpr const char *usage = "usage: trading_loop [seconds] [ticks_per_second] [journal]\n"
                              "       trading_loop --backtest journal\n"
                              "  seconds:          run time, 0.001 to 600, fractions allowed (default 2)\n"
                              "  ticks_per_second: 0 (as fast as possible) to 1e7 (default 50000)\n"
                              "  journal:          where the session is recorded (default: a temporary file)\n";

// Reads argv[i], when given, into out; false (after saying why) unless it is a number in [min, max].
bool parse_arg(int argc, char **argv, int i, const char *name, double min, double max, double &out) {
    char *end = nullptr;
    errno = 0;
    const double value = i < argc ? std::strtod(argv[i], &end) : out;
    if(i < argc &&
       (end == argv[i] || *end != '\0' || errno == ERANGE || !std::isfinite(value) || value < min || value > max)) {
        std::fprintf(stderr, "trading_loop: %s must be a number from %.10g to %.10g, not '%s'\n%s", name, min, max,
                     argv[i], usage);
        return false;
    }
    out = value;
    return true;
}

int main(int argc, char **argv) {
    double seconds = 2.0, rate = 50000.0;
    if(argc > 1 && std::string{argv[1]} == "--backtest") {
        if(argc != 3) {
            std::fprintf(stderr, "trading_loop: --backtest takes one journal\n%s", usage);
            return 2;
        }
        strategy_state replayed;
        const bool whole = backtest(argv[2], replayed);
        print_state("backtest", replayed);
        return whole ? 0 : 1;
    }
    if(argc > 4) {
        std::fprintf(stderr, "trading_loop: too many arguments\n%s", usage);
        return 2;
    }
    if(!parse_arg(argc, argv, 1, "seconds", 0.001, 600.0, seconds) ||
       !parse_arg(argc, argv, 2, "ticks_per_second", 0.0, 1e7, rate)) {
        return 2;
    }
    const bool keep_journal = argc > 3;
    const std::string journal_path =
        keep_journal ? std::string{argv[3]} : "/tmp/trading_loop_" + std::to_string(::getpid()) + ".evj";

    evbus::bus_config config;
    config.capacity = 4096;
    config.overflow = evbus::overflow_policy::block; // the feed waits for room instead of dropping ticks
    evbus::bus market{config};
    evbus::bus exec; // unbounded: the strategy never waits on the exchange

    desk side{market};
    const book &prices = side.prices;
    auto &fair_value = side.fair_value;
    // The session as the strategy sees it: what the market bus delivers, recorded before any handler.
    evbus::journal_writer journal{journal_path};
    const evbus::subscription recorded[] = {journal.record<tick>(market), journal.record<fill>(market),
                                            journal.record<order_timeout>(market)};
    market_clock::reset();
    evbus::scheduler<market_clock> timers{market}; // order timeouts are posted to the strategy's bus
    strategy strat{market, exec, prices, timers};
    exchange venue{exec, market};
    evbus::worker venue_thread{exec};

    std::atomic<bool> feed_done{false};
    std::uint64_t ticks_accepted = 0;
    std::thread feed{market_data, std::ref(market), seconds, rate, std::ref(feed_done), std::ref(ticks_accepted)};

    const auto start = steady::now();
    const auto give_up = start + std::chrono::duration<double>(seconds) + std::chrono::seconds{60}; // hang guard only
    auto last_report = start;
    std::uint64_t ticks_before = 0;
    const auto report = [&](steady::time_point now) { // main thread only: the strategy's counters are its own
        const double interval = std::chrono::duration<double>(now - last_report).count();
        fmt::print("{:6.2f} s  {:>9.0f} ticks/s  depth {:>5}  fair-value hit ratio {:.3f}  orders {:>7}  fills {:>7}\n",
                   std::chrono::duration<double>(now - start).count(),
                   static_cast<double>(strat.ticks - ticks_before) / interval, market.stats().pending,
                   fair_value.cache().stats().hit_ratio(), strat.orders, strat.fills);
        last_report = now;
        ticks_before = strat.ticks;
    };
    bool finished = false;
    for(;;) {
        const std::size_t delivered = market.dispatch(1024) + timers.poll(); // ticks moved market time
        const auto now = steady::now();
        if(now - last_report >= std::chrono::seconds{1}) {
            report(now);
        }
        if(delivered != 0) {
            continue;
        }
        if(feed_done.load(std::memory_order_acquire) && market.stats().pending == 0 && strat.fills == strat.orders &&
           timers.stats().pending == 0) {
            finished = true;
            break;
        }
        if(now > give_up) {
            fmt::print(stderr, "trading_loop: still not drained a minute after the feed stopped; giving up\n");
            break;
        }
        (void)market.wait_for(std::chrono::milliseconds{1});
    }
    if(steady::now() - last_report >= std::chrono::milliseconds{100}) {
        report(steady::now()); // the last, partial second
    }
    const double run_time = std::chrono::duration<double>(steady::now() - start).count();
    market.close(); // releases the exchange if it is waiting for room (only when giving up)
    venue_thread.stop();
    feed.join();

    const evbus::queue_stats market_stats = market.stats(), exec_stats = exec.stats();
    const evbus::timer_stats timer_stats = timers.stats();
    fmt::print("\n{} ticks in {:.2f} s ({:.0f}/s); {} orders, {} fills\n", strat.ticks, run_time,
               static_cast<double>(strat.ticks) / run_time, strat.orders, strat.fills);
    fmt::print("market bus : {}\nexec bus   : {}\nfair value : {}\n", market_stats, exec_stats,
               fair_value.cache().stats());
    fmt::print("timeouts   : {} cancelled by their fill, {} timed out ({} fills came later), {} found the order "
               "filled, {} refused by the full market bus\n",
               strat.timeouts_cancelled, strat.timeouts, strat.late_fills, strat.stale_timeouts, timer_stats.rejected);

    // A timer's post into the full market bus is refused and counted (timer_stats.rejected), never
    // lost; ticks are never refused (overflow_policy::block).
    const bool ok = finished && market_stats.pending == 0 && market_stats.rejected <= timer_stats.rejected &&
                    market_stats.delivered == market_stats.posted &&
                    market_stats.posted == ticks_accepted + venue.sent + timer_stats.posted &&
                    strat.ticks == ticks_accepted && timer_stats.scheduled == strat.orders &&
                    timer_stats.posted + timer_stats.rejected + timer_stats.cancelled == strat.orders &&
                    timer_stats.cancelled == strat.timeouts_cancelled &&
                    timer_stats.posted == strat.timeouts + strat.stale_timeouts && strat.late_fills <= strat.timeouts &&
                    strat.fills == strat.orders && venue.sent == strat.orders && venue.lost == 0 &&
                    exec_stats.posted == strat.orders && exec_stats.delivered == exec_stats.posted;
    if(!ok) {
        fmt::print(stderr, "FAILED: ticks posted {} / seen {}, orders {}, fills {}, fills lost {}\n", ticks_accepted,
                   strat.ticks, strat.orders, strat.fills, venue.lost);
        return 1;
    }
    fmt::print("OK: every tick delivered, every order filled, every timeout cancelled or delivered\n");

    // Backtest: the recorded session, replayed through the same strategy, must end in the same state.
    if(!journal.try_flush()) {
        fmt::print(stderr, "FAILED: the journal could not be written: {} write errors\n", journal.stats().write_errors);
        return 1;
    }
    const evbus::journal_writer_stats journal_stats = journal.stats();
    fmt::print("journal    : {} events, {} bytes in {}\n", journal_stats.records, journal_stats.bytes, journal_path);
    const strategy_state live = state_of(strat);
    strategy_state replayed;
    const bool whole = backtest(journal_path, replayed);
    if(!keep_journal) {
        std::remove(journal_path.c_str());
    }
    print_state("live    ", live);
    print_state("backtest", replayed);
    if(!whole || !(replayed == live) || journal_stats.records != market_stats.delivered) {
        fmt::print(stderr, "FAILED: the backtest did not end in the live session's state\n");
        return 1;
    }
    fmt::print("OK: the backtest of the recorded session ends in the live session's state\n");
    return 0;
}
