#include "widgets/models/tuning_export.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sessions/csv_reader.h"
#include "sessions/csv_writer.h"
#include "sessions/session_error.h"

namespace mote::widgets {
namespace {

using mote::ExpertAddress;
using sessions::SessionError;

struct ListEntry {
  ExpertAddress address;
  bool stimulate = false;
};

std::vector<ListEntry> entries(const mote::TuningSpec& spec) {
  std::vector<ListEntry> list;
  for (const auto& a : spec.suppress) list.push_back({a, false});
  for (const auto& a : spec.stimulate) list.push_back({a, true});
  std::sort(list.begin(), list.end(),
            [](const ListEntry& x, const ListEntry& y) { return x.address < y.address; });
  return list;
}

// moe_layer of `layer`, or -1 if it is not a MoE layer (writers keep going; readers check).
int moeLayerOf(const mote::ModelGeometry& geometry, int layer) {
  auto it = std::lower_bound(geometry.moe_layers.begin(), geometry.moe_layers.end(), layer);
  if (it == geometry.moe_layers.end() || *it != layer) return -1;
  return static_cast<int>(it - geometry.moe_layers.begin());
}

const char* stateWord(bool stimulate) {
  return stimulate ? "stimulated" : "suppressed";
}

// Adds one expert-list entry; `where` names the file and entry for messages.
void addEntry(mote::TuningSpec& spec, const mote::ModelGeometry& geometry, int layer, int expert,
              std::optional<int> moeLayer, const std::string& state, const std::string& where) {
  if (moeLayer) {
    const int expected = moeLayerOf(geometry, layer);
    if (expected < 0) {
      throw SessionError(where + ": layer " + std::to_string(layer) +
                         " is not a MoE layer of this model");
    }
    if (*moeLayer != expected) {
      throw SessionError(where + ": moe_layer " + std::to_string(*moeLayer) +
                         " does not match layer " + std::to_string(layer) + " (its moe_layer is " +
                         std::to_string(expected) + ")");
    }
  }
  if (state == "suppressed" || state == "suppress") {
    spec.suppress.push_back({layer, expert});
  } else if (state == "stimulated" || state == "stimulate") {
    spec.stimulate.push_back({layer, expert});
  } else if (state != "none" && !state.empty()) {
    throw SessionError(where + ": unknown state \"" + state +
                       "\" (expected suppressed, stimulated or none)");
  }
}

int parseInt(const std::string& text, const std::string& where, const char* column) {
  std::size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    throw SessionError(where + ": column " + column + " must be an integer, got \"" + text + "\"");
  }
  return value;
}

mote::TuningSpec parseExpertListJson(const nlohmann::json& json, const std::string& source,
                                     const mote::ModelGeometry& geometry) {
  mote::TuningSpec spec;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const auto& item = json[i];
    const std::string where = source + " entry " + std::to_string(i);
    if (!item.is_object()) throw SessionError(where + ": expected an object");
    for (const char* key : {"layer", "expert", "state"}) {
      if (!item.contains(key)) throw SessionError(where + ": missing \"" + key + "\"");
    }
    if (!item["layer"].is_number_integer() || !item["expert"].is_number_integer() ||
        !item["state"].is_string() ||
        (item.contains("moe_layer") && !item["moe_layer"].is_number_integer())) {
      throw SessionError(where + ": layer, moe_layer and expert must be integers, state a string");
    }
    std::optional<int> moeLayer;
    if (item.contains("moe_layer")) moeLayer = item["moe_layer"].get<int>();
    addEntry(spec, geometry, item["layer"].get<int>(), item["expert"].get<int>(), moeLayer,
             item["state"].get<std::string>(), where);
  }
  return spec;
}

mote::TuningSpec parseExpertListCsv(const std::string& text, const std::string& source,
                                    const mote::ModelGeometry& geometry) {
  const auto rows = sessions::parse_csv(text, source);
  if (rows.empty()) throw SessionError(source + ": empty CSV (expected a header)");
  const auto& header = rows.front();
  auto column = [&](const char* name) -> int {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int layerCol = column("layer"), expertCol = column("expert"), stateCol = column("state");
  const int moeCol = column("moe_layer");
  if (layerCol < 0 || expertCol < 0 || stateCol < 0) {
    throw SessionError(source + ": CSV header must name the columns layer, expert and state");
  }
  mote::TuningSpec spec;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() == 1 && row[0].empty()) continue;  // blank line
    const std::string where = source + " line " + std::to_string(r + 1);
    const int needed = std::max({layerCol, expertCol, stateCol, moeCol});
    if (static_cast<int>(row.size()) <= needed) {
      throw SessionError(where + ": expected " + std::to_string(header.size()) + " columns, got " +
                         std::to_string(row.size()));
    }
    std::optional<int> moeLayer;
    if (moeCol >= 0) moeLayer = parseInt(row[moeCol], where, "moe_layer");
    addEntry(spec, geometry, parseInt(row[layerCol], where, "layer"),
             parseInt(row[expertCol], where, "expert"), moeLayer, row[stateCol], where);
  }
  return spec;
}

}  // namespace

TuningFileFormat tuningFormatForPath(const QString& path) {
  const QString lower = path.toLower();
  if (lower.endsWith(QLatin1String(".csv"))) return TuningFileFormat::kExpertListCsv;
  if (lower.endsWith(QLatin1String(".experts.json"))) return TuningFileFormat::kExpertListJson;
  return TuningFileFormat::kTuningJson;
}

mote::TuningSpec sortedTuning(const mote::TuningSpec& spec) {
  mote::TuningSpec sorted = spec;
  std::sort(sorted.suppress.begin(), sorted.suppress.end());
  std::sort(sorted.stimulate.begin(), sorted.stimulate.end());
  return sorted;
}

QByteArray tuningJson(const mote::TuningSpec& spec) {
  return QByteArray::fromStdString(sortedTuning(spec).to_json().dump() + "\n");
}

QByteArray expertListJson(const mote::TuningSpec& spec, const mote::ModelGeometry& geometry) {
  auto list = nlohmann::json::array();
  for (const auto& e : entries(spec)) {
    list.push_back({{"layer", e.address.layer},
                    {"moe_layer", moeLayerOf(geometry, e.address.layer)},
                    {"expert", e.address.expert},
                    {"state", stateWord(e.stimulate)}});
  }
  return QByteArray::fromStdString(list.dump(1) + "\n");
}

QByteArray expertListCsv(const mote::TuningSpec& spec, const mote::ModelGeometry& geometry) {
  std::string csv = "layer,moe_layer,expert,state\n";
  for (const auto& e : entries(spec)) {
    csv += std::to_string(e.address.layer) + ',' +
           std::to_string(moeLayerOf(geometry, e.address.layer)) + ',' +
           std::to_string(e.address.expert) + ',' + sessions::csv_escape(stateWord(e.stimulate)) +
           '\n';
  }
  return QByteArray::fromStdString(csv);
}

QByteArray serializeTuning(const mote::TuningSpec& spec, const mote::ModelGeometry& geometry,
                           TuningFileFormat format) {
  switch (format) {
    case TuningFileFormat::kExpertListCsv:
      return expertListCsv(spec, geometry);
    case TuningFileFormat::kExpertListJson:
      return expertListJson(spec, geometry);
    case TuningFileFormat::kTuningJson:
      break;
  }
  return tuningJson(spec);
}

mote::TuningSpec parseTuningBytes(const QByteArray& content, const QString& sourceName,
                                  const mote::ModelGeometry& geometry) {
  const std::string source = sourceName.toStdString();
  const std::string text = content.toStdString();
  const auto first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw SessionError(source + ": invalid JSON: " + e.what());
    }
    if (json.is_array()) return parseExpertListJson(json, source, geometry);
    try {
      return mote::TuningSpec::from_json(json);
    } catch (const mote::Error& e) {
      throw SessionError(source + ": " + e.what());
    }
  }
  return parseExpertListCsv(text, source, geometry);
}

}  // namespace mote::widgets
