#ifndef EVBUS_QUEUE_MPMC_QUEUE_HPP
#define EVBUS_QUEUE_MPMC_QUEUE_HPP

/// @file
/// @brief detail::mpmc_queue: the lock-free multi-producer multi-consumer queue (moodycamel).

#include <cstddef>
#include <new>
#include <utility>

#include "concurrentqueue.hpp"
#include "queue_item.hpp"

namespace evbus::detail {

struct mpmc_queue_traits: moodycamel::ConcurrentQueueDefaultTraits {
    // Larger blocks: fewer block hand-offs per bulk dequeue.
    static constexpr std::size_t BLOCK_SIZE = 64;
    static constexpr std::size_t IMPLICIT_INITIAL_INDEX_SIZE = 64;
    static constexpr std::size_t EXPLICIT_INITIAL_INDEX_SIZE = 64;

    // Through operator new (nothrow: moodycamel wants null on failure), so that the queue's
    // allocations are those of the program, which a counting or failing operator new sees.
    static void *(malloc)(std::size_t size) noexcept { return ::operator new(size, std::nothrow); }
    static void(free)(void *block) noexcept { ::operator delete(block); }
};

/// Any thread may enqueue and dequeue. Items one producer enqueues are dequeued
/// in that order; a producer_token makes one thread's enqueues cheaper.
template<typename Item>
class mpmc_queue {
    using queue_type = moodycamel::ConcurrentQueue<Item, mpmc_queue_traits>;

public:
    using producer_token = moodycamel::ProducerToken;

    mpmc_queue() = default;

    [[nodiscard]] producer_token make_token() { return producer_token{queue_}; }

    bool enqueue(Item &&item) { return queue_.enqueue(std::move(item)); }
    /// False, like a failed allocation, when the token's own allocation failed (an invalid token).
    bool enqueue(producer_token &token, Item &&item) { return token.valid() && queue_.enqueue(token, std::move(item)); }

    /// Constructs count items from *first, *(first + 1)... (a move iterator moves them).
    template<typename It>
    bool enqueue_bulk(It first, std::size_t count) {
        return queue_.enqueue_bulk(first, count);
    }
    template<typename It>
    bool enqueue_bulk(producer_token &token, It first, std::size_t count) {
        return token.valid() && queue_.enqueue_bulk(token, first, count);
    }

    /// Dequeues up to max items (at most one batch) into items; returns how many.
    std::size_t take(item_batch<Item> &items, std::size_t max) {
        return queue_.try_dequeue_bulk(items.out(), max < items.capacity ? max : items.capacity);
    }

private:
    queue_type queue_;
};

} // namespace evbus::detail

#endif
