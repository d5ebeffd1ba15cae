// libFuzzer target: evbus::cache with evbus::lfu against entries that carry their use count and the
// tick of their last use; the victim is the one with the fewest uses, then the oldest last use.
#include <evbus/cache/lfu.hpp>

#include "cache_differential.hpp"

namespace {

class lfu_model: public evbus_fuzz::vector_model {
public:
    static constexpr bool exact = true;
    using vector_model::vector_model;

    std::optional<evbus_fuzz::value> get(evbus_fuzz::key k) {
        const std::size_t i = lookup(k);
        if(i == npos) {
            return std::nullopt;
        }
        use(entries_[i]);
        return entries_[i].v;
    }

    evbus_fuzz::put_result put(evbus_fuzz::key k, evbus_fuzz::value v) {
        if(const std::size_t i = find(k); i != npos) {
            entries_[i].v = v;
            use(entries_[i]); // an update is a use
            return {false};
        }
        const bool evicted = entries_.size() == capacity_;
        if(evicted) {
            std::size_t victim = 0u;
            for(std::size_t i = 1; i < entries_.size(); ++i) {
                const evbus_fuzz::entry &e = entries_[i];
                const evbus_fuzz::entry &best = entries_[victim];
                if(e.uses < best.uses || (e.uses == best.uses && e.last_use < best.last_use)) {
                    victim = i;
                }
            }
            entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(victim));
            ++stats_.evictions;
        }
        entries_.push_back({k, v, 1u, ++tick_, false});
        return {evicted};
    }

private:
    void use(evbus_fuzz::entry &e) {
        ++e.uses;
        e.last_use = ++tick_;
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    return evbus_fuzz::run<evbus::cache<evbus_fuzz::key, evbus_fuzz::value, evbus::lfu>, lfu_model>(data, size);
}
