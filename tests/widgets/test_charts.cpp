// Qt Charts views: transition matrix, random control, dose curve, t-SNE scatter (click-through),
// and their PNG / SVG / CSV exports.
#include <catch2/catch.hpp>

#include <QAreaSeries>
#include <QBarSet>
#include <QFile>
#include <QImage>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

#include "session_fixture.h"
#include "sessions/evaluation.h"
#include "widgets/chart_dose_curve.h"
#include "widgets/chart_export.h"
#include "widgets/chart_random_control.h"
#include "widgets/chart_transition.h"
#include "widgets/tsne_scatter.h"

using namespace mote::widgets;

namespace {

QString readAll(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// A valid PNG with more than one colour and a valid SVG.
void checkExports(QWidget* view, const QString& stem) {
  QTemporaryDir dir;
  const QString png = dir.filePath(stem + ".png"), svg = dir.filePath(stem + ".svg");
  QString error;
  REQUIRE(exportWidgetImage(view, png, stem, &error));
  REQUIRE(exportWidgetImage(view, svg, stem, &error));
  QImage image(png);
  REQUIRE_FALSE(image.isNull());
  CHECK(image.width() == 2 * view->width());  // 2x resolution
  QSet<QRgb> colors;
  for (int y = 0; y < image.height(); y += 3)
    for (int x = 0; x < image.width(); x += 3) colors.insert(image.pixel(x, y));
  CHECK(colors.size() > 5);
  QSvgRenderer renderer(svg);
  CHECK(renderer.isValid());
  CHECK(readAll(svg).contains("<svg"));
}

}  // namespace

TEST_CASE("transition chart stacks tuned classes over original classes", "[charts]") {
  const std::vector<std::string> original{"REFUSED",  "REFUSED",  "REFUSED",
                                          "ANSWERED", "ANSWERED", "REASONED"};
  const std::vector<std::string> tuned{"ANSWERED", "ANSWERED", "REFUSED",
                                       "ANSWERED", "REASONED", "REASONED"};
  const auto matrix =
      mote::sessions::transition_matrix(original, tuned, {"REFUSED", "ANSWERED", "REASONED"});
  TransitionChartView view;
  view.resize(640, 420);
  view.setTransitions(matrix, "original", "tuned");
  view.show();
  REQUIRE(QTest::qWaitForWindowExposed(&view));
  QBarSet* answered = view.barSet("ANSWERED");
  REQUIRE(answered);
  REQUIRE(answered->count() == 3);
  CHECK(answered->at(0) == 2.0);  // REFUSED -> ANSWERED
  CHECK(answered->at(1) == 1.0);  // ANSWERED -> ANSWERED
  CHECK(answered->at(2) == 0.0);
  CHECK(view.barSet("REFUSED")->at(0) == 1.0);
  CHECK(view.chart()->title().contains("original"));
  checkExports(&view, "transitions");
  QTemporaryDir dir;
  REQUIRE(view.exportCsv(dir.filePath("t.csv")));
  CHECK(readAll(dir.filePath("t.csv")).startsWith(QString::fromStdString(matrix.to_csv())));
}

TEST_CASE("random-control chart: histogram of draws with the tuned result marked", "[charts]") {
  CHECK(RandomControlChartView::histogram({0.0, 0.1, 0.1, 0.5, 1.0, 2.0}, 0.0, 1.0, 4) ==
        std::vector<int>{3, 0, 1, 1});
  CHECK(RandomControlChartView::binCount(10) == 5);
  CHECK(RandomControlChartView::binCount(400) == 20);
  // 50 draws flipping 0, 2, ..., 12 of 100 prompts; the tuned set 65 of 100.
  const auto flips = [](std::size_t flipped) {
    mote::sessions::FlipRates f;
    f.n_class = 100;
    f.flipped = flipped;
    f.rate = static_cast<double>(flipped) / 100.0;
    f.n_other = 50;
    return f;
  };
  std::vector<mote::sessions::FlipRates> draws;
  for (std::size_t d = 0; d < 50; ++d) draws.push_back(flips(2 * (d % 7)));
  const auto summary = mote::sessions::summarize_random_control(flips(65), draws);
  RandomControlChartView view;
  view.resize(640, 420);
  view.setSummary(summary, "REFUSED");
  view.show();
  REQUIRE(QTest::qWaitForWindowExposed(&view));
  REQUIRE(view.tunedMarker());
  const auto points = view.tunedMarker()->points();
  REQUIRE(points.size() == 2);
  CHECK(points[0].x() == Approx(65.0));
  CHECK(points[1].x() == Approx(65.0));
  CHECK(view.chart()->title().contains("p = "));
  CHECK(view.chart()->title().contains("Fisher p = "));
  // The tuned rate's Wilson 95 % interval is a band around the marker.
  REQUIRE(view.tunedInterval());
  CHECK(view.tunedInterval()->lowerSeries()->points().front().x() ==
        Approx(100.0 * summary.tuned_ci.low));
  CHECK(view.tunedInterval()->upperSeries()->points().back().x() ==
        Approx(100.0 * summary.tuned_ci.high));
  checkExports(&view, "random-control");
  QTemporaryDir dir;
  REQUIRE(view.exportCsv(dir.filePath("rc.csv")));
  const QString csv = readAll(dir.filePath("rc.csv"));
  CHECK(csv.startsWith("draw,flip_rate\n0,0\n1,0.02"));
  CHECK(csv.contains("tuned,0.65"));
  CHECK(csv.contains("tuned_ci_low,"));
  CHECK(csv.contains("fisher_p,"));
}

TEST_CASE("dose curve chart: flip rate against tuned experts", "[charts]") {
  mote::sessions::DoseCurve curve;
  curve.n_experts = {1, 2, 5, 10, 20, 50};
  curve.flip_rate = {0.05, 0.1, 0.3, 0.6, std::nan(""), 0.9};
  DoseCurveChartView view;
  view.resize(640, 420);
  view.setCurve(curve, "REFUSED", 0.04);
  view.show();
  REQUIRE(QTest::qWaitForWindowExposed(&view));
  REQUIRE(view.curveSeries());
  CHECK(view.curveSeries()->count() == 5);  // the NaN dose is not drawn
  CHECK(view.curveSeries()->at(3) == QPointF(10.0, 60.0));
  bool log_axis = false;
  for (auto* axis : view.chart()->axes(Qt::Horizontal))
    log_axis = log_axis || qobject_cast<QLogValueAxis*>(axis) != nullptr;
  CHECK(log_axis);
  checkExports(&view, "dose");
  QTemporaryDir dir;
  REQUIRE(view.exportCsv(dir.filePath("dose.csv")));
  CHECK(readAll(dir.filePath("dose.csv")) ==
        "n_experts,flip_rate\n1,0.05\n2,0.1\n5,0.3\n10,0.6\n20,\n50,0.9\n");
}

TEST_CASE("t-SNE scatter: classes as series, a click on a point emits its prompt id",
          "[charts][tsne]") {
  TsneEmbedding e;
  e.coords = {0.0f, 0.0f, 10.0f, 1.0f, 3.0f, 8.0f, -6.0f, -4.0f, 7.0f, -9.0f};
  e.labels = {"A", "B", "A", "", "B"};
  e.prompt_ids = {101, 102, 103, 104, 105};
  e.texts = {"p1", "p2", "p3", "p4", "p5"};
  TsneScatterView view;
  view.resize(700, 500);
  view.setEmbedding(e);
  view.show();
  REQUIRE(QTest::qWaitForWindowExposed(&view));
  REQUIRE(view.seriesOf("A"));
  CHECK(view.seriesOf("A")->count() == 2);
  CHECK(view.seriesOf("B")->count() == 2);
  CHECK(view.seriesOf("(unlabelled)")->count() == 1);
  CHECK(view.seriesOf("A")->color() != view.seriesOf("B")->color());

  QSignalSpy activated(&view, &TsneScatterView::promptActivated);
  for (const std::int64_t id : {103, 104, 105}) {
    const auto pos = view.viewportPosOfPrompt(id);
    REQUIRE(pos);
    activated.clear();
    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, pos->toPoint());
    REQUIRE(activated.count() == 1);
    CHECK(activated.at(0).at(0).toLongLong() == id);
  }
  // Clicking empty space activates nothing.
  activated.clear();
  QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, QPoint(5, 5));
  CHECK(activated.count() == 0);
  view.highlightPrompt(102);
  checkExports(&view, "tsne");
  QTemporaryDir dir;
  REQUIRE(view.exportCsv(dir.filePath("tsne.csv")));
  CHECK(readAll(dir.filePath("tsne.csv"))
            .startsWith("index,x,y,label,prompt_id,prompt\n0,0,0,A,101,p1\n"));
  e.labels.pop_back();
  CHECK_THROWS_AS(view.setEmbedding(e), std::invalid_argument);
}

TEST_CASE("t-SNE scatter computes a run's embedding off the UI thread", "[charts][tsne]") {
  mote::widgets_test::SessionFixture f;
  TsneScatterView view;
  QSignalSpy computed(&view, &TsneScatterView::computed);
  mote::sessions::TsneOptions options;
  options.perplexity = 5.0;
  options.iterations = 300;
  view.computeFromSession(QString::fromStdString(f.path), f.original_run, "refusal", options);
  CHECK(view.isComputing());
  REQUIRE(computed.wait(60000));
  CHECK(view.pointCount() == mote::widgets_test::SessionFixture::kPrompts);
  CHECK(view.seriesOf("REFUSED")->count() == 8);
  CHECK(view.embedding().texts.at(0) == "Question number 0?");
  CHECK(view.embedding().result_id > 0);
  CHECK(f.store->list_results("tsne").size() == 1);
}
