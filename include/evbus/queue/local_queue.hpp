#ifndef EVBUS_QUEUE_LOCAL_QUEUE_HPP
#define EVBUS_QUEUE_LOCAL_QUEUE_HPP

/// @file
/// @brief detail::local_queue: a growable ring buffer for single-thread buses and channels.

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

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

    bool enqueue(Item &&item) {
        if(size_ == capacity_) {
            grow();
        }
        ::new(static_cast<void *>(slots_ + ((head_ + size_) & (capacity_ - 1u)))) Item(std::move(item));
        ++size_;
        return true;
    }

    /// Moves count items from *first, *(first + 1)... (first yields Item&&: a move iterator).
    template<typename It>
    bool enqueue_bulk(producer_token &, It first, std::size_t count) {
        return enqueue_bulk(first, count);
    }

    template<typename It>
    bool enqueue_bulk(It first, std::size_t count) {
        for(std::size_t i = 0; i < count; ++i, ++first) {
            enqueue(*first);
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
            from->~Item();
            head_ = (head_ + 1u) & (capacity_ - 1u);
        }
        size_ -= count;
        return count;
    }

private:
    [[nodiscard]] Item *slot(std::size_t index) noexcept { return std::launder(slots_ + index); }

    void grow() {
        const std::size_t capacity = capacity_ ? capacity_ * 2u : 64u;
        Item *slots = std::allocator<Item>{}.allocate(capacity);
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
    }

    Item *slots_{nullptr};
    std::size_t capacity_{0};
    std::size_t head_{0};
    std::size_t size_{0};
};

} // namespace evbus::detail

#endif
