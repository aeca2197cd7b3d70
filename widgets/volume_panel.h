#pragma once
// The 3D dock: the ResonanceVolumeView, what it shows ("Show": the chat's routing token by token,
// or a run's prompt maps or class means) and "Export view…". The view's QOpenGLWidget is created
// when view() is first asked for (the dock's first showing): once a window holds a GL widget, Qt
// composes every repaint of the window through OpenGL, which is slow on a software rasterizer.
// A run's maps are decoded on a worker thread (SessionTask); choosing another source drops a
// volume still loading.
#include <QString>
#include <QWidget>
#include <cstdint>
#include <vector>

#include "protocol/model_geometry.h"
#include "sessions/engine_client.h"
#include "widgets/models/volume_data.h"

class QComboBox;
class QLabel;
class QVBoxLayout;

namespace mote::widgets {

class ResonanceVolumeView;
class SessionTask;

class VolumePanel : public QWidget {
  Q_OBJECT

 public:
  enum class Source { kChat = 0, kRunPrompts = 1, kRunClassMeans = 2 };

  explicit VolumePanel(QWidget* parent = nullptr);
  ~VolumePanel() override;

  // The view, created on the first call.
  ResonanceVolumeView* view();
  bool hasView() const { return view_ != nullptr; }
  Source source() const;
  void setSource(Source source);
  // A routing capture of the chat (the tuned side's answer): the volume of the Chat source.
  void setChatRouting(const std::vector<mote::RoutingRow>& rows,
                      const mote::ModelGeometry& geometry);
  const ResonanceVolume& chatVolume() const { return chat_volume_; }
  // Loads the prompt maps or class means of `run_id` (classes of `classifier`) from the session
  // file and shows them once read, unless another source was chosen meanwhile.
  void loadRun(const QString& session_path, std::int64_t run_id, const QString& classifier);

 Q_SIGNALS:
  // "Show" chose a run source: the caller answers with loadRun().
  void runSourceChosen(mote::widgets::VolumePanel::Source source);
  void voxelSelected(int layer, int expert, int token);
  void failed(const QString& message);

 private:
  void onSourceChosen();
  void exportDialog();

  ResonanceVolumeView* view_ = nullptr;
  QVBoxLayout* layout_;
  QLabel* placeholder_;
  QComboBox* source_;
  SessionTask* task_;
  ResonanceVolume chat_volume_;
};

}  // namespace mote::widgets

Q_DECLARE_METATYPE(mote::widgets::VolumePanel::Source)
