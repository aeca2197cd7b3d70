#pragma once
// Qt metatypes of the engine client's streaming types, so they can travel through queued
// signal/slot connections (engine worker thread -> GUI thread). One header for all users:
// a Q_DECLARE_METATYPE must be seen before any moc code instantiates the type's metatype.
#include <QMetaType>

#include "sessions/engine_client.h"

Q_DECLARE_METATYPE(mote::RoutingRow)
Q_DECLARE_METATYPE(mote::sessions::TokenEvent)
Q_DECLARE_METATYPE(mote::sessions::GenerationResult)
