#ifndef EVBUS_BENCHMARKS_ZIPF_HPP
#define EVBUS_BENCHMARKS_ZIPF_HPP

// Seeded Zipf key generator shared by the hit-ratio table and the cache tests. Portable: it uses only
// std::mt19937_64 (whose output the standard fixes) and its own uniform mapping, so every standard
// library produces the same trace.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace evbus_bench {

/// @brief Draws keys in [0, keys) with P(k) proportional to 1 / (k + 1)^alpha, by inverse CDF.
class zipf_generator {
public:
    /// @brief Precomputes the cumulative weights of @p keys keys.
    zipf_generator(std::size_t keys, double alpha, std::uint64_t seed): cdf_(keys), engine_{seed} {
        double sum = 0.0;
        for(std::size_t k = 0; k < keys; ++k) {
            sum += 1.0 / std::pow(static_cast<double>(k + 1u), alpha);
            cdf_[k] = sum;
        }
        for(double &weight: cdf_) {
            weight /= sum;
        }
        cdf_.back() = 1.0;
    }

    /// @brief Next key of the trace.
    std::uint64_t operator()() {
        const double uniform = static_cast<double>(engine_() >> 11u) * 0x1.0p-53;
        return static_cast<std::uint64_t>(std::upper_bound(cdf_.begin(), cdf_.end(), uniform) - cdf_.begin());
    }

private:
    std::vector<double> cdf_;
    std::mt19937_64 engine_;
};

/// @brief A trace of @p requests keys from a zipf_generator.
inline std::vector<std::uint64_t> zipf_trace(std::size_t keys, double alpha, std::size_t requests, std::uint64_t seed) {
    zipf_generator next{keys, alpha, seed};
    std::vector<std::uint64_t> trace(requests);
    for(auto &key: trace) {
        key = next();
    }
    return trace;
}

} // namespace evbus_bench

#endif
