#ifndef EVBUS_CORE_DIAGNOSTICS_HPP
#define EVBUS_CORE_DIAGNOSTICS_HPP

/// @file
/// @brief What evbus's error messages are made with: a type's name without RTTI, a raise() that names a
/// type, and a stand-in value that ends a build after its static_assert.

#include <cstddef>
#include <string>
#include <string_view>

#include "../config.hpp"

namespace evbus::detail {

/// The signature of this function as the compiler prints it, which contains Type's name; empty
/// on a compiler without such a string.
template<typename Type>
[[nodiscard]] constexpr std::string_view signature_naming() noexcept {
#if defined(__clang__) || defined(__GNUC__)
    return __PRETTY_FUNCTION__;
#elif defined(_MSC_VER)
    return __FUNCSIG__;
#else
    return {};
#endif
}

/// Where a type's name sits in signature_naming<Type>(): what comes before and after it is the
/// same for every type, so it is measured once on a type whose name is known (void).
struct signature_layout {
    static constexpr std::string_view probe = signature_naming<void>();
    static constexpr std::size_t prefix = probe.find("void");
    static constexpr std::size_t suffix = prefix == std::string_view::npos ? 0u : probe.size() - prefix - 4u;
};

/// Type's name as the compiler spells it ("price_query", "app::tick", "(anonymous namespace)::q"),
/// or "(unknown type)" on a compiler that offers no such string. For messages only: the spelling
/// differs between compilers, so it is no stable identifier.
template<typename Type>
[[nodiscard]] constexpr std::string_view type_name() noexcept {
    constexpr std::string_view full = signature_naming<Type>();
    if constexpr(signature_layout::prefix == std::string_view::npos ||
                 full.size() <= signature_layout::prefix + signature_layout::suffix) {
        return "(unknown type)";
    } else {
        return full.substr(signature_layout::prefix, full.size() - signature_layout::prefix - signature_layout::suffix);
    }
}

/// raise() with the message `before` + `'name'` + `after`. The string is built here, on the
/// error path only; evbus::error copies it, and the -fno-exceptions hook sees it before abort().
[[noreturn]] EVBUS_COLD inline void raise_naming(errc code, std::string_view before, std::string_view name,
                                                 std::string_view after) {
    std::string message;
    message.reserve(before.size() + name.size() + after.size() + 2u);
    message.append(before).append(1u, '\'').append(name).append(1u, '\'').append(after);
    raise(code, message.c_str());
}

/// Stands for a value in a build whose static_assert has failed, so that nothing else is reported
/// after it; never defined (no such build links).
template<typename Type>
Type failed_build_value() noexcept;

} // namespace evbus::detail

#endif
