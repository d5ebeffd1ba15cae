#ifndef EVBUS_CACHE_CACHE_REF_HPP
#define EVBUS_CACHE_CACHE_REF_HPP

/// @file
/// @brief evbus::cache_ref: the optional-like handle that cache lookups return.

#include <type_traits>
#include <utility>

namespace evbus {

/// @brief Optional-like, non-owning handle to a value held by a cache; empty on a miss.
/// @details It is a pointer in disguise: no copy of the value, no allocation. The next call that
/// mutates the cache (get, put, erase, clear, ...) may invalidate it, so use it right away.
template<typename Type>
class cache_ref {
public:
    /// @brief Type of the referenced value.
    using value_type = std::remove_const_t<Type>;

    /// @brief Builds an empty handle.
    constexpr cache_ref() noexcept = default;

    /// @brief Builds a handle to a value, or an empty one from a null pointer.
    constexpr explicit cache_ref(Type *value) noexcept: value_{value} {}

    /// @brief Converts a handle to a mutable value into a handle to a const one.
    template<typename Other, typename = std::enable_if_t<std::is_convertible_v<Other *, Type *>>>
    constexpr cache_ref(const cache_ref<Other> &other) noexcept: value_{other.get()} {}

    /// @brief True when the handle refers to a value.
    [[nodiscard]] constexpr explicit operator bool() const noexcept { return value_ != nullptr; }

    /// @brief True when the handle refers to a value.
    [[nodiscard]] constexpr bool has_value() const noexcept { return value_ != nullptr; }

    /// @brief The referenced value; the handle must not be empty.
    [[nodiscard]] constexpr Type &operator*() const noexcept { return *value_; }

    /// @brief Member access to the referenced value; the handle must not be empty.
    [[nodiscard]] constexpr Type *operator->() const noexcept { return value_; }

    /// @brief The underlying pointer, null when empty.
    [[nodiscard]] constexpr Type *get() const noexcept { return value_; }

    /// @brief A copy of the referenced value, or @p fallback converted to the value type when empty.
    template<typename Fallback>
    [[nodiscard]] constexpr value_type value_or(Fallback &&fallback) const {
        return value_ ? *value_ : static_cast<value_type>(std::forward<Fallback>(fallback));
    }

private:
    Type *value_{};
};

} // namespace evbus

#endif
