#ifndef EVBUS_QUEUE_LOCAL_QUEUE_HPP
#define EVBUS_QUEUE_LOCAL_QUEUE_HPP

/// @file
/// @brief detail::local_queue: a growable ring buffer for single-thread buses and channels.

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "queue_item.hpp"

namespace evbus::detail {

/// FIFO for one thread. Grows by doubling when full; never shrinks, so a steady state allocates
/// nothing. Slots hold queued items between head and head + size; consume_bulk() hands items
/// over in their slots.
template<typename Item>
class local_queue {
    static_assert(std::is_nothrow_move_constructible_v<Item>, "evbus: queued items must move without throwing");

public:
    struct producer_token {};

    local_queue() = default;
    local_queue(const local_queue &) = delete;
    local_queue &operator=(const local_queue &) = delete;

    ~local_queue() {
        for(; size_ != 0u; --size_) {
            slot(head_)->~Item();
            head_ = (head_ + 1u) & (capacity_ - 1u);
        }
        if(slots_) {
            std::allocator<Item>{}.deallocate(slots_, capacity_);
        }
        free_outgrown();
    }

    [[nodiscard]] producer_token make_token() noexcept { return {}; }

    bool enqueue(producer_token &, Item &&item) { return enqueue(std::move(item)); }

    /// Moves item in; false (item untouched) when growing the ring fails to allocate.
    bool enqueue(Item &&item) {
        if(EVBUS_UNLIKELY(size_ + reserved_ == capacity_) && !grow_to_fit(1u)) {
            return false;
        }
        push(std::move(item));
        return true;
    }

    /// Moves count items from *first, *(first + 1)... (first yields Item&&: a move iterator).
    template<typename It>
    bool enqueue_bulk(producer_token &, It first, std::size_t count) {
        return enqueue_bulk(first, count);
    }

    /// Builds make()'s result in the next slot; false (make not called) when growing the ring
    /// fails to allocate. If make throws, nothing is queued.
    template<typename Make>
    bool emplace(Make &&make) {
        if(EVBUS_UNLIKELY(size_ + reserved_ == capacity_) && !grow_to_fit(1u)) {
            return false;
        }
        ::new(static_cast<void *>(slots_ + ((head_ + size_) & (capacity_ - 1u)))) Item(make());
        ++size_;
        return true;
    }

    /// All or nothing: false (no item taken) when growing the ring fails to allocate.
    template<typename It>
    bool enqueue_bulk(It first, std::size_t count) {
        if(capacity_ - size_ - reserved_ < count && !grow_to_fit(count)) {
            return false;
        }
        for(std::size_t i = 0; i < count; ++i, ++first) {
            push(*first);
        }
        return true;
    }

    /// Calls f(item) (which must not throw) on up to max items, oldest first, each in its slot,
    /// then ends the item. f may post (items go behind) and consume again (a nested consume takes
    /// the items after the current one, and those count against this call's max): the slots being consumed stay
    /// reserved until the outermost consume returns, and storage the ring grows out of meanwhile is freed only then.
    template<typename F>
    std::size_t consume_bulk(std::size_t max, F &&f) {
        static_assert(std::is_nothrow_invocable_v<F &, Item &>, "evbus: consume_bulk's callback must be noexcept");
        const bool outermost = !consuming_;
        consuming_ = true;
        std::size_t done = 0;
        // Bounded by position, not count: items a nested consume takes count against max.
        for(const std::size_t end = popped_ + (max < size_ ? max : size_); popped_ != end && size_ != 0u; ++done) {
            Item *item = slot(head_);
            head_ = (head_ + 1u) & (capacity_ - 1u);
            --size_;
            ++reserved_;
            ++popped_;
            f(*item);
            detail::destroy_item(*item);
        }
        if(outermost) {
            consuming_ = false;
            reserved_ = 0u;
            if(EVBUS_UNLIKELY(!outgrown_.empty())) {
                free_outgrown();
            }
        }
        return done;
    }

private:
    [[nodiscard]] Item *slot(std::size_t index) noexcept { return std::launder(slots_ + index); }

    void push(Item &&item) noexcept {
        ::new(static_cast<void *>(slots_ + ((head_ + size_) & (capacity_ - 1u)))) Item(std::move(item));
        ++size_;
    }

    /// Doubles the ring until count more items fit; false when an allocation fails. Storage that
    /// still holds items being consumed is kept until the outermost consume ends.
    EVBUS_COLD bool grow_to_fit(std::size_t count) noexcept {
        std::size_t capacity = capacity_ ? capacity_ * 2u : 64u;
        while(capacity - size_ < count) {
            capacity *= 2u;
        }
        Item *slots = nullptr;
#if EVBUS_HAS_EXCEPTIONS
        try {
            slots = std::allocator<Item>{}.allocate(capacity);
            if(reserved_ != 0u) {
                outgrown_.emplace_back(slots_, capacity_);
            }
        } catch(const std::bad_alloc &) {
            if(slots) {
                std::allocator<Item>{}.deallocate(slots, capacity);
            }
            return false;
        }
#else
        slots = std::allocator<Item>{}.allocate(capacity);
        if(reserved_ != 0u) {
            outgrown_.emplace_back(slots_, capacity_);
        }
#endif
        for(std::size_t i = 0; i < size_; ++i) {
            Item *from = slot((head_ + i) & (capacity_ - 1u));
            ::new(static_cast<void *>(slots + i)) Item(std::move(*from));
            from->~Item();
        }
        if(slots_ && reserved_ == 0u) {
            std::allocator<Item>{}.deallocate(slots_, capacity_);
        }
        slots_ = slots;
        capacity_ = capacity;
        head_ = 0;
        reserved_ = 0; // the reserved slots stay in the old storage
        return true;
    }

    EVBUS_COLD void free_outgrown() noexcept {
        for(const auto &[slots, capacity]: outgrown_) {
            std::allocator<Item>{}.deallocate(slots, capacity);
        }
        outgrown_.clear();
    }

    Item *slots_{nullptr};
    std::size_t capacity_{0};
    std::size_t head_{0};
    std::size_t size_{0};
    std::size_t reserved_{0}; // slots before head_ whose items a running consume_bulk still uses
    std::size_t popped_{0};   // items consumed so far (wraps): the position of head_
    bool consuming_{false};
    std::vector<std::pair<Item *, std::size_t>> outgrown_; // storage to free when consuming ends
};

} // namespace evbus::detail

#endif
