// The heatmap: hit testing at several sizes and model geometries, click cycle with undo/redo,
// rectangle bulk actions, the stimulate limit, hover info and tooltips.
#include <catch2/catch.hpp>

#include <QApplication>
#include <QMenu>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTest>
#include <QToolTip>
#include <QUndoStack>
#include <random>

#include "protocol/model_geometry.h"
#include "widgets/heatmap_view.h"
#include "widgets/models/tuning_document.h"

using mote::ExpertAddress;
using mote::ModelGeometry;
using mote::widgets::ExpertState;
using mote::widgets::HeatmapCell;
using mote::widgets::HeatmapCellInfo;
using mote::widgets::HeatmapData;
using mote::widgets::HeatmapLayout;
using mote::widgets::HeatmapView;
using mote::widgets::TuningDocument;

namespace {

// A mouse move without buttons, delivered synchronously (QTest::mouseMove without a pressed
// button moves the X cursor instead, which arrives asynchronously).
void hover(QWidget* widget, const QPoint& position) {
  QMouseEvent event(QEvent::MouseMove, position, widget->mapToGlobal(position), Qt::NoButton,
                    Qt::NoButton, Qt::NoModifier);
  QApplication::sendEvent(widget, &event);
}

ModelGeometry kimiK2() {  // Kimi-K2: 61 layers, the first dense, 384 experts, top-8
  ModelGeometry g;
  for (int layer = 1; layer <= 60; ++layer) g.moe_layers.push_back(layer);
  g.n_experts = 384;
  g.top_k = 8;
  return g;
}

ModelGeometry small() {  // v3-tiny-like: 3 MoE layers, 16 experts, top-4
  ModelGeometry g;
  g.moe_layers = {1, 2, 3};
  g.n_experts = 16;
  g.top_k = 4;
  return g;
}

ModelGeometry tiny() {  // for the stimulate limit: top-2
  ModelGeometry g;
  g.moe_layers = {2, 5};
  g.n_experts = 6;
  g.top_k = 2;
  return g;
}

QPoint centerOf(const HeatmapView& view, const ExpertAddress& address) {
  return view.cellCenter(address).value().toPoint();
}

// A view with a document, shown at `size`.
struct Fixture {
  TuningDocument document;
  HeatmapView view;
  explicit Fixture(const ModelGeometry& geometry, QSize size = {900, 480}) : document(geometry) {
    view.setDocument(&document);
    view.resize(size);
    view.show();
    REQUIRE(QTest::qWaitForWindowExposed(&view));
  }
};

}  // namespace

TEST_CASE("heatmap: hit testing maps positions to cells at any size and geometry",
          "[widgets][heatmap]") {
  const auto geometry = GENERATE(ModelGeometry::deepseek_r1(), kimiK2(), small());
  const auto size = GENERATE(QSize(260, 170), QSize(900, 480), QSize(1920, 1080), QSize(3000, 900));
  const int rows = static_cast<int>(geometry.n_moe_layers());
  const int columns = geometry.n_experts;
  QVector<QString> labels;
  for (int layer : geometry.moe_layers) labels.push_back(QString::number(layer));
  QFont font;
  const HeatmapLayout layout(QRectF(QPointF(0, 0), QSizeF(size)), rows, columns, labels,
                             QFontMetricsF(font));
  INFO(rows << " x " << columns << " at " << size.width() << " x " << size.height());
  REQUIRE_FALSE(layout.isEmpty());
  CHECK(layout.plotRect().left() > 0);
  CHECK(layout.plotRect().right() < layout.colorBarRect().left());
  CHECK(layout.colorBarRect().right() < size.width());
  CHECK(layout.plotRect().bottom() < size.height());

  std::mt19937 rng(7);
  std::vector<HeatmapCell> cells = {
      {0, 0}, {rows - 1, columns - 1}, {0, columns - 1}, {rows - 1, 0}, {rows / 2, columns / 2}};
  for (int i = 0; i < 40; ++i) {
    cells.push_back({static_cast<int>(rng() % rows), static_cast<int>(rng() % columns)});
  }
  for (const HeatmapCell& cell : cells) {
    const QRectF r = layout.cellRect(cell.row, cell.column);
    const double ex = std::min(0.01, r.width() / 4), ey = std::min(0.01, r.height() / 4);
    for (const QPointF& p :
         {r.center(), r.topLeft() + QPointF(ex, ey), r.bottomRight() - QPointF(ex, ey)}) {
      const auto hit = layout.cellAt(p);
      REQUIRE(hit.has_value());
      CHECK(*hit == cell);
    }
  }
  // Outside the plot: axes, colour bar, title.
  CHECK_FALSE(layout.cellAt(layout.plotRect().topLeft() - QPointF(1, 1)).has_value());
  CHECK_FALSE(layout.cellAt(layout.plotRect().bottomRight() + QPointF(0.5, 0.5)).has_value());
  CHECK_FALSE(layout.cellAt(layout.colorBarRect().center()).has_value());
  CHECK_FALSE(layout.cellAt(QPointF(2, 2)).has_value());
  // Clamped hits (dragging past the edge) stay on the border cells.
  CHECK(layout.clampedCellAt(QPointF(-100, -100)) == HeatmapCell{0, 0});
  CHECK(layout.clampedCellAt(QPointF(1e6, 1e6)) == HeatmapCell{rows - 1, columns - 1});
  // Row labels never overlap: stride * row height >= font height.
  CHECK(layout.rowLabelStride() * layout.cellHeight() >= QFontMetricsF(font).height());
}

TEST_CASE("heatmap: the view's addressAt follows resizes", "[widgets][heatmap]") {
  Fixture f(ModelGeometry::deepseek_r1(), {700, 400});
  for (QSize size : {QSize(700, 400), QSize(1400, 800), QSize(400, 260)}) {
    f.view.resize(size);
    QCoreApplication::processEvents();
    for (ExpertAddress a : {ExpertAddress{3, 0}, ExpertAddress{60, 255}, ExpertAddress{31, 128}}) {
      const auto center = f.view.cellCenter(a);
      REQUIRE(center.has_value());
      CHECK(f.view.addressAt(*center) == a);
    }
  }
  CHECK_FALSE(f.view.addressAt(QPointF(1, 1)).has_value());
}

TEST_CASE("heatmap: click cycles none -> suppressed -> stimulated -> none, undo/redo by keys",
          "[widgets][heatmap][tuning]") {
  Fixture f(ModelGeometry::deepseek_r1());
  QSignalSpy clicked(&f.view, &HeatmapView::expertClicked);
  const ExpertAddress a{10, 42};
  const QPoint p = centerOf(f.view, a);

  QTest::mouseClick(&f.view, Qt::LeftButton, Qt::NoModifier, p);
  CHECK(f.document.state(a) == ExpertState::kSuppressed);
  QTest::mouseClick(&f.view, Qt::LeftButton, Qt::NoModifier, p);
  CHECK(f.document.state(a) == ExpertState::kStimulated);
  QTest::mouseClick(&f.view, Qt::LeftButton, Qt::NoModifier, p);
  CHECK(f.document.state(a) == ExpertState::kNone);
  REQUIRE(clicked.count() == 3);
  CHECK(clicked.at(0).at(0).value<ExpertAddress>() == a);
  CHECK(clicked.at(1).at(1).value<ExpertState>() == ExpertState::kStimulated);
  CHECK(f.document.undoStack()->count() == 3);

  f.view.setFocus();
  QTest::keyClick(&f.view, Qt::Key_Z, Qt::ControlModifier);
  CHECK(f.document.state(a) == ExpertState::kStimulated);
  QTest::keyClick(&f.view, Qt::Key_Z, Qt::ControlModifier);
  CHECK(f.document.state(a) == ExpertState::kSuppressed);
  QTest::keyClick(&f.view, Qt::Key_Z, Qt::ControlModifier);
  CHECK(f.document.state(a) == ExpertState::kNone);
  CHECK(f.document.spec().empty());
  QTest::keyClick(&f.view, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
  CHECK(f.document.state(a) == ExpertState::kSuppressed);
  QTest::keyClick(&f.view, Qt::Key_Y, Qt::ControlModifier);
  CHECK(f.document.state(a) == ExpertState::kStimulated);
  CHECK(f.document.spec().stimulate == std::vector<ExpertAddress>{a});

  // A click outside the plot does nothing.
  QTest::mouseClick(&f.view, Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));
  CHECK(clicked.count() == 3);
}

TEST_CASE("heatmap: Kimi-K2 geometry, clicks at the far corner cells",
          "[widgets][heatmap][tuning]") {
  Fixture f(kimiK2(), {1300, 500});
  for (ExpertAddress a : {ExpertAddress{1, 0}, ExpertAddress{60, 383}, ExpertAddress{1, 383}}) {
    QTest::mouseClick(&f.view, Qt::LeftButton, Qt::NoModifier, centerOf(f.view, a));
    CHECK(f.document.state(a) == ExpertState::kSuppressed);
  }
  CHECK(f.document.suppressedCount() == 3);
}

TEST_CASE("heatmap: dragging a rectangle selects it; modifiers apply bulk actions as one command",
          "[widgets][heatmap][tuning]") {
  Fixture f(small(), {800, 400});
  QSignalSpy selected(&f.view, &HeatmapView::selectionChanged);
  const QPoint from = centerOf(f.view, {1, 2});
  const QPoint to = centerOf(f.view, {2, 4});

  SECTION("Shift-drag suppresses the rectangle, one undo restores it") {
    QTest::mousePress(&f.view, Qt::LeftButton, Qt::ShiftModifier, from);
    QTest::mouseMove(&f.view, to);
    QTest::mouseRelease(&f.view, Qt::LeftButton, Qt::ShiftModifier, to);
    REQUIRE(selected.count() >= 1);
    const auto addresses = selected.at(0).at(0).value<QVector<ExpertAddress>>();
    CHECK(addresses.size() == 6);  // 2 layers x experts 2..4
    CHECK(f.document.suppressedCount() == 6);
    for (int layer : {1, 2}) {
      for (int expert : {2, 3, 4})
        CHECK(f.document.state({layer, expert}) == ExpertState::kSuppressed);
    }
    CHECK(f.document.state({1, 1}) == ExpertState::kNone);
    CHECK(f.document.state({3, 3}) == ExpertState::kNone);
    CHECK(f.document.undoStack()->count() == 1);
    f.document.undo();
    CHECK(f.document.empty());
  }

  SECTION("Ctrl+Shift-drag clears, Ctrl-drag stimulates") {
    f.document.setStates({{1, 3}, {2, 3}}, ExpertState::kSuppressed);
    QTest::mousePress(&f.view, Qt::LeftButton, Qt::ControlModifier | Qt::ShiftModifier, from);
    QTest::mouseMove(&f.view, to);
    QTest::mouseRelease(&f.view, Qt::LeftButton, Qt::ControlModifier | Qt::ShiftModifier, to);
    CHECK(f.document.empty());

    // Experts 2..4 of layers 1..2: 3 per layer, within top-k = 4.
    QTest::mousePress(&f.view, Qt::LeftButton, Qt::ControlModifier, from);
    QTest::mouseMove(&f.view, to);
    QTest::mouseRelease(&f.view, Qt::LeftButton, Qt::ControlModifier, to);
    CHECK(f.document.stimulatedCount() == 6);
    CHECK(f.document.stimulatedCount(1) == 3);
  }

  SECTION("a plain drag keeps the selection for the context menu") {
    QTest::mousePress(&f.view, Qt::LeftButton, Qt::NoModifier, from);
    QTest::mouseMove(&f.view, to);
    QTest::mouseRelease(&f.view, Qt::LeftButton, Qt::NoModifier, to);
    CHECK(f.document.empty());
    REQUIRE(f.view.hasSelection());
    CHECK(f.view.selection().size() == 6);
    std::unique_ptr<QMenu> menu(f.view.createContextMenu(to));
    QAction* suppress = nullptr;
    for (QAction* action : menu->actions()) {
      if (action->text().startsWith(QStringLiteral("Suppress 6"))) suppress = action;
    }
    REQUIRE(suppress != nullptr);
    suppress->trigger();
    CHECK(f.document.suppressedCount() == 6);
    CHECK_FALSE(f.view.hasSelection());
    // Context menu on a single cell outside any selection.
    std::unique_ptr<QMenu> single(f.view.createContextMenu(centerOf(f.view, {3, 15})));
    bool found = false;
    for (QAction* action : single->actions()) {
      if (action->text() == QStringLiteral("Stimulate expert [3, 15]")) {
        action->trigger();
        found = true;
      }
    }
    CHECK(found);
    CHECK(f.document.state({3, 15}) == ExpertState::kStimulated);
  }

  SECTION("Escape clears the selection, Delete clears its tuning") {
    f.document.setStates({{1, 2}, {2, 4}}, ExpertState::kSuppressed);
    f.view.selectRectangle({1, 2}, {2, 4});
    f.view.setFocus();
    QTest::keyClick(&f.view, Qt::Key_Delete);
    CHECK(f.document.empty());
    f.view.selectRectangle({1, 2}, {2, 4});
    QTest::keyClick(&f.view, Qt::Key_Escape);
    CHECK_FALSE(f.view.hasSelection());
  }
}

TEST_CASE("heatmap: at most top_k stimulated experts per layer, refused with a message",
          "[widgets][heatmap][tuning]") {
  Fixture f(tiny(), {600, 300});
  QSignalSpy refused(&f.document, &TuningDocument::refused);
  REQUIRE(f.document.setState({2, 0}, ExpertState::kStimulated));
  REQUIRE(f.document.setState({2, 1}, ExpertState::kStimulated));
  CHECK(refused.isEmpty());

  SECTION("a third stimulate in the layer is refused and changes nothing") {
    CHECK_FALSE(f.document.setState({2, 2}, ExpertState::kStimulated));
    REQUIRE(refused.count() == 1);
    const QString message = refused.at(0).at(0).toString();
    CHECK(message.contains(QStringLiteral("layer 2 stimulates more than 2 experts")));
    CHECK(message.contains(QStringLiteral("top-k = 2")));
    CHECK(f.document.state({2, 2}) == ExpertState::kNone);
    // Other layers are independent.
    CHECK(f.document.setState({5, 2}, ExpertState::kStimulated));
  }

  SECTION("clicking through the cycle skips stimulate (to none) when the layer is full") {
    const QPoint p = centerOf(f.view, {2, 3});
    QTest::mouseClick(&f.view, Qt::LeftButton, Qt::NoModifier, p);
    CHECK(f.document.state({2, 3}) == ExpertState::kSuppressed);
    QTest::mouseClick(&f.view, Qt::LeftButton, Qt::NoModifier, p);
    CHECK(f.document.state({2, 3}) == ExpertState::kNone);
    REQUIRE(refused.count() == 1);
    CHECK(refused.at(0).at(0).toString().contains(QStringLiteral("not stimulated")));
    CHECK(f.document.stimulatedCount(2) == 2);
  }

  SECTION("a bulk stimulate that would exceed the limit is refused as a whole") {
    f.document.setState({2, 0}, ExpertState::kNone);
    f.view.selectRectangle({2, 2}, {2, 3});  // 2 more: 1 + 2 = 3 > 2
    f.view.stimulateSelection();
    CHECK(refused.count() == 1);
    CHECK(f.document.stimulatedCount(2) == 1);
    CHECK(f.document.state({2, 2}) == ExpertState::kNone);
    CHECK(f.view.hasSelection());  // kept, so the user can try another action
  }

  SECTION("loading a tuning over the limit is refused") {
    mote::TuningSpec spec;
    spec.stimulate = {{5, 0}, {5, 1}, {5, 2}};
    CHECK_FALSE(f.document.load(spec));
    CHECK(refused.count() == 1);
    CHECK(f.document.stimulatedCount(5) == 0);
  }
}

TEST_CASE("heatmap: hover reports layer, moe_layer, expert, count, weight and state",
          "[widgets][heatmap]") {
  Fixture f(ModelGeometry::deepseek_r1());
  HeatmapData data;
  data.values = mote::ActivationMap::zeros(ModelGeometry::deepseek_r1());
  data.weights = mote::ActivationMap::zeros(ModelGeometry::deepseek_r1());
  data.values.at(7, 99) = 5;  // moe_layer 7 = layer 10
  data.weights.at(7, 99) = 0.75f;
  data.label = QStringLiteral("Prompt aggregate");
  f.view.setData(data);
  f.document.setState({10, 99}, ExpertState::kSuppressed);
  QSignalSpy hovered(&f.view, &HeatmapView::cellHovered);

  const QPoint p = centerOf(f.view, {10, 99});
  hover(&f.view, p);
  REQUIRE(hovered.count() >= 1);
  const auto info = hovered.last().at(0).value<HeatmapCellInfo>();
  CHECK(info.valid);
  CHECK(info.address == ExpertAddress{10, 99});
  CHECK(info.moeLayer == 7);
  CHECK(info.value == 5.0);
  REQUIRE(info.weight.has_value());
  CHECK(*info.weight == Approx(0.75));
  CHECK(info.state == ExpertState::kSuppressed);
  const QString tip = info.toolTip();
  CHECK(tip.contains(QStringLiteral("layer 10 (moe_layer 7)")));
  CHECK(tip.contains(QStringLiteral("expert 99")));
  CHECK(tip.contains(QStringLiteral("count 5")));
  CHECK(tip.contains(QStringLiteral("weight 0.75")));
  CHECK(tip.contains(QStringLiteral("suppressed")));

  // The tooltip event shows the same text.
  QHelpEvent help(QEvent::ToolTip, p, f.view.mapToGlobal(p));
  QCoreApplication::sendEvent(&f.view, &help);
  CHECK(QToolTip::text() == tip);
  QToolTip::hideText();

  // Same cell again: no new signal; another cell: a new one; outside: an invalid one.
  const int count = hovered.count();
  hover(&f.view, p + QPoint(0, 1));
  CHECK(hovered.count() == count);
  hover(&f.view, centerOf(f.view, {11, 99}));
  CHECK(hovered.count() == count + 1);
  hover(&f.view, QPoint(1, 1));
  CHECK_FALSE(hovered.last().at(0).value<HeatmapCellInfo>().valid);
}

TEST_CASE("heatmap: data of the wrong shape is ignored; image is one pixel per cell",
          "[widgets][heatmap]") {
  Fixture f(small(), {500, 300});
  HeatmapData wrong;
  wrong.values = mote::ActivationMap(2, 16);
  wrong.label = QStringLiteral("wrong");
  f.view.setData(wrong);
  CHECK(f.view.data().label != QStringLiteral("wrong"));

  HeatmapData right;
  right.values = mote::ActivationMap::zeros(small());
  right.values.at(1, 3) = 4;
  f.view.setData(right);
  const QImage& image = f.view.renderer().image();
  CHECK(image.width() == 16);
  CHECK(image.height() == 3);
  CHECK(image.pixel(3, 1) == mote::widgets::Colormap::viridis().table().back());
  CHECK(image.pixel(0, 0) == mote::widgets::Colormap::viridis().table().front());

  // Diverging data uses the diverging map with a symmetric range.
  HeatmapData diff = right;
  diff.diverging = true;
  diff.values.at(0, 0) = -2;
  f.view.setData(diff);
  CHECK(f.view.renderer().rangeLow() == -4);
  CHECK(f.view.renderer().rangeHigh() == 4);
  CHECK(f.view.renderer().image().pixel(5, 2) == mote::widgets::Colormap::coolWarm().rgb(0.5));
  // A fixed range sticks across data changes.
  f.view.setValueRange(0, 10);
  f.view.setData(right);
  CHECK(f.view.renderer().rangeHigh() == 10);
  f.view.setAutoRange();
  CHECK(f.view.renderer().rangeHigh() == 4);
}
