#pragma once
// The live heatmap beside the chat: "Map" (prompt, answer, token under the mouse, tuned −
// original) "of" (the original or the tuned pane) over the HeatmapView, fed by the two panes'
// RoutingAccumulators, with the click / drag hint under it. Clicks on the map edit the tuning
// document (HeatmapView).
#include <QWidget>
#include <array>

#include "widgets/models/heatmap_data.h"

class QComboBox;

namespace mote::widgets {

class HeatmapView;
class RoutingAccumulator;
class TuningDocument;

class LiveHeatmapPanel : public QWidget {
  Q_OBJECT

 public:
  // Panes are numbered as the chat's sides: 0 the original, 1 the tuned one.
  static constexpr int kOriginal = 0;
  static constexpr int kTuned = 1;

  explicit LiveHeatmapPanel(TuningDocument* document, QWidget* parent = nullptr);

  HeatmapView* heatmap() const { return heatmap_; }
  // The maps of each pane (not owned); the map follows their changes.
  void setSources(RoutingAccumulator* original, RoutingAccumulator* tuned);
  HeatmapMode mode() const;
  int side() const;

 public Q_SLOTS:
  void setMode(mote::widgets::HeatmapMode mode, int side);
  void refresh();
  // The token under the mouse in pane `side` (-1: none); the Token map shows it, of that pane.
  void setHoveredToken(int side, int token);
  // The map as PNG (300 dpi, axes, colour bar) or SVG, through a file dialog.
  void exportDialog();

 private:
  TuningDocument* document_;
  HeatmapView* heatmap_;
  QComboBox* mode_;
  QComboBox* side_;
  std::array<RoutingAccumulator*, 2> sources_{};
  int hovered_token_ = -1;
};

}  // namespace mote::widgets
