// Minimal reproduction, on the raw moodycamel queue with no evbus code: one producer with a
// token, one consumer dequeuing in bulk. Under ThreadSanitizer this reports a data race between
// the consumer's read of a slot (dequeue_bulk) and the producer's later write into the same slot
// when it reuses the block (enqueue). The queue orders the two with a relaxed load followed by
// std::atomic_thread_fence(acquire) in Block::is_empty(), and TSan does not model fences (GCC 12
// says so with -Wtsan). This program is why tests/tsan.supp suppresses exactly that pair.
#include <evbus/queue/concurrentqueue.hpp>

#include <cstdio>
#include <thread>

int main() {
    moodycamel::ConcurrentQueue<long> queue;
    constexpr long total = 200000;
    std::thread producer{[&] {
        moodycamel::ProducerToken token{queue};
        for(long i = 0; i < total; ++i) {
            queue.enqueue(token, i);
        }
    }};
    long out[64];
    long sum = 0;
    for(long done = 0; done < total;) {
        const auto got = queue.try_dequeue_bulk(out, 64);
        for(std::size_t i = 0; i < got; ++i) {
            sum += out[i];
        }
        done += static_cast<long>(got);
    }
    producer.join();
    std::printf("sum %ld\n", sum);
    return sum == total * (total - 1) / 2 ? 0 : 1;
}
