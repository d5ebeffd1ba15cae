#ifndef EVBUS_CACHE_WTINYLFU_HPP
#define EVBUS_CACHE_WTINYLFU_HPP

/// @file
/// @brief evbus::wtinylfu: Window TinyLFU, a small LRU window in front of a segmented LRU whose
/// admission is decided by a frequency sketch.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <vector>

#include "../config.hpp"
#include "frequency_sketch.hpp"
#include "slot_list.hpp"

namespace evbus {

/// @brief Settings of evbus::wtinylfu (also named evbus::wtinylfu::config).
struct wtinylfu_config {
    /// @brief Share of the capacity given to the window (at least one entry); where an adaptive
    /// window starts.
    double window{0.01};
    /// @brief Share of the main region given to the protected segment.
    double protected_share{0.8};
    /// @brief Seed of the random admission of warm candidates.
    std::uint64_t seed{0x5eed5eed5eed5eedu};
    /// @brief Whether the window's share follows the workload: small simulations of the policy with
    /// other windows run on a sample of the keys, and the window moves to the share of the one that
    /// hits most. docs/cache.md shows what it wins and what it costs.
    bool adaptive{false};
};

namespace detail {

/// @brief splitmix64: one state word, good enough for the 1-in-128 admission draw.
struct wtinylfu_random {
    std::uint64_t state;

    /// @brief The next draw.
    [[nodiscard]] std::uint64_t next() noexcept {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30u)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27u)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31u);
    }
};

/// @brief The three LRU regions of W-TinyLFU over a range of slots and the admission decision:
/// the policy keeps one over the cache's slots and one per simulation of an adaptive window.
class wtinylfu_regions {
public:
    /// @brief Which part of the policy an entry is in (evbus::wtinylfu::region).
    enum class region : std::uint8_t { window, probation, protected_segment };

    /// @brief Regions for the slots [0, slots), holding at most capacity entries.
    wtinylfu_regions(std::size_t slots, std::size_t capacity, double window, double protected_share)
        : lists_{slot_list{slots}, slot_list{slots}, slot_list{slots}}, where_(slots, region::window),
          hashes_(slots, 0u), capacity_{capacity == 0u ? 1u : capacity}, protected_share_{protected_share} {
        resize_window(window_for(window));
    }

    /// @brief A new entry enters the window; the window's and protected segment's overflow moves on.
    void insert(std::size_t slot, std::size_t hash) noexcept {
        hashes_[slot] = hash;
        push(slot, region::window);
        // Two moves at most: after the window shrank, it reaches its new share one entry per insert.
        for(int moves = 0; moves < 2 && sizes_[index(region::window)] > window_max_; ++moves) {
            move(list(region::window).front(), region::probation);
        }
        for(int moves = 0; moves < 2 && sizes_[index(region::protected_segment)] > protected_max_; ++moves) {
            move(list(region::protected_segment).front(), region::probation);
        }
    }

    /// @brief A hit refreshes the entry in its segment, or promotes it from probation.
    EVBUS_ALWAYS_INLINE void access(std::size_t slot) noexcept {
        const region at = where_[slot];
        if(at != region::probation) {
            list(at).move_to_back(slot);
            return;
        }
        move(slot, region::protected_segment);
        if(sizes_[index(region::protected_segment)] > protected_max_) {
            move(list(region::protected_segment).front(), region::probation);
        }
    }

    /// @brief The entry leaves its segment.
    void erase(std::size_t slot) noexcept {
        const region at = where_[slot];
        list(at).erase(slot);
        --sizes_[index(at)];
    }

    /// @brief The slot to evict: the window's least recent entry (the candidate) against the main
    /// region's victim; the loser goes, a winning candidate moves to probation.
    [[nodiscard]] std::size_t victim(const frequency_sketch &sketch, wtinylfu_random &random) noexcept {
        const std::size_t main_victim = main_victim_slot();
        const bool window_full = sizes_[index(region::window)] >= window_max_;
        if(!window_full || sizes_[index(region::window)] == 0u) {
            return main_victim != slot_list::npos ? main_victim : list(region::window).front();
        }
        const std::size_t candidate = list(region::window).front();
        if(main_victim == slot_list::npos) {
            return candidate;
        }
        if(admit(sketch, random, hashes_[candidate], hashes_[main_victim])) {
            move(candidate, region::probation);
            return main_victim;
        }
        return candidate;
    }

    /// @brief Empties the regions.
    void clear() noexcept {
        for(slot_list &l: lists_) {
            l.clear();
        }
        sizes_[0] = sizes_[1] = sizes_[2] = 0u;
    }

    /// @brief Gives the window at most @p window entries (at least one, at most capacity - 1 when
    /// the capacity allows); the protected segment keeps its share of the rest.
    void resize_window(std::size_t window) noexcept {
        const std::size_t highest = capacity_ > 1u ? capacity_ - 1u : 1u;
        window_max_ = window == 0u ? 1u : (window > highest ? highest : window);
        protected_max_ = static_cast<std::size_t>(static_cast<double>(capacity_ - window_max_) * protected_share_);
    }

    /// @brief Entries of a window with the share @p share: the capacity less the main region's
    /// share rounded down (Caffeine's rounding: 2 entries of 141 at 1%).
    [[nodiscard]] std::size_t window_for(double share) const noexcept {
        return capacity_ - static_cast<std::size_t>(static_cast<double>(capacity_) * (1.0 - share));
    }

    /// @brief The hash the entry in a slot was inserted with.
    [[nodiscard]] std::size_t hash(std::size_t slot) const noexcept { return hashes_[slot]; }
    /// @brief The region of the entry in a slot.
    [[nodiscard]] region region_of(std::size_t slot) const noexcept { return where_[slot]; }
    /// @brief The slots of a region, from least to most recently used.
    [[nodiscard]] const slot_list &order(region r) const noexcept { return lists_[index(r)]; }
    /// @brief Number of entries in a region.
    [[nodiscard]] std::size_t size(region r) const noexcept { return sizes_[index(r)]; }
    /// @brief Number of entries in all regions.
    [[nodiscard]] std::size_t size() const noexcept { return sizes_[0] + sizes_[1] + sizes_[2]; }
    /// @brief Most entries the regions hold.
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    /// @brief Most entries the window holds now.
    [[nodiscard]] std::size_t window_capacity() const noexcept { return window_max_; }
    /// @brief Most entries the protected segment holds now.
    [[nodiscard]] std::size_t protected_capacity() const noexcept { return protected_max_; }

private:
    [[nodiscard]] static constexpr std::size_t index(region r) noexcept { return static_cast<std::size_t>(r); }
    [[nodiscard]] slot_list &list(region r) noexcept { return lists_[index(r)]; }

    void push(std::size_t slot, region to) noexcept {
        where_[slot] = to;
        list(to).push_back(slot);
        ++sizes_[index(to)];
    }

    void move(std::size_t slot, region to) noexcept {
        erase(slot);
        push(slot, to);
    }

    // Probation's least recent entry; protected's when probation is empty.
    [[nodiscard]] std::size_t main_victim_slot() const noexcept {
        if(sizes_[index(region::probation)] != 0u) {
            return lists_[index(region::probation)].front();
        }
        if(sizes_[index(region::protected_segment)] != 0u) {
            return lists_[index(region::protected_segment)].front();
        }
        return slot_list::npos;
    }

    [[nodiscard]] static bool admit(const frequency_sketch &sketch, wtinylfu_random &random, std::size_t candidate,
                                    std::size_t victim) noexcept {
        const std::uint32_t candidate_frequency = sketch.frequency(candidate);
        const std::uint32_t victim_frequency = sketch.frequency(victim);
        if(candidate_frequency > victim_frequency) {
            return true;
        }
        if(candidate_frequency <= 5u) {
            return false;
        }
        return (random.next() & 127u) == 0u;
    }

    slot_list lists_[3];
    std::size_t sizes_[3]{0u, 0u, 0u};
    std::vector<region> where_;
    std::vector<std::size_t> hashes_;
    std::size_t capacity_;
    double protected_share_;
    std::size_t window_max_{1u};
    std::size_t protected_max_{0u};
};

/// @brief A simulation of W-TinyLFU with a fixed window over the keys that hash into a sample: it
/// holds hashes only, and reads the real policy's sketch (which every configuration would fill the
/// same way, since every request is recorded once whatever the cache holds).
class wtinylfu_simulation {
public:
    /// @brief A simulated cache of @p capacity entries whose window has the share @p window.
    wtinylfu_simulation(std::size_t capacity, double window, double protected_share)
        : regions_{capacity, capacity, window, protected_share},
          table_(table_size(capacity), empty), shift_{64u - bit_width(table_.size() - 1u)} {}

    /// @brief Forgets every simulated entry.
    void clear() noexcept {
        regions_.clear();
        std::fill(table_.begin(), table_.end(), empty);
        used_ = 0u;
    }

    /// @brief Replays one request for a key of hash @p hash; true on a simulated hit.
    bool request(std::size_t hash, const frequency_sketch &sketch, wtinylfu_random &random) noexcept {
        std::size_t at = home(hash);
        for(; table_[at] != empty; at = (at + 1u) & mask()) {
            if(regions_.hash(table_[at]) == hash) {
                regions_.access(table_[at]);
                return true;
            }
        }
        std::uint32_t slot = static_cast<std::uint32_t>(used_);
        if(used_ == regions_.capacity()) {
            slot = static_cast<std::uint32_t>(regions_.victim(sketch, random));
            forget(regions_.hash(slot));
            regions_.erase(slot);
            at = home(hash);
            while(table_[at] != empty) {
                at = (at + 1u) & mask();
            }
        } else {
            ++used_;
        }
        table_[at] = slot;
        regions_.insert(slot, hash);
        return false;
    }

private:
    static constexpr std::uint32_t empty = ~std::uint32_t{0};

    [[nodiscard]] static std::size_t table_size(std::size_t capacity) noexcept {
        std::size_t size = 4u;
        while(size < 2u * capacity) {
            size *= 2u;
        }
        return size;
    }

    [[nodiscard]] std::size_t mask() const noexcept { return table_.size() - 1u; }

    [[nodiscard]] static unsigned bit_width(std::size_t x) noexcept {
        unsigned bits = 0u;
        for(; x != 0u; x >>= 1u) {
            ++bits;
        }
        return bits;
    }

    [[nodiscard]] std::size_t home(std::size_t hash) const noexcept {
        // The product's top bits: they depend on every bit of the hash (the middle ones do not on
        // its high bits, and keys that differ only there would share one home).
        return static_cast<std::size_t>((static_cast<std::uint64_t>(hash) * 0x9e3779b97f4a7c15u) >> shift_);
    }

    // Linear probing without tombstones: later entries of the run shift back into the hole.
    void forget(std::size_t hash) noexcept {
        std::size_t hole = home(hash);
        while(regions_.hash(table_[hole]) != hash) {
            hole = (hole + 1u) & mask();
        }
        for(std::size_t next = (hole + 1u) & mask(); table_[next] != empty; next = (next + 1u) & mask()) {
            const std::size_t wanted = home(regions_.hash(table_[next]));
            // Move the entry back when its home is not in (hole, next], cyclically.
            if(((next - wanted) & mask()) >= ((next - hole) & mask())) {
                table_[hole] = table_[next];
                hole = next;
            }
        }
        table_[hole] = empty;
    }

    wtinylfu_regions regions_;
    std::vector<std::uint32_t> table_;
    unsigned shift_; // 64 less the bits of a table position
    std::size_t used_{0u};
};

} // namespace detail

/// @brief Window TinyLFU (Einziger, Friedman and Manes): new entries enter a small LRU window; an
/// entry pushed out of the window joins the main region only if the sketch says it is used more
/// often than the entry the main region would evict.
/// @details The main region is a segmented LRU: entries enter its probation segment, a hit there
/// promotes them to the protected segment (about 80% of it), whose overflow goes back to probation.
/// Every hit and every new entry is recorded in a evbus::frequency_sketch, halved every ten times
/// capacity recordings, so frequencies follow the workload. A candidate no more frequent than its
/// victim is refused, except that a warm one (estimate above 5) gets in with a chance of 1 in 128:
/// without that, an attacker who knows the hash could keep a key out by inflating its victim's count
/// (Caffeine does the same). The randomness comes from config::seed, so a run is reproducible.
/// The sketch starts counting when the cache first holds half its capacity (counts from before are
/// dropped then), as Caffeine's does: until the cache is full every entry is admitted anyway, and
/// the keys of a cold start would otherwise outweigh the workload that follows (multi2 in
/// docs/cache.md: up to 0.019 more hits). clear() empties the regions and keeps the sketch: the
/// history is about keys, not entries.
///
/// With config::adaptive, simulations of the policy with windows of 1%, 10%, 30%, 60% and 99.9%
/// replay the requests of a sample of the keys (all of them up to 1,024 entries; then a share that
/// keeps each simulation at about 1,024 entries), and every epoch the window takes the share of the
/// simulation with the most hits, decayed by 7/8 each epoch, when it beats the current share's by
/// more than three standard deviations (Waldspurger et al., "Cache Modeling and Optimization using
/// Miniature Simulations", ATC 2017). The window starts at config::window. Once the current share
/// has hit at least as much as every other (and at least 64 times, decayed) for two epochs in a row,
/// the simulations sleep for four times the capacity in requests (an epoch is about three times
/// it), then twice as long each time the choice holds again, up to 128 times the capacity. On
/// waking they replay one simulation-size of sampled requests uncounted (their state is stale), and
/// the first epoch after a sleep can only keep them awake, not move the window. On a workload whose
/// best share is clear they run for a few percent of the requests (docs/cache.md); where shares tie
/// within noise they keep running. It costs memory for five small caches of hashes and, on the requests the
/// simulations see, five lookups. clear() also empties the simulations and wakes them.
struct wtinylfu {
    /// @brief Settings, passed after the capacity: `cache<K, V, wtinylfu>{capacity, config}`.
    using config = wtinylfu_config;

    /// @brief Which part of the policy an entry is in.
    using region = detail::wtinylfu_regions::region;

    /// @brief Per-cache state: the three LRU lists, the sketch and the hashes of the entries.
    template<typename Key>
    class type {
    public:
        /// @brief Builds the state for the slots [0, slots) (the cache's capacity plus its spare slot).
        explicit type(std::size_t slots, const config &settings = {})
            : regions_{slots, slots > 1u ? slots - 1u : 1u, checked(settings).window, settings.protected_share},
              sketch_{slots > 1u ? slots - 1u : 1u}, random_{settings.seed} {
            capacity_ = regions_.capacity();
            if(settings.adaptive && capacity_ >= 2u) {
                start_simulations(settings);
            }
        }

        /// @brief A new entry is recorded in the sketch and enters the window; when the window is over
        /// its share, its least recent entry moves to probation.
        void on_insert(std::size_t slot, const Key &, std::size_t hash) noexcept {
            if(EVBUS_UNLIKELY(!warm_) && regions_.size() + 1u >= capacity_ / 2u) {
                warm_ = true;
                sketch_.clear(); // what was counted while the cache filled up is forgotten (see below)
            }
            sketch_.increment(hash);
            regions_.insert(slot, hash);
            if(EVBUS_UNLIKELY(--countdown_ == 0u)) {
                observe(hash);
            }
        }

        /// @brief A hit is recorded; it refreshes the entry in its segment, or promotes it from probation.
        EVBUS_ALWAYS_INLINE void on_access(std::size_t slot) noexcept { on_access(slot, regions_.hash(slot)); }

        /// @brief on_access() with the key's hash, as the cache's lookup computed it.
        EVBUS_ALWAYS_INLINE void on_access(std::size_t slot, std::size_t hash) noexcept {
            sketch_.increment(hash);
            regions_.access(slot);
            if(EVBUS_UNLIKELY(--countdown_ == 0u)) {
                observe(hash);
            }
        }

        /// @brief The entry leaves its segment.
        void on_erase(std::size_t slot) noexcept { regions_.erase(slot); }

        /// @brief The slot to evict for a new entry: the window's least recent entry (the candidate)
        /// against the main region's victim; the loser goes, the winner stays (a winning candidate
        /// moves to probation).
        [[nodiscard]] std::size_t victim() noexcept { return regions_.victim(sketch_, random_); }

        /// @brief Empties the regions and the simulations; the sketch keeps its counts.
        void clear() noexcept {
            regions_.clear();
            for(detail::wtinylfu_simulation &simulation: simulations_) {
                simulation.clear();
            }
            std::fill(std::begin(hits_), std::end(hits_), std::uint64_t{0});
            requests_ = 0u;
            warming_ = 0u;
            calm_ = 0u;
            countdown_ = adaptive_ ? 1u : never;
        }

        /// @brief The region of the entry in a slot.
        [[nodiscard]] region region_of(std::size_t slot) const noexcept { return regions_.region_of(slot); }

        /// @brief The slots of a region, from least to most recently used.
        [[nodiscard]] const slot_list &order(region r) const noexcept { return regions_.order(r); }

        /// @brief Number of entries in a region.
        [[nodiscard]] std::size_t size(region r) const noexcept { return regions_.size(r); }

        /// @brief Most entries the window holds now (it moves when config::adaptive).
        [[nodiscard]] std::size_t window_capacity() const noexcept { return regions_.window_capacity(); }

        /// @brief Most entries the protected segment holds.
        [[nodiscard]] std::size_t protected_capacity() const noexcept { return regions_.protected_capacity(); }

        /// @brief Whether the adaptive window's simulations replay requests now: false while they
        /// sleep, and always false without config::adaptive.
        [[nodiscard]] bool simulating() const noexcept { return adaptive_ && countdown_ == 1u; }

        /// @brief The frequency sketch.
        [[nodiscard]] const frequency_sketch &sketch() const noexcept { return sketch_; }

    private:
        // The window shares the simulations try: from Caffeine's 1% to an LRU with a one-entry filter.
        static constexpr double shares[] = {0.01, 0.1, 0.3, 0.6, 0.999};
        static constexpr std::size_t share_count = sizeof(shares) / sizeof(shares[0]);
        static constexpr std::size_t simulated = 1024u; // entries of a simulation, at most
        static constexpr std::size_t never = ~std::size_t{0};
        static constexpr unsigned max_calm = 7u; // the longest sleep: 128 times the capacity in requests

        static const config &checked(const config &settings) {
            EVBUS_EXPECT(settings.window > 0.0 && settings.window < 1.0,
                         "evbus::wtinylfu: config::window must be in (0, 1)");
            EVBUS_EXPECT(settings.protected_share >= 0.0 && settings.protected_share < 1.0,
                         "evbus::wtinylfu: config::protected_share must be in [0, 1)");
            return settings;
        }

        void start_simulations(const config &settings) {
            std::size_t size = capacity_;
            if(capacity_ > simulated) { // a key is sampled when the top half of its mixed hash is under threshold_
                const double rate = static_cast<double>(simulated) / static_cast<double>(capacity_);
                threshold_ = static_cast<std::uint64_t>(rate * 4294967296.0);
                size = simulated;
            }
            simulations_.reserve(share_count);
            for(const double share: shares) {
                simulations_.emplace_back(size, share, settings.protected_share);
            }
            epoch_ = 3u * size;
            warm_up_ = size;
            adaptive_ = true;
            countdown_ = 1u;
            // The simulation nearest the configured window is the one the policy starts with.
            for(std::size_t i = 1; i < share_count; ++i) {
                const double d = shares[i] - settings.window, e = shares[current_] - settings.window;
                current_ = d * d < e * e ? i : current_;
            }
        }

        // Runs when countdown_ reaches zero: on every request while the simulations run, and at the
        // end of a sleep.
        [[gnu::noinline]] void observe(std::size_t hash) noexcept {
            if(!adaptive_) {
                countdown_ = never;
                return;
            }
            countdown_ = 1u;
            if(((static_cast<std::uint64_t>(hash) * 0xd6e8feb86659fd93u) >> 32u) >= threshold_) {
                return;
            }
            const std::uint64_t counted = warming_ == 0u ? 1u : 0u;
            for(std::size_t i = 0; i < share_count; ++i) {
                hits_[i] += simulations_[i].request(hash, sketch_, simulation_random_) ? counted : 0u;
            }
            if(counted == 0u) {
                --warming_;
            } else if(++requests_ == epoch_) {
                choose();
            }
        }

        // Every epoch (three times the simulations' size in sampled requests), the window takes the
        // share of the simulation with the most hits, if it beats the current one by more than three
        // standard deviations of a Poisson count: the traces of docs/cache.md are short, and a switch
        // on noise costs the hits of the entries the new shape evicts. Hits of past epochs count for
        // 7/8 as much each epoch, so a change of workload shows within a few epochs.
        void choose() noexcept {
            requests_ = 0u;
            std::size_t best = current_;
            const double now = static_cast<double>(hits_[current_]);
            for(std::size_t i = 0; i < share_count; ++i) {
                const double h = static_cast<double>(hits_[i]);
                if(h > static_cast<double>(hits_[best]) && (h - now) * (h - now) > 9.0 * (h + now)) {
                    best = i;
                }
            }
            if(best != current_ && calm_ >= 2u) {
                calm_ = 0u; // the first epoch after a sleep only wakes the simulations up
            } else if(best != current_) {
                current_ = best;
                regions_.resize_window(regions_.window_for(shares[best]));
                calm_ = 0u;
            } else if(settled()) {
                calm_ = calm_ < max_calm ? calm_ + 1u : calm_;
            } else {
                calm_ = 0u;
            }
            for(std::uint64_t &h: hits_) {
                h -= h / 8u;
            }
            if(calm_ >= 2u) {
                sleep(std::size_t{1} << (calm_ - 2u));
            }
        }

        // The choice held twice: the simulations sleep for @p times four times the capacity in
        // requests (an epoch is about three times it), and replay warm_up_ sampled requests
        // uncounted when they wake. The hits counted before keep their weight through the sleep:
        // decaying them for the requests slept made the choice noisier on the traces of
        // docs/cache.md (zigzag and sprite 0.003-0.008 lower).
        void sleep(std::size_t times) noexcept {
            constexpr std::size_t longest = std::size_t{1} << (max_calm - 2u);
            const std::size_t unit = capacity_ <= never / 4u / longest ? 4u * capacity_ : never / longest;
            countdown_ = unit * times;
            warming_ = warm_up_;
        }

        // The current share hits at least as much as every other, over enough hits to mean it.
        [[nodiscard]] bool settled() const noexcept {
            for(const std::uint64_t hits: hits_) {
                if(hits > hits_[current_]) {
                    return false;
                }
            }
            return hits_[current_] >= 64u;
        }

        detail::wtinylfu_regions regions_;
        frequency_sketch sketch_;
        detail::wtinylfu_random random_;
        std::size_t capacity_{1u};
        bool warm_{false};     // the cache has held half its capacity: the sketch counts
        bool adaptive_{false}; // simulations_ is not empty
        std::vector<detail::wtinylfu_simulation> simulations_; // empty unless config::adaptive
        std::uint64_t hits_[share_count]{};
        std::uint64_t threshold_{std::uint64_t{1} << 32u}; // all keys sampled
        std::size_t epoch_{0u};
        std::size_t requests_{0u};
        std::size_t current_{0u};
        std::size_t countdown_{never}; // requests until observe() runs: 1 while the simulations run
        std::size_t warm_up_{0u};      // sampled requests replayed uncounted after a sleep
        std::size_t warming_{0u};      // of those, still to replay
        unsigned calm_{0u};            // epochs in a row whose choice kept the window
        detail::wtinylfu_random simulation_random_{0x51a51a51a51a51a5u}; // the simulations' own draws
    };
};

} // namespace evbus

#endif
