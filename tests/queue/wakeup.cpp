// detail::wakeup: a consumer sleeps until a producer's post, wake_all() or its deadline.
#include <evbus/queue/wakeup.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using evbus::detail::wakeup;

TEST_CASE("wakeup: a wait returns at once when something is pending, and false at a passed deadline",
          "[queue][wakeup]") {
    wakeup w;
    CHECK(w.wait_until(wakeup::clock::time_point::max(), [] { return true; }));
    CHECK_FALSE(w.wait_until(wakeup::clock::now(), [] { return false; }));
    CHECK(w.sleepers() == 0u);
}

TEST_CASE("wakeup: a post wakes a sleeper that found nothing pending", "[queue][wakeup]") {
    wakeup w;
    std::atomic<bool> pending{false};
    std::atomic<bool> woke{false};
    std::thread sleeper{[&] { woke = w.wait_until(wakeup::clock::time_point::max(), [&] { return pending.load(); }); }};
    while(w.sleepers() == 0u) { // it registered: it rechecks pending after this
        std::this_thread::yield();
    }
    pending = true;
    w.posted();
    sleeper.join();
    CHECK(woke.load());
}

TEST_CASE("wakeup: wake_all() ends a wait with nothing pending, and a cancel flag is honoured", "[queue][wakeup]") {
    wakeup w;
    std::atomic<bool> result{true};
    std::thread sleeper{[&] { result = w.wait_until(wakeup::clock::time_point::max(), [] { return false; }); }};
    while(w.sleepers() == 0u) {
        std::this_thread::yield();
    }
    w.wake_all();
    sleeper.join();
    CHECK_FALSE(result.load());

    std::atomic<bool> cancel{true};
    CHECK_FALSE(w.wait_until(
        wakeup::clock::time_point::max(), [] { return false; }, &cancel));
}
