// game_loop: a 60 Hz fixed-timestep game loop fed by two producer threads through one evbus::bus.
//
// Shows: an input thread and an asset-loader thread posting events, each through its own
// evbus::publisher; systems (physics, audio, ui) subscribed with priorities through
// evbus::subscriber (higher runs first); a per-frame dispatch budget; back-pressure from a bounded
// queue (overflow_policy::reject: input bursts are dropped, loaded assets are retried); frame-time
// and queue statistics; timers on game time (an evbus::scheduler over an evbus::manual_clock that
// advances one frame step per frame): an enemy spawn every 30 frames, and an ability cool-down
// that a power-up cancels before it ends. Ends by checking that every accepted event was delivered,
// in priority order, and that every timer occurrence was delivered or counted as rejected.
// Usage: game_loop [frames]   (default 120 frames, about 2 s)

#include <evbus/evbus.hpp>
#include <evbus/fmt.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using steady = std::chrono::steady_clock;

struct key_pressed {
    int key;
};
struct asset_loaded {
    std::string path;
    std::size_t bytes;
}; // holds a std::string: queued on the heap

struct spawn_enemy {
    int kind;
};
struct cooldown_over {
    int ability;
};
struct game_time; // tag of the game's clock: time moves one frame step per frame, however long frames take
using game_clock = evbus::manual_clock<game_time>;

constexpr std::size_t queue_capacity = 64; // small on purpose, so that input bursts overflow it
constexpr std::size_t frame_budget = 32;   // at most this many events are delivered per frame
constexpr long max_frames = 36000;         // 10 minutes at 60 Hz
constexpr auto frame_step = std::chrono::microseconds{16667};
constexpr double dt = 1.0 / 60.0;
constexpr long spawn_every = 30;    // frames between enemy spawns
constexpr long cooldown = 90;       // frames the ability cool-down would last
constexpr long power_up_frame = 45; // a power-up ends the cool-down early: its timer is cancelled

// Systems run on the main thread only (dispatch calls handlers on the dispatching thread),
// so their state needs no synchronization.
struct physics: evbus::subscriber<physics, key_pressed> {
    explicit physics(evbus::bus &bus): subscriber(bus, 100) {}
    void on(const key_pressed &k) {
        ++keys;
        velocity += k.key == ' ' ? 5.0 : 0.5;
    }
    void step() {
        position += velocity * dt;
        velocity *= 0.98;
    }
    std::uint64_t keys = 0;
    double velocity = 0.0, position = 0.0;
};

struct audio: evbus::subscriber<audio, key_pressed, asset_loaded> {
    explicit audio(evbus::bus &bus): subscriber(bus, 50) {}
    void on(const key_pressed &) { ++keys; }
    void on(const asset_loaded &a) { sounds += a.path.compare(0, 7, "sounds/") == 0 ? 1 : 0; }
    std::uint64_t keys = 0, sounds = 0;
};

struct ui: evbus::subscriber<ui, key_pressed, asset_loaded> {
    ui(evbus::bus &bus, const physics &p, const audio &a): subscriber(bus, 0), phys{p}, aud{a} {}
    void on(const key_pressed &) {
        ++keys;
        order_errors += (phys.keys == keys && aud.keys == keys) ? 0 : 1; // higher priorities ran first
    }
    void on(const asset_loaded &a) {
        ++assets;
        bytes += a.bytes;
    }
    const physics &phys;
    const audio &aud;
    std::uint64_t keys = 0, assets = 0, bytes = 0, order_errors = 0;
};

// Written by one producer thread, read by main only after joining it.
struct producer_counts {
    std::uint64_t accepted = 0, rejected = 0;
};

void input_thread(evbus::bus &bus, const std::atomic<bool> &stop, producer_counts &out) {
    evbus::publisher<key_pressed> input{bus}; // this thread's own producer token
    for(int poll = 0; !stop.load(std::memory_order_acquire); ++poll) {
        const int burst = poll % 100 == 99 ? 150 : 1; // a key mash now and then overflows the queue
        for(int i = 0; i < burst; ++i) {
            const int key = (poll + i) % 27 == 0 ? ' ' : 'a' + (poll + i) % 26;
            if(input.post(key_pressed{key})) {
                ++out.accepted;
            } else {
                ++out.rejected; // queue full: this key press is dropped
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{2});
    }
}

void loader_thread(evbus::bus &bus, const std::atomic<bool> &stop, producer_counts &out) {
    evbus::publisher<asset_loaded> loader{bus};
    const char *const kinds[] = {"textures/tile", "sounds/step", "meshes/rock"};
    for(int i = 0; i < 60 && !stop.load(std::memory_order_acquire); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{10}); // simulated disk read
        const asset_loaded asset{fmt::format("{}_{:02}.bin", kinds[i % 3], i), 4096u * static_cast<std::size_t>(i + 1)};
        while(!loader.post(asset)) { // queue full: a loaded asset is never dropped, retry shortly
            ++out.rejected;
            if(stop.load(std::memory_order_acquire)) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{1});
        }
        ++out.accepted;
    }
}

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
    return values[std::min(values.size(), std::max<std::size_t>(rank, 1u)) - 1u];
}

double mean(const std::vector<double> &values) {
    double sum = 0.0;
    for(double v: values) {
        sum += v;
    }
    return sum / static_cast<double>(values.size());
}

constexpr const char *usage =
    "usage: game_loop [frames]\n  frames: 60 Hz logic frames to run, 1 to 36000 (default 120, about 2 s)\n";

int main(int argc, char **argv) {
    long frames = 120;
    if(argc > 2) {
        std::fprintf(stderr, "game_loop: too many arguments\n%s", usage);
        return 2;
    }
    if(argc == 2) {
        char *end = nullptr;
        errno = 0;
        frames = std::strtol(argv[1], &end, 10);
        if(end == argv[1] || *end != '\0' || errno == ERANGE || frames < 1 || frames > max_frames) {
            std::fprintf(stderr, "game_loop: frames must be a whole number from 1 to %ld, not '%s'\n%s", max_frames,
                         argv[1], usage);
            return 2;
        }
    }

    evbus::bus_config config;
    config.capacity = queue_capacity;
    config.overflow = evbus::overflow_policy::reject; // a full queue refuses posts at once
    evbus::bus bus{config};
    physics phys{bus};
    audio aud{bus};
    ui hud{bus, phys, aud};

    std::atomic<bool> stop{false};
    producer_counts input_counts, loader_counts;
    std::thread input{input_thread, std::ref(bus), std::cref(stop), std::ref(input_counts)};
    std::thread loader{loader_thread, std::ref(bus), std::cref(stop), std::ref(loader_counts)};

    // Game timers: the scheduler posts into the same bus, so a spawn can be refused by a full queue
    // like any post; it is then counted in the scheduler's stats().rejected, never lost silently.
    evbus::scheduler<game_clock> timers{bus};
    std::uint64_t spawns = 0, cooldowns_over = 0;
    const evbus::subscription on_spawn = bus.subscribe<spawn_enemy>([&spawns](const spawn_enemy &) { ++spawns; });
    const evbus::subscription on_cooldown =
        bus.subscribe<cooldown_over>([&cooldowns_over](const cooldown_over &) { ++cooldowns_over; });
    const evbus::timer spawner = timers.post_every(spawn_every * frame_step, spawn_enemy{1});
    evbus::timer ability = timers.post_after(cooldown * frame_step, cooldown_over{7});
    bool cooldown_cancelled = false;

    std::vector<double> work_us, late_us; // time spent in each frame; how late each frame started
    std::size_t most_in_a_frame = 0, full_frames = 0, late_frames = 0;
    std::uint64_t delivered_before = 0;
    const auto start = steady::now();
    auto next = start;
    for(long frame = 1; frame <= frames; ++frame) {
        std::this_thread::sleep_until(next);
        const auto begin = steady::now();
        game_clock::advance(frame_step);
        timers.poll(); // posts what is due this frame: it is delivered by this frame's dispatch
        if(frame == power_up_frame) {
            cooldown_cancelled = ability.cancel(); // true: it had not ended, and now never will
        }
        const std::size_t delivered = bus.dispatch(frame_budget); // the frame's share of the queue
        phys.step();
        const auto done = steady::now();
        work_us.push_back(std::chrono::duration<double, std::micro>(done - begin).count());
        late_us.push_back(std::chrono::duration<double, std::micro>(begin - next).count());
        most_in_a_frame = std::max(most_in_a_frame, delivered);
        full_frames += delivered == frame_budget ? 1 : 0;
        if(frame % 60 == 0) {
            const evbus::queue_stats s = bus.stats();
            fmt::print("frame {:>5}  delivered {:>4} in the last 60 frames  pending {:>2}  rejected so far {:>5}\n",
                       frame, s.delivered - delivered_before, s.pending, s.rejected);
            delivered_before = s.delivered;
        }
        next += frame_step;
        if(done > next) { // fell behind: start the next frame now rather than bursting to catch up
            ++late_frames;
            next = done;
        }
    }
    const double seconds = std::chrono::duration<double>(steady::now() - start).count();

    stop.store(true, std::memory_order_release);
    input.join();
    loader.join();
    const std::size_t leftover = bus.dispatch(); // what the producers left in the queue
    const evbus::queue_stats stats = bus.stats();
    const evbus::timer_stats timer_stats = timers.stats();

    fmt::print("\n{} frames in {:.2f} s; {} frames used the whole budget of {}, {} ran late\n", frames, seconds,
               full_frames, frame_budget, late_frames);
    fmt::print("frame time    (us): mean {:8.1f}  p99 {:8.1f}  max {:8.1f}\n", mean(work_us), percentile(work_us, 0.99),
               percentile(work_us, 1.0));
    fmt::print("start latency (us): mean {:8.1f}  p99 {:8.1f}  max {:8.1f}\n", mean(late_us), percentile(late_us, 0.99),
               percentile(late_us, 1.0));
    fmt::print("input : {} keys accepted, {} dropped on a full queue\n", input_counts.accepted, input_counts.rejected);
    fmt::print("loader: {} assets accepted, {} retries on a full queue\n", loader_counts.accepted,
               loader_counts.rejected);
    fmt::print("ui    : {} keys, {} assets ({} KiB, {} sounds); physics position {:.1f}\n", hud.keys, hud.assets,
               hud.bytes / 1024u, aud.sounds, phys.position);
    fmt::print("queue : {} ({} drained after the loop)\n", stats, leftover);
    fmt::print("timers: {} spawns delivered, {} refused by a full queue; cool-down {}\n", spawns, timer_stats.rejected,
               cooldown_cancelled ? "cancelled by the power-up" : "still running");

    const bool ok = stats.pending == 0 && stats.discarded == 0 && stats.delivered == stats.posted &&
                    stats.posted == input_counts.accepted + loader_counts.accepted + timer_stats.posted &&
                    stats.rejected == input_counts.rejected + loader_counts.rejected + timer_stats.rejected &&
                    spawns == timer_stats.posted && cooldowns_over == 0 &&
                    timer_stats.posted + timer_stats.rejected == static_cast<std::uint64_t>(frames / spawn_every) &&
                    timer_stats.skipped == 0 && cooldown_cancelled == (frames >= power_up_frame) &&
                    hud.keys == input_counts.accepted && hud.assets == loader_counts.accepted &&
                    hud.order_errors == 0 && most_in_a_frame <= frame_budget;
    if(!ok) {
        fmt::print(stderr, "FAILED: accepted events and deliveries do not match (ui order errors: {})\n",
                   hud.order_errors);
        return 1;
    }
    fmt::print("OK: every accepted event was delivered once, physics > audio > ui, within the frame budget; every "
               "spawn delivered or counted\n");
    return 0;
}
