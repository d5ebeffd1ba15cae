#ifndef EVBUS_CACHE_WTINYLFU_HPP
#define EVBUS_CACHE_WTINYLFU_HPP

/// @file
/// @brief evbus::wtinylfu: Window TinyLFU, a small LRU window in front of a segmented LRU whose
/// admission is decided by a frequency sketch.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../config.hpp"
#include "frequency_sketch.hpp"
#include "slot_list.hpp"

namespace evbus {

/// @brief Settings of evbus::wtinylfu (also named evbus::wtinylfu::config).
struct wtinylfu_config {
    /// @brief Share of the capacity given to the window (at least one entry).
    double window{0.01};
    /// @brief Share of the main region given to the protected segment.
    double protected_share{0.8};
    /// @brief Seed of the random admission of warm candidates.
    std::uint64_t seed{0x5eed5eed5eed5eedu};
    /// @brief Whether the window's share adapts to the workload (hill climbing on the hit ratio, once
    /// the cache is full); `window` is then where it starts. Off by default: docs/cache.md shows where
    /// it wins (recency-friendly traces) and where it loses (stationary and looping ones).
    bool adaptive{false};
};

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
struct wtinylfu {
    /// @brief Settings, passed after the capacity: `cache<K, V, wtinylfu>{capacity, config}`.
    using config = wtinylfu_config;

    /// @brief Which part of the policy an entry is in.
    enum class region : std::uint8_t {
        window,           ///< the LRU window new entries enter
        probation,        ///< the main region's segment entries are admitted to and evicted from
        protected_segment ///< the main region's segment of entries hit while on probation
    };

    /// @brief Per-cache state: the three LRU lists, the sketch and the hashes of the entries.
    template<typename Key>
    class type {
    public:
        /// @brief Builds the state for the slots [0, slots) (the cache's capacity plus its spare slot).
        explicit type(std::size_t slots, const config &settings = {})
            : lists_{slot_list{slots}, slot_list{slots}, slot_list{slots}}, where_(slots, region::window),
              hashes_(slots, 0u), sketch_{slots > 1u ? slots - 1u : 1u}, random_{settings.seed},
              protected_share_{settings.protected_share} {
            EVBUS_EXPECT(settings.window > 0.0 && settings.window < 1.0,
                         "evbus::wtinylfu: config::window must be in (0, 1)");
            EVBUS_EXPECT(settings.protected_share >= 0.0 && settings.protected_share < 1.0,
                         "evbus::wtinylfu: config::protected_share must be in [0, 1)");
            const std::size_t capacity = slots > 1u ? slots - 1u : 1u;
            window_max_ = static_cast<std::size_t>(static_cast<double>(capacity) * settings.window);
            window_max_ = window_max_ == 0u ? 1u : (window_max_ > capacity ? capacity : window_max_);
            capacity_ = capacity;
            window_target_ = static_cast<double>(window_max_);
            protected_max_ = protected_capacity_for(window_max_);
            adaptive_ = settings.adaptive && capacity >= 2u;
            sample_ = capacity * 10u;
            step_ = initial_step();
        }

        /// @brief A new entry is recorded in the sketch and enters the window; when the window is over
        /// its share, its least recent entry moves to probation.
        void on_insert(std::size_t slot, const Key &, std::size_t hash) noexcept {
            hashes_[slot] = hash;
            if(EVBUS_UNLIKELY(!warm_) && sizes_[0] + sizes_[1] + sizes_[2] + 1u >= capacity_ / 2u) {
                warm_ = true;
                sketch_.clear(); // what was counted while the cache filled up is forgotten (see below)
            }
            sketch_.increment(hash);
            push(slot, region::window);
            // Two moves at most: after the window shrank, it reaches its new share one entry per insert.
            for(int moves = 0; moves < 2 && sizes_[index(region::window)] > window_max_; ++moves) {
                move(list(region::window).front(), region::probation);
            }
            for(int moves = 0; moves < 2 && sizes_[index(region::protected_segment)] > protected_max_; ++moves) {
                move(list(region::protected_segment).front(), region::probation);
            }
            count(false);
        }

        /// @brief A hit is recorded; it refreshes the entry in its segment, or promotes it from probation.
        EVBUS_ALWAYS_INLINE void on_access(std::size_t slot) noexcept { on_access(slot, hashes_[slot]); }

        /// @brief on_access() with the key's hash, as the cache's lookup computed it.
        EVBUS_ALWAYS_INLINE void on_access(std::size_t slot, std::size_t hash) noexcept {
            sketch_.increment(hash);
            count(true);
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
        void on_erase(std::size_t slot) noexcept {
            const region at = where_[slot];
            list(at).erase(slot);
            --sizes_[index(at)];
        }

        /// @brief The slot to evict for a new entry: the window's least recent entry (the candidate)
        /// against the main region's victim; the loser goes, the winner stays (a winning candidate
        /// moves to probation).
        [[nodiscard]] std::size_t victim() noexcept {
            full_ = true;
            const std::size_t main_victim = main_victim_slot();
            const bool window_full = sizes_[index(region::window)] >= window_max_;
            if(!window_full || sizes_[index(region::window)] == 0u) {
                return main_victim != slot_list::npos ? main_victim : list(region::window).front();
            }
            const std::size_t candidate = list(region::window).front();
            if(main_victim == slot_list::npos) {
                return candidate;
            }
            if(admit(hashes_[candidate], hashes_[main_victim])) {
                move(candidate, region::probation);
                return main_victim;
            }
            return candidate;
        }

        /// @brief Empties the regions; the sketch keeps its counts.
        void clear() noexcept {
            for(slot_list &l: lists_) {
                l.clear();
            }
            sizes_[0] = sizes_[1] = sizes_[2] = 0u;
        }

        /// @brief The region of the entry in a slot.
        [[nodiscard]] region region_of(std::size_t slot) const noexcept { return where_[slot]; }

        /// @brief The slots of a region, from least to most recently used.
        [[nodiscard]] const slot_list &order(region r) const noexcept { return lists_[index(r)]; }

        /// @brief Number of entries in a region.
        [[nodiscard]] std::size_t size(region r) const noexcept { return sizes_[index(r)]; }

        /// @brief Most entries the window holds now (it moves when config::adaptive).
        [[nodiscard]] std::size_t window_capacity() const noexcept { return window_max_; }

        /// @brief Most entries the protected segment holds.
        [[nodiscard]] std::size_t protected_capacity() const noexcept { return protected_max_; }

        /// @brief The frequency sketch.
        [[nodiscard]] const frequency_sketch &sketch() const noexcept { return sketch_; }

    private:
        [[nodiscard]] static constexpr std::size_t index(region r) noexcept { return static_cast<std::size_t>(r); }

        [[nodiscard]] std::size_t protected_capacity_for(std::size_t window) const noexcept {
            return static_cast<std::size_t>(static_cast<double>(capacity_ - window) * protected_share_);
        }

        // The climber's first step, and the one it restarts with after a large change: 6.25% of the
        // capacity, towards a larger window (Caffeine's hill climber starts the same way).
        [[nodiscard]] double initial_step() const noexcept { return 0.0625 * static_cast<double>(capacity_); }

        // A hit (true) or an insertion, that is a miss; every sample of ten times the capacity the
        // climber moves the window.
        void count(bool hit) noexcept {
            if(!adaptive_ || !full_) { // while the cache fills up its hit ratio rises whatever the window
                return;
            }
            hits_ += hit ? 1u : 0u;
            if(++requests_ == sample_) {
                climb();
            }
        }

        // Hill climbing on the hit ratio: keep stepping the same way while it improves, turn back
        // when it drops; steps shrink by 2% each sample, and start again at full size when the hit
        // ratio moves by 5 points or more (the workload changed).
        void climb() noexcept {
            const double rate = static_cast<double>(hits_) / static_cast<double>(requests_);
            const double change = has_previous_ ? rate - previous_rate_ : 0.0;
            has_previous_ = true;
            previous_rate_ = rate;
            hits_ = 0u;
            requests_ = 0u;
            const double amount = change >= 0.0 ? step_ : -step_;
            const double magnitude = change < 0.0 ? -change : change;
            step_ = magnitude >= 0.05 ? (amount >= 0.0 ? initial_step() : -initial_step()) : 0.98 * amount;
            const double highest = static_cast<double>(capacity_ - 1u);
            window_target_ += amount;
            window_target_ = window_target_ < 1.0 ? 1.0 : (window_target_ > highest ? highest : window_target_);
            window_max_ = static_cast<std::size_t>(window_target_ + 0.5);
            protected_max_ = protected_capacity_for(window_max_);
        }

        [[nodiscard]] slot_list &list(region r) noexcept { return lists_[index(r)]; }

        void push(std::size_t slot, region to) noexcept {
            where_[slot] = to;
            list(to).push_back(slot);
            ++sizes_[index(to)];
        }

        void move(std::size_t slot, region to) noexcept {
            on_erase(slot);
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

        [[nodiscard]] bool admit(std::size_t candidate, std::size_t victim) noexcept {
            const std::uint32_t candidate_frequency = sketch_.frequency(candidate);
            const std::uint32_t victim_frequency = sketch_.frequency(victim);
            if(candidate_frequency > victim_frequency) {
                return true;
            }
            if(candidate_frequency <= 5u) {
                return false;
            }
            return (next_random() & 127u) == 0u;
        }

        // splitmix64: one state word, good enough for a 1-in-128 draw.
        [[nodiscard]] std::uint64_t next_random() noexcept {
            std::uint64_t z = (random_ += 0x9e3779b97f4a7c15u);
            z = (z ^ (z >> 30u)) * 0xbf58476d1ce4e5b9u;
            z = (z ^ (z >> 27u)) * 0x94d049bb133111ebu;
            return z ^ (z >> 31u);
        }

        slot_list lists_[3];
        std::size_t sizes_[3]{0u, 0u, 0u};
        std::vector<region> where_;
        std::vector<std::size_t> hashes_;
        frequency_sketch sketch_;
        std::uint64_t random_;
        double protected_share_;
        std::size_t capacity_{1u};
        std::size_t window_max_{1u};
        std::size_t protected_max_{0u};
        bool adaptive_{false};
        bool has_previous_{false};
        bool full_{false};
        bool warm_{false}; // the cache has held half its capacity: the sketch counts
        std::size_t sample_{10u};
        std::size_t hits_{0u};
        std::size_t requests_{0u};
        double previous_rate_{0.0};
        double step_{0.0};
        double window_target_{1.0};
    };
};

} // namespace evbus

#endif
