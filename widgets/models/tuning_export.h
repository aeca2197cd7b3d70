#pragma once
// Tuning files. Three formats, all carrying model layer indices (`layer`, as the engine takes
// them); the expert lists also carry `moe_layer` (0-based index among MoE layers):
//  - tuning JSON (the project's wire/file format, mote::TuningSpec):
//      {"suppress": [[layer, expert], ...], "stimulate": [[layer, expert], ...]}
//  - expert-list JSON (file name ending ".experts.json"):
//      [{"layer": 3, "moe_layer": 0, "expert": 17, "state": "suppressed"}, ...]
//  - expert-list CSV: header "layer,moe_layer,expert,state", one row per tuned expert.
// Writers sort by (layer, expert); readers detect the format from the content and throw
// sessions::SessionError naming the file and the entry at fault.
#include <QByteArray>
#include <QString>

#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"

namespace mote::widgets {

enum class TuningFileFormat { kTuningJson, kExpertListJson, kExpertListCsv };

// .csv -> expert-list CSV; *.experts.json -> expert-list JSON; anything else -> tuning JSON.
TuningFileFormat tuningFormatForPath(const QString& path);

// Both lists sorted by (layer, expert).
mote::TuningSpec sortedTuning(const mote::TuningSpec& spec);

QByteArray tuningJson(const mote::TuningSpec& spec);
QByteArray expertListJson(const mote::TuningSpec& spec,
                          const mote::ModelGeometry& geometry);
QByteArray expertListCsv(const mote::TuningSpec& spec, const mote::ModelGeometry& geometry);
QByteArray serializeTuning(const mote::TuningSpec& spec,
                           const mote::ModelGeometry& geometry, TuningFileFormat format);

// Any of the three formats (content-detected: a JSON object, a JSON list, else CSV). A
// `moe_layer` that disagrees with the geometry, an unknown state or a missing column is an
// error. The result is not validated against the geometry (TuningDocument::load does that).
mote::TuningSpec parseTuningBytes(const QByteArray& content, const QString& sourceName,
                                      const mote::ModelGeometry& geometry);

}  // namespace mote::widgets
