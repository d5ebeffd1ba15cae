#ifndef EVBUS_CORE_QUERY_HPP
#define EVBUS_CORE_QUERY_HPP

/// @file
/// @brief Queries: a type with `using result_type = ...;` has one responder per bus (respond/request).

#include <optional>
#include <type_traits>

namespace evbus::detail {

template<typename Query, typename = void>
struct is_query: std::false_type {};

template<typename Query>
struct is_query<Query, std::void_t<typename Query::result_type>>: std::true_type {};

/// True for query types: they name their answer type as result_type.
template<typename Query>
inline constexpr bool is_query_v = is_query<Query>::value;

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
