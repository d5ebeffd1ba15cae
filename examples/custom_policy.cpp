// A user-written eviction policy plugged into evbus::cache without touching the library:
// first in, first out (reads and updates do not reorder; the oldest insertion leaves first).

#include <cstddef>
#include <cstdio>
#include <string>
#include <evbus/cache/cache.hpp>
#include <evbus/cache/policy.hpp>
#include <evbus/cache/slot_list.hpp>

struct fifo {
    template<typename Key>
    class type {
    public:
        explicit type(std::size_t slots): order_{slots} {}
        void on_insert(std::size_t slot, const Key &) noexcept { order_.push_back(slot); }
        void on_access(std::size_t) noexcept {}
        void on_erase(std::size_t slot) noexcept { order_.erase(slot); }
        [[nodiscard]] std::size_t victim() const noexcept { return order_.front(); }

    private:
        evbus::slot_list order_; // slots from the oldest to the newest insertion
    };
};

static_assert(evbus::is_cache_policy_v<fifo, std::string>, "fifo models the cache policy concept");

int main() {
    evbus::cache<std::string, int, fifo> prices{2};
    prices.put("EURUSD", 108);
    prices.put("GBPUSD", 127);
    if(auto px = prices.get("EURUSD")) {
        std::printf("EURUSD %d\n", *px); // a hit does not save EURUSD under FIFO
    }
    prices.put("USDJPY", 150); // evicts EURUSD, the first in
    std::printf("EURUSD cached: %s, GBPUSD cached: %s\n", prices.contains("EURUSD") ? "yes" : "no",
                prices.contains("GBPUSD") ? "yes" : "no");
    const auto &stats = prices.stats();
    std::printf("hits=%llu misses=%llu evictions=%llu\n", static_cast<unsigned long long>(stats.hits),
                static_cast<unsigned long long>(stats.misses), static_cast<unsigned long long>(stats.evictions));
    return prices.contains("EURUSD") ? 1 : 0;
}
