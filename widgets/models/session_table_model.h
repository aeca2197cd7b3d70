#pragma once
// A TableModel read from the session open on the GUI thread: setStore() / reload() with one way
// of failing. A read that throws leaves the model empty and emits loadFailed(message), so every
// dock reports a broken session the same way.
#include <QString>
#include <exception>
#include <utility>

#include "sessions/session_store.h"
#include "widgets/models/table_model.h"

namespace mote::widgets {

class SessionTableModel : public TableModel {
  Q_OBJECT

 public:
  explicit SessionTableModel(QObject* parent = nullptr) : TableModel(parent) {}

  // Not owned; nullptr empties the model. Reads the store at once.
  void setStore(sessions::SessionStore* store);
  sessions::SessionStore* store() const { return store_; }

 public Q_SLOTS:
  // Re-reads the store.
  virtual void reload() = 0;

 Q_SIGNALS:
  // The store threw while reading (the model is then empty).
  void loadFailed(const QString& message);

 protected:
  // Called by setStore() before reload(): forget what belonged to the previous session.
  virtual void storeChanged() {}
  // `contents = read(*store())` inside a model reset; empty contents and loadFailed() if it
  // throws; empty contents without a store.
  template <typename Contents, typename Read>
  void reloadInto(Contents& contents, Read read);

 private:
  sessions::SessionStore* store_ = nullptr;
};

inline void SessionTableModel::setStore(sessions::SessionStore* store) {
  store_ = store;
  storeChanged();
  reload();
}

template <typename Contents, typename Read>
void SessionTableModel::reloadInto(Contents& contents, Read read) {
  Contents next{};
  QString error;
  if (store_) {
    try {
      next = read(*store_);
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
      next = Contents{};
    }
  }
  beginResetModel();
  contents = std::move(next);
  endResetModel();
  if (!error.isEmpty()) Q_EMIT loadFailed(error);
}

}  // namespace mote::widgets
