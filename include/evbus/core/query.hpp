#ifndef EVBUS_CORE_QUERY_HPP
#define EVBUS_CORE_QUERY_HPP

/// @file
/// @brief Queries: a type with `using result_type = ...;` has one responder per bus (respond/request).

#include <optional>
#include <type_traits>

namespace evbus {

template<typename Cache, typename Function, typename KeyFunction>
class memoized;

} // namespace evbus

namespace evbus::detail {

template<typename Query, typename = void>
struct is_query: std::false_type {};

template<typename Query>
struct is_query<Query, std::void_t<typename Query::result_type>>: std::true_type {};

/// True for query types: they name their answer type as result_type.
template<typename Query>
inline constexpr bool is_query_v = is_query<Query>::value;

/// What request() returns for a type that is not a query, so that its static_assert is the only
/// error: it converts to whatever the caller wanted (never defined: no such build links).
struct not_a_query {
    template<typename Type>
    operator Type() const noexcept;
};

/// Query::result_type, or not_a_query when Query names none.
template<typename Query, typename = void>
struct query_result {
    using type = not_a_query;
};

template<typename Query>
struct query_result<Query, std::void_t<typename Query::result_type>> {
    using type = typename Query::result_type;
};

/// The answer type of a query type (after removing const and references), or not_a_query.
template<typename Query>
using query_result_t = typename query_result<std::remove_cv_t<std::remove_reference_t<Query>>>::type;

/// True for evbus::memoized: respond() holds an lvalue one by reference, so that the cache the
/// user invalidates is the one the responder reads.
template<typename Type>
struct is_memoized: std::false_type {};

template<typename Cache, typename Function, typename KeyFunction>
struct is_memoized<memoized<Cache, Function, KeyFunction>>: std::true_type {};

/// What request() hands to the responder through the bus's handler lists: the
/// query and a place for the answer. Queries and events of the same type never
/// meet, because query_call<Q> is a type of its own.
template<typename Query>
struct query_call {
    const Query *query;
    mutable std::optional<typename Query::result_type> answer;
};

} // namespace evbus::detail

#endif
