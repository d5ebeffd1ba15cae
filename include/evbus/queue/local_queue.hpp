#ifndef EVBUS_QUEUE_LOCAL_QUEUE_HPP
#define EVBUS_QUEUE_LOCAL_QUEUE_HPP

/// @file
/// @brief detail::local_queue: a growable ring buffer for single-thread buses and channels.

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "../config.hpp"

namespace evbus::detail {

/// FIFO for one thread, with the bulk interface of moodycamel's queue. Grows by doubling when
/// full; never shrinks, so a steady state allocates nothing. Slots hold live items only
/// between head and head + size.
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
    }

    [[nodiscard]] producer_token make_token() noexcept { return {}; }

    bool enqueue(producer_token &, Item &&item) { return enqueue(std::move(item)); }

    /// Moves item in; false (item untouched) when growing the ring fails to allocate.
    bool enqueue(Item &&item) {
        if(EVBUS_UNLIKELY(size_ == capacity_) && !grow_to_fit(1u)) {
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
        if(EVBUS_UNLIKELY(size_ == capacity_) && !grow_to_fit(1u)) {
            return false;
        }
        ::new(static_cast<void *>(slots_ + ((head_ + size_) & (capacity_ - 1u)))) Item(make());
        ++size_;
        return true;
    }

    /// All or nothing: false (no item taken) when growing the ring fails to allocate.
    template<typename It>
    bool enqueue_bulk(It first, std::size_t count) {
        if(capacity_ - size_ < count && !grow_to_fit(count)) {
            return false;
        }
        for(std::size_t i = 0; i < count; ++i, ++first) {
            push(*first);
        }
        return true;
    }

    /// Moves up to max items to out (an output iterator), oldest first; returns how many.
    template<typename Out>
    std::size_t try_dequeue_bulk(Out out, std::size_t max) {
        const std::size_t count = max < size_ ? max : size_;
        for(std::size_t i = 0; i < count; ++i, ++out) {
            Item *from = slot(head_);
            *out = std::move(*from);
            head_ = (head_ + 1u) & (capacity_ - 1u);
            --size_; // before the destructor, which may post to this queue again
            from->~Item();
        }
        return count;
    }

private:
    [[nodiscard]] Item *slot(std::size_t index) noexcept { return std::launder(slots_ + index); }

    void push(Item &&item) noexcept {
        ::new(static_cast<void *>(slots_ + ((head_ + size_) & (capacity_ - 1u)))) Item(std::move(item));
        ++size_;
    }

    /// Doubles the ring until count more items fit; false when the allocation fails.
    EVBUS_COLD bool grow_to_fit(std::size_t count) noexcept {
        std::size_t capacity = capacity_ ? capacity_ * 2u : 64u;
        while(capacity - size_ < count) {
            capacity *= 2u;
        }
        Item *slots = nullptr;
#if EVBUS_HAS_EXCEPTIONS
        try {
            slots = std::allocator<Item>{}.allocate(capacity);
        } catch(const std::bad_alloc &) {
            return false;
        }
#else
        slots = std::allocator<Item>{}.allocate(capacity);
#endif
        for(std::size_t i = 0; i < size_; ++i) {
            Item *from = slot((head_ + i) & (capacity_ - 1u));
            ::new(static_cast<void *>(slots + i)) Item(std::move(*from));
            from->~Item();
        }
        if(slots_) {
            std::allocator<Item>{}.deallocate(slots_, capacity_);
        }
        slots_ = slots;
        capacity_ = capacity;
        head_ = 0;
        return true;
    }

    Item *slots_{nullptr};
    std::size_t capacity_{0};
    std::size_t head_{0};
    std::size_t size_{0};
};

} // namespace evbus::detail

#endif
