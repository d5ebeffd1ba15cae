#ifndef EVBUS_FUZZ_CACHE_DIFFERENTIAL_HPP
#define EVBUS_FUZZ_CACHE_DIFFERENTIAL_HPP

// Differential fuzzing of evbus::cache: the fuzzer's bytes are a capacity and a list of operations
// (put, get, erase, clear, emplace), applied to the cache and to a model of its policy written to be
// obviously right, not fast: entries in a std::vector, searched linearly. After each operation the
// two must agree on what the operation returned, on the size, on the counters and on which keys are
// present (so the victim of every eviction is checked); the first difference aborts with a message.
// Randomized policies get a model of what any correct cache does instead (see invariant_model).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include <evbus/cache/cache.hpp>

namespace evbus_fuzz {

using key = std::uint8_t;
using value = std::uint32_t;

/// Keys come from a small range, so that operations meet the same keys again and caches fill up.
inline constexpr unsigned key_range = 24u;

/// What the model and the cache are compared on: what each operation returned.
struct put_result {
    bool evicted;
};

/// Reads the fuzzer's bytes one at a time; past the end, zeros.
class byte_reader {
public:
    byte_reader(const std::uint8_t *data, std::size_t size) noexcept: data_{data}, size_{size} {}
    [[nodiscard]] bool more() const noexcept { return at_ < size_; }
    [[nodiscard]] std::uint8_t next() noexcept { return at_ < size_ ? data_[at_++] : 0u; }

private:
    const std::uint8_t *data_;
    std::size_t size_;
    std::size_t at_{0u};
};

/// Operations run by this process; printed at exit when EVBUS_FUZZ_REPORT is set (how the long runs
/// of the closing notes are counted).
inline std::uint64_t operations_run = 0u;

struct operation_report {
    operation_report() = default;
    operation_report(const operation_report &) = delete;
    operation_report &operator=(const operation_report &) = delete;
    ~operation_report() {
        if(std::getenv("EVBUS_FUZZ_REPORT") != nullptr) {
            std::fprintf(stderr, "evbus cache fuzz: %llu operations\n",
                         static_cast<unsigned long long>(operations_run));
        }
    }
};
inline operation_report report_at_exit;

[[noreturn]] inline void fail(const char *what, std::size_t step) {
    std::fprintf(stderr, "evbus cache fuzz: %s differs from the model at operation %zu\n", what, step);
    std::abort();
}

/// Counters a model keeps the way evbus::cache_stats defines them.
struct model_stats {
    std::uint64_t hits{0u};
    std::uint64_t misses{0u};
    std::uint64_t evictions{0u};
};

/// Runs the operations encoded in the fuzzer's bytes on a Cache (an evbus::cache) and a Model, and
/// aborts at the first difference. Model needs: explicit Model(std::size_t capacity), get(key) ->
/// std::optional<value> (counting a use on a hit), put(key, value) -> put_result, erase(key) -> bool,
/// clear(), size(), contains(key), stats() -> model_stats, and, when it knows the exact key set,
/// `static constexpr bool exact = true`.
template<typename Cache, typename Model, typename... PolicyArgs>
int run(const std::uint8_t *data, std::size_t size, PolicyArgs... policy_args) {
    byte_reader in{data, size};
    const std::size_t capacity = 1u + in.next() % 16u;
    Cache cache{capacity, policy_args...};
    Model model{capacity};
    std::size_t step = 0u;
    while(in.more()) {
        const std::uint8_t op = in.next();
        const auto k = static_cast<key>(in.next() % key_range);
        switch(op % 8u) {
        case 0:
        case 1:
        case 2: { // put, the most frequent: it is what evicts
            const value v = static_cast<value>(in.next()) | (static_cast<value>(step) << 8u);
            const bool evicted = cache.put(k, v);
            if(evicted != model.put(k, v).evicted) {
                fail("put's result (evicted)", step);
            }
            break;
        }
        case 3:
        case 4:
        case 5: { // get
            const auto got = cache.get(k);
            const std::optional<value> expected = model.get(k);
            if(static_cast<bool>(got) != expected.has_value() || (got && *got != *expected)) {
                fail("get's result", step);
            }
            break;
        }
        case 6: // erase
            if(cache.erase(k) != model.erase(k)) {
                fail("erase's result", step);
            }
            break;
        default: // clear, rarely: one time in four of this case
            if(k % 4u == 0u) {
                cache.clear();
                model.clear();
            } else if(cache.contains(k) != model.contains(k)) {
                fail("contains", step);
            }
            break;
        }
        if(cache.size() != model.size() || cache.size() > capacity) {
            fail("size", step);
        }
        const auto &s = cache.stats();
        const model_stats m = model.stats();
        if(s.hits != m.hits || s.misses != m.misses || s.evictions != m.evictions) {
            fail("stats", step);
        }
        if constexpr(Model::exact) {
            for(unsigned other = 0; other < key_range; ++other) {
                if(cache.contains(static_cast<key>(other)) != model.contains(static_cast<key>(other))) {
                    fail("the set of keys present (an eviction's victim)", step);
                }
            }
        }
        ++step;
    }
    operations_run += step;
    return 0;
}

/// The part every model shares: entries in a vector, the counters, lookups by linear search.
struct entry {
    key k;
    value v;
    std::uint64_t uses;     // lfu
    std::uint64_t last_use; // lfu: a tick; lru: order in the vector instead
    bool visited;           // sieve
};

class vector_model {
public:
    explicit vector_model(std::size_t capacity): capacity_{capacity} {}

    [[nodiscard]] std::size_t size() const { return entries_.size(); }
    [[nodiscard]] bool contains(key k) const { return find(k) != npos; }
    [[nodiscard]] model_stats stats() const { return stats_; }

    /// Removes k's entry; false when there is none (a model with a hand overrides this).
    bool erase(key k) {
        const std::size_t i = find(k);
        if(i == npos) {
            return false;
        }
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
        return true;
    }

    void clear() { entries_.clear(); }

protected:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    /// The index of k's entry, counting a hit, or npos, counting a miss: what get() starts with.
    [[nodiscard]] std::size_t lookup(key k) {
        const std::size_t i = find(k);
        ++(i == npos ? stats_.misses : stats_.hits);
        return i;
    }

    [[nodiscard]] std::size_t find(key k) const {
        for(std::size_t i = 0; i < entries_.size(); ++i) {
            if(entries_[i].k == k) {
                return i;
            }
        }
        return npos;
    }

    std::size_t capacity_;
    std::vector<entry> entries_;
    model_stats stats_;
    std::uint64_t tick_{0u};
};

/// For randomized policies (wtinylfu), which keys stay is the policy's choice: the same operations
/// are checked against what every correct cache does instead. A hit returns the last value put for
/// the key; a key just put is present with its value; nothing erased or cleared comes back; put
/// evicts exactly when a new key meets a full cache; erase reports whether the key was there; the
/// size follows from all that and never exceeds the capacity; the counters add up.
template<typename Cache, typename... PolicyArgs>
int run_invariants(const std::uint8_t *data, std::size_t size, PolicyArgs... policy_args) {
    byte_reader in{data, size};
    const std::size_t capacity = 1u + in.next() % 16u;
    Cache cache{capacity, policy_args...};
    std::optional<value> last_put[key_range];
    model_stats expected;
    std::size_t step = 0u;
    while(in.more()) {
        const std::uint8_t op = in.next();
        const auto k = static_cast<key>(in.next() % key_range);
        const std::size_t before = cache.size();
        switch(op % 8u) {
        case 0:
        case 1:
        case 2: {
            const value v = static_cast<value>(in.next()) | (static_cast<value>(step) << 8u);
            const bool present = cache.contains(k);
            const bool evicted = cache.put(k, v);
            last_put[k] = v;
            const auto now = cache.peek(k);
            if(!now || *now != v) {
                fail("the value of a key just put", step);
            }
            if(evicted != (!present && before == capacity)) {
                fail("put's result (evicted)", step);
            }
            if(cache.size() != before + (present || evicted ? 0u : 1u)) {
                fail("size after put", step);
            }
            expected.evictions += evicted ? 1u : 0u;
            break;
        }
        case 3:
        case 4:
        case 5: {
            const auto got = cache.get(k);
            if(got && (!last_put[k] || *got != *last_put[k])) {
                fail("get's value (not the last one put)", step);
            }
            ++(got ? expected.hits : expected.misses);
            break;
        }
        case 6: {
            const bool present = cache.contains(k);
            if(cache.erase(k) != present || cache.contains(k)) {
                fail("erase", step);
            }
            last_put[k].reset();
            if(cache.size() != before - (present ? 1u : 0u)) {
                fail("size after erase", step);
            }
            break;
        }
        default:
            if(k % 4u == 0u) {
                cache.clear();
                for(auto &slot: last_put) {
                    slot.reset();
                }
                if(cache.size() != 0u) {
                    fail("size after clear", step);
                }
            }
            break;
        }
        std::size_t present = 0u;
        for(unsigned other = 0; other < key_range; ++other) {
            if(const auto held = cache.peek(static_cast<key>(other))) {
                ++present;
                if(!last_put[other] || *held != *last_put[other]) {
                    fail("a key present that was never put, or erased, or with another value", step);
                }
            }
        }
        if(present != cache.size() || cache.size() > capacity) {
            fail("size", step);
        }
        const auto &s = cache.stats();
        if(s.hits != expected.hits || s.misses != expected.misses || s.evictions != expected.evictions) {
            fail("stats", step);
        }
        ++step;
    }
    operations_run += step;
    return 0;
}

} // namespace evbus_fuzz

#endif
