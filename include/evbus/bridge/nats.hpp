#ifndef EVBUS_BRIDGE_NATS_HPP
#define EVBUS_BRIDGE_NATS_HPP

/// @file
/// @brief The NATS bridge: evbus::nats::connection and evbus::nats::bridge (CMake target evbus::nats,
/// which links libnats). Not included by <evbus/evbus.hpp>, which needs no library.

#include "nats_bridge.hpp"
#include "nats_connection.hpp"
#include "nats_wire.hpp"

#endif
