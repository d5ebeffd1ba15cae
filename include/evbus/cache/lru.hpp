#ifndef EVBUS_CACHE_LRU_HPP
#define EVBUS_CACHE_LRU_HPP

/// @file
/// @brief evbus::lru: the least recently used eviction policy.

#include <cstddef>

#include "slot_list.hpp"

namespace evbus {

/// @brief Least recently used policy: evicts the entry whose last get or put is the oldest.
struct lru {
    /// @brief Per-cache state: slots ordered from least to most recently used.
    template<typename Key>
    class type {
    public:
        /// @brief Builds the order for the slots [0, slots).
        explicit type(std::size_t slots): order_{slots} {}

        /// @brief A new entry is the most recently used.
        void on_insert(std::size_t slot, const Key &) noexcept { order_.push_back(slot); }

        /// @brief A hit makes the entry the most recently used.
        void on_access(std::size_t slot) noexcept { order_.move_to_back(slot); }

        /// @brief The entry leaves the order.
        void on_erase(std::size_t slot) noexcept { order_.erase(slot); }

        /// @brief The least recently used entry.
        [[nodiscard]] std::size_t victim() const noexcept { return order_.front(); }

        /// @brief Forgets every entry.
        void clear() noexcept { order_.clear(); }

        /// @brief Slots from least to most recently used.
        [[nodiscard]] const slot_list &order() const noexcept { return order_; }

    private:
        slot_list order_;
    };
};

} // namespace evbus

#endif
