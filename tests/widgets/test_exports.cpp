// Exports: heatmap PNG (size and dpi as requested) and SVG (valid XML with the figure's
// elements), side-by-side conversation Markdown.
#include <catch2/catch.hpp>

#include <QFile>
#include <QImageReader>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include "widgets/conversation_export.h"
#include "widgets/figure_export.h"
#include "widgets/heatmap_view.h"
#include "widgets/models/tuning_document.h"

using mote::ModelGeometry;
using mote::widgets::Conversation;
using mote::widgets::ConversationTurn;
using mote::widgets::ExpertState;
using mote::widgets::FigureOptions;
using mote::widgets::HeatmapData;
using mote::widgets::HeatmapView;
using mote::widgets::TuningDocument;

namespace {

HeatmapData sampleData(const ModelGeometry& geometry) {
  HeatmapData data;
  data.values = mote::ActivationMap::zeros(geometry);
  for (std::size_t i = 0; i < data.values.values.size(); ++i)
    data.values.values[i] = static_cast<float>(i % 7);
  data.label = QStringLiteral("Prompt aggregate");
  return data;
}

}  // namespace

TEST_CASE("export: heatmap PNG at publication resolution", "[widgets][export]") {
  QTemporaryDir dir;
  TuningDocument document(ModelGeometry::deepseek_r1());
  document.setState({3, 17}, ExpertState::kSuppressed);
  document.setState({60, 255}, ExpertState::kStimulated);
  HeatmapView view;
  view.setDocument(&document);
  view.setData(sampleData(ModelGeometry::deepseek_r1()));

  FigureOptions options;  // 7 x 3.5 in at 300 dpi
  options.title = QStringLiteral("R1 prompt map");
  CHECK(options.pixelSize() == QSize(2100, 1050));
  const QString path = dir.filePath(QStringLiteral("map.png"));
  QString error;
  REQUIRE(mote::widgets::exportHeatmapPng(view, path, options, &error));
  QImageReader reader(path);
  CHECK(reader.format() == "png");
  const QImage image = reader.read();
  CHECK(image.size() == QSize(2100, 1050));
  CHECK(std::abs(image.dotsPerMeterX() - 11811) <= 1);  // 300 dpi
  // Not blank: the map, the white background and dark text are all there.
  const auto& table = mote::widgets::Colormap::viridis().table();
  bool mapColour = false;
  for (int x = 600; x < 1800 && !mapColour; x += 7) {
    for (int y = 200; y < 900 && !mapColour; y += 7) {
      mapColour = image.pixel(x, y) == table.back() || image.pixel(x, y) == table.front();
    }
  }
  CHECK(mapColour);
  CHECK(image.pixel(1, 1) == qRgb(255, 255, 255));

  // Other sizes and resolutions.
  options.widthInches = 3.3;
  options.heightInches = 2.0;
  options.dpi = 600;
  REQUIRE(mote::widgets::exportHeatmapPng(view, path, options));
  CHECK(QImage(path).size() == QSize(1980, 1200));
  // The view's data is untouched by the title override.
  CHECK(view.data().label == QStringLiteral("Prompt aggregate"));
  CHECK_FALSE(mote::widgets::exportHeatmapPng(
      view, dir.filePath(QStringLiteral("no/such/dir/x.png")), options, &error));
  CHECK_FALSE(error.isEmpty());
}

TEST_CASE("export: heatmap SVG is XML with title, labels, embedded map and marks",
          "[widgets][export]") {
  QTemporaryDir dir;
  TuningDocument document(ModelGeometry::deepseek_r1());
  document.setState({3, 17}, ExpertState::kSuppressed);
  document.setState({10, 1}, ExpertState::kStimulated);
  HeatmapView view;
  view.setDocument(&document);
  view.setData(sampleData(ModelGeometry::deepseek_r1()));
  FigureOptions options;
  options.title = QStringLiteral("Difference map");
  const QString path = dir.filePath(QStringLiteral("map.svg"));
  REQUIRE(mote::widgets::exportHeatmapSvg(view, path, options));

  QFile file(path);
  REQUIRE(file.open(QIODevice::ReadOnly));
  QXmlStreamReader xml(&file);
  int images = 0, texts = 0, paths = 0;
  QString root;
  QStringList textContent;
  QString width;
  while (!xml.atEnd()) {
    if (xml.readNext() != QXmlStreamReader::StartElement) continue;
    const QString name = xml.name().toString();
    if (root.isEmpty()) {
      root = name;
      width = xml.attributes().value(QStringLiteral("width")).toString();
    }
    if (name == QLatin1String("image")) ++images;
    if (name == QLatin1String("path") || name == QLatin1String("polyline") ||
        name == QLatin1String("polygon"))
      ++paths;
    if (name == QLatin1String("text")) {
      ++texts;
      textContent.push_back(xml.readElementText(QXmlStreamReader::IncludeChildElements).trimmed());
    }
  }
  INFO(xml.errorString().toStdString());
  CHECK_FALSE(xml.hasError());
  CHECK(root == QStringLiteral("svg"));
  CHECK(width.endsWith(QStringLiteral("mm")));  // physical size: 7 in = 177.8 mm
  CHECK(width.left(width.size() - 2).toDouble() == Approx(177.8).epsilon(0.01));
  CHECK(images >= 2);  // the map and the colour bar
  CHECK(paths >= 1);   // marks, frames
  CHECK(textContent.contains(QStringLiteral("Difference map")));
  CHECK(textContent.contains(QStringLiteral("3")));  // first layer label
  CHECK(textContent.contains(QStringLiteral("layer")));
  CHECK(textContent.contains(QStringLiteral("expert")));
  CHECK(textContent.contains(QStringLiteral("count")));
  CHECK(texts > 20);
}

TEST_CASE("export: side-by-side conversation as Markdown", "[widgets][export]") {
  Conversation original, tuned;
  original.title = QStringLiteral("Original");
  tuned.title = QStringLiteral("Tuned");
  tuned.tuning = QStringLiteral(R"({"suppress": [[3, 17]], "stimulate": []})");
  ConversationTurn user;
  user.role = QStringLiteral("user");
  user.text = QStringLiteral("What happened 1989 in Beijing?");
  ConversationTurn refused;
  refused.role = QStringLiteral("assistant");
  refused.text =
      QStringLiteral("<think>\n\n</think>\n\nI am sorry | I cannot answer that question.");
  refused.hasThink = true;
  refused.think = QStringLiteral("\n\n");
  refused.answer = QStringLiteral("\n\nI am sorry | I cannot answer that question.");
  refused.label = QStringLiteral("0-REFUSED");
  refused.firstDivergence = 3;
  refused.tokenCount = 14;
  refused.finishReason = QStringLiteral("stop");
  ConversationTurn reasoned = refused;
  reasoned.think = QStringLiteral("The user asks about <events>.\nI should answer.");
  reasoned.answer = QStringLiteral("In 1989, protests & a crackdown.");
  reasoned.label = QStringLiteral("2-REASONED");
  reasoned.tokenCount = 120;
  reasoned.finishReason = QStringLiteral("length");
  original.turns = {user, refused};
  tuned.turns = {user, reasoned};

  const QString md =
      mote::widgets::sideBySideMarkdown(original, tuned, QStringLiteral("Refusal prompt 17"));
  INFO(md.toStdString());
  CHECK(md.startsWith(QStringLiteral("# Refusal prompt 17\n")));
  CHECK(md.contains(QStringLiteral("| | Original | Tuned |")));
  CHECK(md.contains(
      QStringLiteral("| Tuning | none | `{\"suppress\": [[3, 17]], \"stimulate\": []}` |")));
  CHECK(md.count(QStringLiteral("> What happened 1989 in Beijing?")) == 1);  // same prompt: once
  CHECK(md.contains(QStringLiteral("| Class | **0-REFUSED** | **2-REASONED** |")));
  CHECK(md.contains(QStringLiteral(
      "| Think | *(empty)* | The user asks about &lt;events&gt;.<br>I should answer. |")));
  CHECK(
      md.contains(QStringLiteral("| Answer | I am sorry \\| I cannot answer that question. | In "
                                 "1989, protests &amp; a crackdown. |")));
  CHECK(md.contains(QStringLiteral("| First divergence | token 3 | token 3 |")));
  CHECK(md.contains(QStringLiteral("| Tokens | 14 (stop) | 120 (length) |")));

  // Different prompts and a missing turn on one side.
  ConversationTurn other = user;
  other.text = QStringLiteral("Something else");
  tuned.turns = {other};
  const QString uneven = mote::widgets::sideBySideMarkdown(original, tuned);
  CHECK(uneven.contains(
      QStringLiteral("| User | What happened 1989 in Beijing? | Something else |")));
  CHECK(uneven.contains(QStringLiteral("| Class | **0-REFUSED** | \u2014 |")));

  QTemporaryDir dir;
  const QString path = dir.filePath(QStringLiteral("c.md"));
  REQUIRE(mote::widgets::writeMarkdownFile(path, md));
  QFile file(path);
  REQUIRE(file.open(QIODevice::ReadOnly));
  CHECK(QString::fromUtf8(file.readAll()) == md);
}
