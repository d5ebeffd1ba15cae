#include <evbus/sync/spin.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

TEST_CASE("spin_mutex lets one thread in at a time", "[sync][spin]") {
    evbus::detail::spin_mutex lock;
    long counter = 0; // plain: ThreadSanitizer reports a race if the lock does not order the increments
    std::atomic<int> inside{0};
    std::atomic<bool> overlapped{false};
    auto work = [&] {
        for(int i = 0; i < 20'000; ++i) {
            std::lock_guard<evbus::detail::spin_mutex> guard{lock};
            if(inside.fetch_add(1, std::memory_order_relaxed) != 0) {
                overlapped = true;
            }
            ++counter;
            inside.fetch_sub(1, std::memory_order_relaxed);
        }
    };
    std::thread a{work};
    std::thread b{work};
    work();
    a.join();
    b.join();
    REQUIRE_FALSE(overlapped);
    REQUIRE(counter == 60'000);
}

TEST_CASE("spin_mutex: a thread that finds it held enters only after it is given back, and sees what was written",
          "[sync][spin]") {
    evbus::detail::spin_mutex lock;
    int value = 0;
    std::atomic<bool> holding{false};
    int seen = -1;
    lock.lock();
    std::thread waiter{[&] {
        while(!holding.load()) {
            std::this_thread::yield();
        }
        lock.lock(); // held by the main thread: spins, yields, then sleeps, until unlock()
        seen = value;
        lock.unlock();
    }};
    value = 1;
    holding = true;
    std::this_thread::sleep_for(std::chrono::milliseconds{20}); // long enough for the waiter to reach sleeping
    value = 2;
    lock.unlock();
    waiter.join();
    REQUIRE(seen == 2);
}
