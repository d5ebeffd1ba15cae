#ifndef EVBUS_FWD_HPP
#define EVBUS_FWD_HPP

/// @file
/// @brief Forward declarations of evbus's public types.

namespace evbus {

struct multi_thread;
struct single_thread;
struct spsc;
struct bus_config;
struct queue_stats;
class subscription;
template<typename Threading, typename Event>
class queue_front;
template<typename Threading>
class basic_bus;
using bus = basic_bus<multi_thread>;
using st_bus = basic_bus<single_thread>;
template<typename Event, typename Threading = multi_thread>
class channel;
template<typename Bus, typename... Events>
class basic_publisher;
template<typename Derived, typename... Events>
class subscriber;
template<typename Target>
class basic_worker;
struct worker_config;
struct lru;
struct lfu;
struct sieve;
struct wtinylfu;
struct wtinylfu_config;
class slot_list;
class frequency_sketch;
template<typename Clock>
class scheduler; // Clock defaults to std::chrono::steady_clock (time/scheduler.hpp)
class timer;
struct timer_stats;
template<typename Tag>
struct manual_clock;
struct journal_config;
struct journal_writer_stats;
template<typename Threading>
class basic_journal_writer;
using journal_writer = basic_journal_writer<multi_thread>;
using st_journal_writer = basic_journal_writer<single_thread>;
class journal_reader;

} // namespace evbus

#endif
