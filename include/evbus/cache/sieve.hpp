#ifndef EVBUS_CACHE_SIEVE_HPP
#define EVBUS_CACHE_SIEVE_HPP

/// @file
/// @brief evbus::sieve: the SIEVE eviction policy (Zhang et al., NSDI 2024).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "slot_list.hpp"

namespace evbus {

/// @brief SIEVE: entries in insertion order, one visited bit each, and a hand that walks from the
/// oldest entry towards the newest, clearing visited bits, and evicts the first unvisited entry.
/// @details A hit only sets a bit (no list change, unlike LRU), and a new entry never moves the hand,
/// so entries inserted behind it and never used again leave quickly: scan-resistant and cheap. After
/// an eviction the hand stays where it stopped (at the next newer entry); past the newest entry it
/// starts again at the oldest. An update (put over a present key) counts as a hit.
struct sieve {
    /// @brief Per-cache state: the insertion order, the visited bits and the hand.
    template<typename Key>
    class type {
    public:
        /// @brief Builds the state for the slots [0, slots).
        explicit type(std::size_t slots): order_{slots}, visited_(slots, 0u) {}

        /// @brief A new entry is the newest, not visited.
        void on_insert(std::size_t slot, const Key &) noexcept {
            order_.push_back(slot);
            visited_[slot] = 0u;
        }

        /// @brief A hit marks the entry visited.
        void on_access(std::size_t slot) noexcept { visited_[slot] = 1u; }

        /// @brief The entry leaves; a hand on it moves to the next newer entry.
        void on_erase(std::size_t slot) noexcept {
            if(hand_ == slot) {
                hand_ = order_.next(slot);
            }
            order_.erase(slot);
        }

        /// @brief Moves the hand to the first unvisited entry, clearing the visited bits it passes, and
        /// names it.
        [[nodiscard]] std::size_t victim() noexcept {
            std::size_t at = hand_ == slot_list::npos ? order_.front() : hand_;
            while(visited_[at] != 0u) {
                visited_[at] = 0u;
                at = order_.next(at);
                if(at == slot_list::npos) {
                    at = order_.front();
                }
            }
            hand_ = at;
            return at;
        }

        /// @brief Forgets every entry.
        void clear() noexcept {
            order_.clear();
            hand_ = slot_list::npos;
        }

        /// @brief Whether the entry in a slot was hit since the hand last passed it.
        [[nodiscard]] bool visited(std::size_t slot) const noexcept { return visited_[slot] != 0u; }

        /// @brief The slot the hand is on, or slot_list::npos when the next search starts at the oldest entry.
        [[nodiscard]] std::size_t hand() const noexcept { return hand_; }

        /// @brief Slots from the oldest to the newest insertion.
        [[nodiscard]] const slot_list &order() const noexcept { return order_; }

    private:
        slot_list order_;
        std::vector<std::uint8_t> visited_;
        std::size_t hand_{slot_list::npos};
    };
};

} // namespace evbus

#endif
