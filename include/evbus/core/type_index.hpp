#ifndef EVBUS_CORE_TYPE_INDEX_HPP
#define EVBUS_CORE_TYPE_INDEX_HPP

/// @file
/// @brief Dense per-type indices without RTTI.

#include <atomic>
#include <cstddef>

namespace evbus::detail {

inline std::size_t next_type_index() noexcept {
    static std::atomic<std::size_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed);
}

/// Dense index of T, assigned on first use and stable for the life of the process.
/// Indices are shared by every bus, so a bus's lookup table is a plain array.
/// Like EnTT's, they are per process image: event types that cross a shared
/// library boundary need that library to export its template instantiations.
template<typename Type>
struct type_index {
    [[nodiscard]] static std::size_t value() noexcept {
        static const std::size_t index = next_type_index();
        return index;
    }
};

} // namespace evbus::detail

#endif
