#ifndef EVBUS_CACHE_SLOT_LIST_HPP
#define EVBUS_CACHE_SLOT_LIST_HPP

/// @file
/// @brief evbus::slot_list: an O(1) intrusive list over the slots of a cache, for writing policies.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../config.hpp"

namespace evbus {

/// @brief Intrusive doubly linked list over the slot indices [0, slots) of a cache, for writing O(1) policies.
/// @details Storage is allocated once by the constructor; no operation allocates afterwards.
/// A slot may be in the list at most once; erase and the move_* functions need a slot that is in it.
class slot_list {
    using index_type = std::uint32_t;

    struct links {
        index_type prev;
        index_type next;
    };

public:
    /// @brief Returned by front(), back(), next() and prev() when there is no such slot.
    static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

    /// @brief Builds an empty list able to hold the slots [0, slots).
    explicit slot_list(std::size_t slots): links_(checked(slots) + 1u), sentinel_{static_cast<index_type>(slots)} {
        clear();
    }

    /// @brief Removes every slot; O(1).
    void clear() noexcept { links_[sentinel_] = {sentinel_, sentinel_}; }

    /// @brief True when no slot is in the list.
    [[nodiscard]] bool empty() const noexcept { return links_[sentinel_].next == sentinel_; }

    /// @brief Number of slots the list can index.
    [[nodiscard]] std::size_t slots() const noexcept { return sentinel_; }

    /// @brief First slot, or npos when empty.
    [[nodiscard]] std::size_t front() const noexcept { return to_pos(links_[sentinel_].next); }

    /// @brief Last slot, or npos when empty.
    [[nodiscard]] std::size_t back() const noexcept { return to_pos(links_[sentinel_].prev); }

    /// @brief Slot after @p slot, or npos at the end.
    [[nodiscard]] std::size_t next(std::size_t slot) const noexcept { return to_pos(links_[slot].next); }

    /// @brief Slot before @p slot, or npos at the beginning.
    [[nodiscard]] std::size_t prev(std::size_t slot) const noexcept { return to_pos(links_[slot].prev); }

    /// @brief Appends a slot that is not in the list.
    void push_back(std::size_t slot) noexcept { link_before(static_cast<index_type>(slot), sentinel_); }

    /// @brief Prepends a slot that is not in the list.
    void push_front(std::size_t slot) noexcept { link_before(static_cast<index_type>(slot), links_[sentinel_].next); }

    /// @brief Removes a slot that is in the list.
    void erase(std::size_t slot) noexcept {
        const links &self = links_[slot];
        links_[self.prev].next = self.next;
        links_[self.next].prev = self.prev;
    }

    /// @brief Moves a slot that is in the list to the back.
    void move_to_back(std::size_t slot) noexcept {
        erase(slot);
        push_back(slot);
    }

    /// @brief Moves a slot that is in the list to the front.
    void move_to_front(std::size_t slot) noexcept {
        erase(slot);
        push_front(slot);
    }

private:
    static std::size_t checked(std::size_t slots) {
        EVBUS_EXPECT(slots < std::numeric_limits<index_type>::max(),
                     "evbus::slot_list: too many slots (the limit is 2^32 - 2)");
        return slots;
    }

    [[nodiscard]] std::size_t to_pos(index_type index) const noexcept {
        return index == sentinel_ ? npos : std::size_t{index};
    }

    void link_before(index_type slot, index_type next) noexcept {
        const index_type prev = links_[next].prev;
        links_[slot] = {prev, next};
        links_[prev].next = slot;
        links_[next].prev = slot;
    }

    std::vector<links> links_;
    index_type sentinel_;
};

} // namespace evbus

#endif
