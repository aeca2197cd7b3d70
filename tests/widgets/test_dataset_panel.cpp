// The Datasets dock's template form, driven like a user: the values are read by
// sessions::template_from_lines, and a wrong line is an error in words in the form.
#include <catch2/catch.hpp>

#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>

#include "session_fixture.h"
#include "widgets/dataset_panel.h"

using mote::widgets::DatasetPanel;
using mote::widgets_test::SessionFixture;

namespace {

QPushButton* addButton(DatasetPanel& panel) {
  for (auto* b : panel.findChildren<QPushButton*>())
    if (b->text() == DatasetPanel::tr("Add dataset")) return b;
  return nullptr;
}

}  // namespace

TEST_CASE("template form: a line for an unknown variable is an error naming it, no dataset",
          "[widgets][dataset-panel]") {
  SessionFixture fixture;
  DatasetPanel panel;
  panel.setStore(fixture.store.get());
  auto* count = panel.findChild<QLabel*>("templateCount");
  auto* add = addButton(panel);
  REQUIRE(count);
  REQUIRE(add);
  const auto datasets_before = fixture.store->list_datasets().size();

  panel.templateEdit()->setText("Who is {x} in {y}?");
  panel.valuesEdit()->setPlainText("x: a, b\nz: q");
  QString error;
  // Issue #19: this was accepted as 2 prompts "Who is a in z: q?".
  CHECK(panel.templatePromptCount(&error) == -1);
  CHECK(error.contains("\"z: q\""));
  CHECK(error.contains("{z}"));
  CHECK(count->text().contains("{z}"));
  CHECK_FALSE(add->isEnabled());
  QSignalSpy failed(&panel, &DatasetPanel::failed);
  CHECK(panel.addTemplateDataset() == 0);
  REQUIRE(failed.size() == 1);
  CHECK(failed.front().front().toString().contains("{z}"));
  CHECK(fixture.store->list_datasets().size() == datasets_before);

  // A placeholder without a values line is named too.
  panel.valuesEdit()->setPlainText("x: a, b");
  CHECK(panel.templatePromptCount(&error) == -1);
  CHECK(error.contains("placeholder {y} has no values line"));
  CHECK(count->text().contains("{y}"));
  CHECK_FALSE(add->isEnabled());

  // Mended: named and bare lines give the Cartesian product.
  panel.valuesEdit()->setPlainText("x: a, b\nin Paris, in Rome, in Oslo");
  CHECK(panel.templatePromptCount(&error) == 6);
  CHECK(add->isEnabled());
  const qint64 id = panel.addTemplateDataset();
  REQUIRE(id > 0);
  const auto prompts = fixture.store->prompts(id);
  REQUIRE(prompts.size() == 6);
  CHECK(prompts[0].prompt.text == "Who is a in in Paris?");
  CHECK(prompts[5].prompt.text == "Who is b in in Oslo?");
}
