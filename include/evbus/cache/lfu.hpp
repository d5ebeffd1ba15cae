#ifndef EVBUS_CACHE_LFU_HPP
#define EVBUS_CACHE_LFU_HPP

/// @file
/// @brief evbus::lfu: the least frequently used eviction policy.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../config.hpp"

namespace evbus {

/// @brief Classic least frequently used policy: a new key is always admitted, the entry with the fewest
/// uses is evicted, ties go to the least recently used; O(1) per operation.
/// @details Both get hits and put over an existing key count as uses; a new entry starts at one.
/// Entries live in frequency buckets kept in increasing order; each bucket lists its entries from
/// least to most recently used, so the victim is the head of the first bucket.
struct lfu {
    /// @brief Per-cache state: frequency buckets over the slots.
    template<typename Key>
    class type {
        using index_type = std::uint32_t;
        static constexpr index_type null = std::numeric_limits<index_type>::max();

        struct item {
            index_type prev;
            index_type next;
            index_type bucket;
        };

        struct bucket {
            std::uint64_t frequency;
            index_type first;
            index_type last;
            index_type prev;
            index_type next;
        };

    public:
        /// @brief Builds the buckets for the slots [0, slots).
        explicit type(std::size_t slots): items_(checked(slots)), buckets_(slots) { clear(); }

        /// @brief A new entry joins the frequency-1 bucket as its most recent member.
        void on_insert(std::size_t slot, const Key &) noexcept {
            index_type target = head_;
            if(target == null || buckets_[target].frequency != 1u) {
                target = make_bucket(1u, null, head_);
            }
            attach(static_cast<index_type>(slot), target);
        }

        /// @brief A use moves the entry to the next frequency bucket.
        void on_access(std::size_t slot) noexcept {
            const auto index = static_cast<index_type>(slot);
            const index_type from = items_[index].bucket;
            const std::uint64_t frequency = buckets_[from].frequency + 1u;
            const index_type next = buckets_[from].next;
            if(next != null && buckets_[next].frequency == frequency) {
                detach(index);
                attach(index, next);
            } else if(buckets_[from].first == buckets_[from].last) {
                buckets_[from].frequency = frequency;
            } else {
                const index_type to = make_bucket(frequency, from, next);
                detach(index);
                attach(index, to);
            }
        }

        /// @brief The entry leaves its bucket.
        void on_erase(std::size_t slot) noexcept { detach(static_cast<index_type>(slot)); }

        /// @brief The least recently used of the least frequently used entries.
        [[nodiscard]] std::size_t victim() const noexcept { return buckets_[head_].first; }

        /// @brief Forgets every entry.
        void clear() noexcept {
            head_ = null;
            free_ = buckets_.empty() ? null : 0u;
            for(std::size_t i = 0; i < buckets_.size(); ++i) {
                buckets_[i].next = i + 1u < buckets_.size() ? static_cast<index_type>(i + 1u) : null;
            }
        }

        /// @brief Number of uses counted for the entry in a slot.
        [[nodiscard]] std::uint64_t frequency(std::size_t slot) const noexcept {
            return buckets_[items_[slot].bucket].frequency;
        }

    private:
        static std::size_t checked(std::size_t slots) {
            EVBUS_EXPECT(slots < null, "evbus::lfu: too many slots (the limit is 2^32 - 2)");
            return slots;
        }

        index_type make_bucket(std::uint64_t frequency, index_type prev, index_type next) noexcept {
            const index_type index = free_;
            free_ = buckets_[index].next;
            buckets_[index] = {frequency, null, null, prev, next};
            (prev == null ? head_ : buckets_[prev].next) = index;
            if(next != null) {
                buckets_[next].prev = index;
            }
            return index;
        }

        void attach(index_type slot, index_type to) noexcept {
            bucket &b = buckets_[to];
            items_[slot] = {b.last, null, to};
            (b.last == null ? b.first : items_[b.last].next) = slot;
            b.last = slot;
        }

        void detach(index_type slot) noexcept {
            const item self = items_[slot];
            bucket &b = buckets_[self.bucket];
            (self.prev == null ? b.first : items_[self.prev].next) = self.next;
            (self.next == null ? b.last : items_[self.next].prev) = self.prev;
            if(b.first == null) {
                (b.prev == null ? head_ : buckets_[b.prev].next) = b.next;
                if(b.next != null) {
                    buckets_[b.next].prev = b.prev;
                }
                b.next = free_;
                free_ = self.bucket;
            }
        }

        std::vector<item> items_;
        std::vector<bucket> buckets_;
        index_type head_{null};
        index_type free_{null};
    };
};

} // namespace evbus

#endif
