#ifndef EVBUS_TESTS_ALLOC_COUNTER_HPP
#define EVBUS_TESTS_ALLOC_COUNTER_HPP

#include <cstddef>

// Counts calls to the replaced global operator new (all forms) in this test binary.
namespace alloc_counter {
[[nodiscard]] std::size_t count() noexcept;
} // namespace alloc_counter

#endif
