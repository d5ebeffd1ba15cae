#ifndef EVBUS_EVBUS_HPP
#define EVBUS_EVBUS_HPP

/// @file
/// @brief Umbrella header: everything evbus offers.

/// @namespace evbus
/// @brief Buses, channels, queues, timers and caches; names in evbus::detail are internal.

#include "config.hpp"
#include "fwd.hpp"
#include "core/bus.hpp"
#include "queue/bus_config.hpp"
#include "core/channel.hpp"
#include "core/publisher.hpp"
#include "core/query.hpp"
#include "core/subscriber.hpp"
#include "core/subscription.hpp"
#include "core/threading.hpp"
#include "queue/queue_front.hpp"
#include "queue/queue_stats.hpp"
#include "time/manual_clock.hpp"
#include "time/scheduler.hpp"
#include "time/timer.hpp"
#include "time/timer_stats.hpp"
#include "worker/worker.hpp"
#include "cache/cache.hpp"
#include "cache/coarse_clock.hpp"
#include "cache/concurrent_cache.hpp"
#include "cache/frequency_sketch.hpp"
#include "cache/invalidate.hpp"
#include "cache/lfu.hpp"
#include "cache/lru.hpp"
#include "cache/memoize.hpp"
#include "cache/sieve.hpp"
#include "cache/ttl.hpp"
#include "cache/wtinylfu.hpp"
#include "io/codec.hpp"
#include "io/crc32c.hpp"
#include "io/event_traits.hpp"
#include "io/journal_clock.hpp"
#include "io/journal_format.hpp"
#include "io/journal_reader.hpp"
#include "io/journal_writer.hpp"

#endif
