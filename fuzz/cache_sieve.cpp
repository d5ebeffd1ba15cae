// libFuzzer target: evbus::cache with evbus::sieve against the paper's algorithm on a vector in
// insertion order (the oldest first) with a hand that is an index into it.
#include <evbus/cache/sieve.hpp>

#include "cache_differential.hpp"

namespace {

class sieve_model: public evbus_fuzz::vector_model {
public:
    static constexpr bool exact = true;
    using vector_model::vector_model;

    std::optional<evbus_fuzz::value> get(evbus_fuzz::key k) {
        const std::size_t i = lookup(k);
        if(i == npos) {
            return std::nullopt;
        }
        entries_[i].visited = true;
        return entries_[i].v;
    }

    evbus_fuzz::put_result put(evbus_fuzz::key k, evbus_fuzz::value v) {
        if(const std::size_t i = find(k); i != npos) {
            entries_[i].v = v;
            entries_[i].visited = true; // an update is a use
            return {false};
        }
        const bool evicted = entries_.size() == capacity_;
        if(evicted) {
            std::size_t at = hand_ == npos ? 0u : hand_;
            while(entries_[at].visited) {
                entries_[at].visited = false;
                at = at + 1u == entries_.size() ? 0u : at + 1u;
            }
            remove(at);
            hand_ = at < entries_.size() ? at : npos; // the next newer entry, or start again at the oldest
            ++stats_.evictions;
        }
        entries_.push_back({k, v, 0u, 0u, false});
        return {evicted};
    }

    bool erase(evbus_fuzz::key k) {
        const std::size_t i = find(k);
        if(i == npos) {
            return false;
        }
        remove(i);
        return true;
    }

    void clear() {
        entries_.clear();
        hand_ = npos;
    }

private:
    // Removes entry i; a hand on a later entry follows it, a hand on i moves to the next newer one.
    void remove(std::size_t i) {
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
        if(hand_ != npos) {
            if(i < hand_) {
                --hand_;
            } else if(i == hand_ && hand_ == entries_.size()) {
                hand_ = npos;
            }
        }
    }

    std::size_t hand_{npos};
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    return evbus_fuzz::run<evbus::cache<evbus_fuzz::key, evbus_fuzz::value, evbus::sieve>, sieve_model>(data, size);
}
