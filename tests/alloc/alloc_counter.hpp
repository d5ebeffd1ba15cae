#ifndef EVBUS_TESTS_ALLOC_COUNTER_HPP
#define EVBUS_TESTS_ALLOC_COUNTER_HPP

#include <cstddef>

// Counts calls to the replaced global operator new (all forms) in this test binary.
namespace alloc_counter {
[[nodiscard]] std::size_t count() noexcept;

/// While alive, every operator new fails on this thread: the throwing forms throw std::bad_alloc,
/// the nothrow forms return null.
class scoped_failure {
public:
    scoped_failure() noexcept;
    /// The first `allowed` operator new calls on this thread succeed, every later one fails.
    explicit scoped_failure(std::size_t allowed) noexcept;
    ~scoped_failure();
    scoped_failure(const scoped_failure &) = delete;
    scoped_failure &operator=(const scoped_failure &) = delete;
};
} // namespace alloc_counter

#endif
