#ifndef EVBUS_QUEUE_LOCAL_QUEUE_HPP
#define EVBUS_QUEUE_LOCAL_QUEUE_HPP

/// @file
/// @brief detail::local_queue: a growable ring buffer for single-thread buses and channels.

#include <cstddef>
#include <memory>
#include <utility>

namespace evbus::detail {

/// FIFO for one thread. Grows by doubling when full; never shrinks, so a steady
/// state allocates nothing.
template<typename Item>
class local_queue {
public:
    struct producer_token {};

    local_queue() = default;

    [[nodiscard]] producer_token make_token() noexcept { return {}; }

    bool enqueue(producer_token &, Item &&item) { return enqueue(std::move(item)); }

    bool enqueue(Item &&item) {
        if(size_ == capacity_) {
            grow();
        }
        slots_[(head_ + size_) & (capacity_ - 1u)] = std::move(item);
        ++size_;
        return true;
    }

    bool enqueue_bulk(producer_token &, Item *items, std::size_t count) { return enqueue_bulk(items, count); }
    bool enqueue_bulk(Item *items, std::size_t count) {
        for(std::size_t i = 0; i < count; ++i) {
            enqueue(std::move(items[i]));
        }
        return true;
    }

    std::size_t try_dequeue_bulk(Item *out, std::size_t max) {
        const std::size_t count = max < size_ ? max : size_;
        for(std::size_t i = 0; i < count; ++i) {
            out[i] = std::move(slots_[head_]);
            head_ = (head_ + 1u) & (capacity_ - 1u);
        }
        size_ -= count;
        return count;
    }

private:
    void grow() {
        const std::size_t capacity = capacity_ ? capacity_ * 2u : 64u;
        auto slots = std::make_unique<Item[]>(capacity);
        for(std::size_t i = 0; i < size_; ++i) {
            slots[i] = std::move(slots_[(head_ + i) & (capacity_ - 1u)]);
        }
        slots_ = std::move(slots);
        capacity_ = capacity;
        head_ = 0;
    }

    std::unique_ptr<Item[]> slots_;
    std::size_t capacity_{0};
    std::size_t head_{0};
    std::size_t size_{0};
};

} // namespace evbus::detail

#endif
