#pragma once
// t-SNE of a run's activation maps as a scatter plot, one colour per answer class. Hovering a
// point shows its prompt; clicking it emits promptActivated(prompt_id) (e.g. to open the
// answer). computeFromSession() runs sessions::analyze_tsne off the UI thread.
#include <QChartView>
#include <QStringList>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sessions/session_analysis.h"
#include "sessions/tsne.h"

class QScatterSeries;

namespace mote::widgets {

class SessionTask;

// What the scatter shows (also the result of a background computation).
struct TsneEmbedding {
  std::vector<float> coords;  // [n x 2]
  std::vector<std::string> labels;
  std::vector<std::int64_t> prompt_ids;
  QStringList texts;  // prompt text per point (tooltips); may be empty
  std::int64_t result_id = 0;
};

class TsneScatterView : public QChartView {
  Q_OBJECT

 public:
  explicit TsneScatterView(QWidget* parent = nullptr);
  ~TsneScatterView() override;

  // Throws std::invalid_argument if the sizes disagree.
  void setEmbedding(const TsneEmbedding& embedding);
  const TsneEmbedding& embedding() const { return embedding_; }
  int pointCount() const { return static_cast<int>(embedding_.prompt_ids.size()); }
  // The series of a class ("(unlabelled)" for an empty label); nullptr if absent.
  QScatterSeries* seriesOf(const QString& label) const;
  // Where a prompt's point is drawn, in viewport coordinates (nullopt if absent).
  std::optional<QPointF> viewportPosOfPrompt(std::int64_t prompt_id) const;

  // Runs analyze_tsne (and stores its result in the session) on a worker thread with its own
  // SessionStore (SessionTask); shows it and emits computed(), or failed(). A running
  // computation is abandoned (its result ignored) when a new one starts.
  void computeFromSession(const QString& session_path, std::int64_t run_id,
                          const QString& classifier, const sessions::TsneOptions& options = {});
  bool isComputing() const;

  bool exportImage(const QString& path);
  // sessions::tsne_csv with prompt_id and prompt columns.
  bool exportCsv(const QString& path) const;

 public Q_SLOTS:
  // Enlarges the point of a prompt (-1 clears).
  void highlightPrompt(qint64 prompt_id);

 Q_SIGNALS:
  void promptActivated(qint64 prompt_id);
  void promptHovered(qint64 prompt_id);  // -1 when the mouse left a point
  void computed();
  void failed(const QString& message);

 private:
  struct SeriesPoints {
    QScatterSeries* series = nullptr;
    std::vector<int> points;  // embedding indices, in series order
  };
  std::optional<int> indexOf(const SeriesPoints& s, const QPointF& value) const;

  TsneEmbedding embedding_;
  std::vector<SeriesPoints> series_;
  QScatterSeries* highlight_ = nullptr;
  SessionTask* task_ = nullptr;
};

}  // namespace mote::widgets
