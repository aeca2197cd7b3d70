#pragma once
// The fTRI dock: the FtriView and its exports (the map as PNG/SVG, the ranking as CSV/JSON, the
// top N as a tuning file), each through a file dialog.
#include <QWidget>

namespace mote::widgets {

class FtriView;

class FtriPanel : public QWidget {
  Q_OBJECT

 public:
  explicit FtriPanel(QWidget* parent = nullptr);

  FtriView* view() const { return view_; }

 public Q_SLOTS:
  void exportMapDialog();
  void exportRankingDialog();
  void exportTuningDialog();

 Q_SIGNALS:
  // An export could not be written.
  void failed(const QString& message);

 private:
  FtriView* view_;
};

}  // namespace mote::widgets
