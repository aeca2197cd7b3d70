#pragma once
// The session file open in the workbench (*.mote, sessions::SessionStore on the UI thread):
// new / open / save-as, the recent-files list (QSettings, 8 entries) and the name the window
// title shows. Workers (runs, fTRI, t-SNE, evaluations) open their own store on path(); the
// run executor writes every finished prompt in its own transaction, so there is nothing to
// "save": a killed workbench or engine loses at most the prompt in flight.
#include <QObject>
#include <QString>
#include <QStringList>
#include <memory>

#include "sessions/session_store.h"

namespace mote::widgets {

class SessionController : public QObject {
  Q_OBJECT
 public:
  static constexpr int kMaxRecent = 8;

  explicit SessionController(QObject* parent = nullptr);
  ~SessionController() override;

  // The open session's store (UI thread only), or nullptr.
  sessions::SessionStore* store() const { return store_.get(); }
  bool isOpen() const { return store_ != nullptr; }
  // The session file's absolute path ("" if none).
  QString path() const { return path_; }
  // "refusal.mote" ("" if none).
  QString displayName() const;
  QStringList recentFiles() const;

 public Q_SLOTS:
  // Each returns false and emits failed(message) on error; the previous session stays open then.
  bool newSession(const QString& path);
  bool openSession(const QString& path);
  // Copies the open session to `path` (a consistent snapshot) and switches to the copy.
  bool saveSessionAs(const QString& path);
  void closeSession();
  void clearRecentFiles();

 Q_SIGNALS:
  // Another session (or none) is open: every view re-reads its store.
  void sessionChanged(mote::sessions::SessionStore* store);
  void recentFilesChanged(const QStringList& files);
  void failed(const QString& message);

 private:
  bool adopt(sessions::SessionStore store, const QString& path);
  void addRecent(const QString& path);

  std::unique_ptr<sessions::SessionStore> store_;
  QString path_;
};

}  // namespace mote::widgets
