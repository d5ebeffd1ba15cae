// libFuzzer target: evbus::cache with evbus::lru against a vector kept in recency order.
#include <evbus/cache/lru.hpp>

#include "cache_differential.hpp"

namespace {

// Entries from the least to the most recently used; the front one is the victim.
class lru_model: public evbus_fuzz::vector_model {
public:
    static constexpr bool exact = true;
    using vector_model::vector_model;

    std::optional<evbus_fuzz::value> get(evbus_fuzz::key k) {
        const std::size_t i = lookup(k);
        if(i == npos) {
            return std::nullopt;
        }
        return touch(i).v;
    }

    evbus_fuzz::put_result put(evbus_fuzz::key k, evbus_fuzz::value v) {
        if(const std::size_t i = find(k); i != npos) {
            touch(i).v = v; // an update is a use
            return {false};
        }
        const bool evicted = entries_.size() == capacity_;
        if(evicted) {
            entries_.erase(entries_.begin());
            ++stats_.evictions;
        }
        entries_.push_back({k, v, 0u, 0u, false});
        return {evicted};
    }

private:
    evbus_fuzz::entry &touch(std::size_t i) {
        const evbus_fuzz::entry e = entries_[i];
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
        entries_.push_back(e);
        return entries_.back();
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    return evbus_fuzz::run<evbus::cache<evbus_fuzz::key, evbus_fuzz::value, evbus::lru>, lru_model>(data, size);
}
