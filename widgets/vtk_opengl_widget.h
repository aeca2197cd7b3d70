#pragma once
// A QOpenGLWidget that hosts a vtkGenericOpenGLRenderWindow (Qt 6; Debian's VTK Qt module is
// built for Qt 5 only). VTK renders with the widget's context into its own framebuffer, which
// paintGL blits into the widget's framebuffer; mouse, wheel, key and resize events go to a
// vtkGenericRenderWindowInteractor (trackball camera by default).
#include <vtkSmartPointer.h>
#include <QOpenGLWidget>
#include <QPoint>

class vtkGenericOpenGLRenderWindow;
class vtkGenericRenderWindowInteractor;
class vtkInteractorObserver;
class vtkObject;
class vtkRenderer;

namespace mote::widgets {

class VtkOpenGLWidget : public QOpenGLWidget {
  Q_OBJECT

 public:
  explicit VtkOpenGLWidget(QWidget* parent = nullptr);
  ~VtkOpenGLWidget() override;

  vtkGenericOpenGLRenderWindow* renderWindow() const;
  vtkGenericRenderWindowInteractor* interactor() const;
  // The renderer the widget creates (the render window may hold more).
  vtkRenderer* renderer() const;
  void setInteractorStyle(vtkInteractorObserver* style);

  // The surface format VTK needs (OpenGL 3.2 core, 8-bit RGBA, depth, no multisampling); set on
  // every VtkOpenGLWidget by the constructor.
  static QSurfaceFormat defaultFormat();

  // Device pixel of a widget position (VTK's display coordinates: origin bottom left).
  QPoint toDisplay(const QPoint& widget_pos) const;
  // Widget position of a VTK display coordinate.
  QPointF fromDisplay(double x, double y) const;

  // Milliseconds the last VTK Render() call took (inside paintGL).
  double lastRenderMs() const { return last_render_ms_; }
  // GL_RENDERER of the widget's context (empty before initializeGL), e.g. "llvmpipe (LLVM 15.0.6,
  // 256 bits)"; software rasterizers (llvmpipe, softpipe, swrast) make ray casting on the CPU
  // faster than "GPU" ray casting.
  const QString& glRenderer() const { return gl_renderer_; }
  bool isSoftwareRenderer() const;

 Q_SIGNALS:
  // A mouse press and release at (almost) the same place: a click, not a rotation. `pos` is in
  // widget coordinates.
  void clicked(const QPoint& pos, Qt::MouseButton button, Qt::KeyboardModifiers modifiers);
  // After every frame VTK rendered (paintGL).
  void frameRendered();
  // The GL context exists and VTK adopted it (end of initializeGL; glRenderer() is known).
  void glInitialized();

 protected:
  void initializeGL() override;
  void resizeGL(int w, int h) override;
  void paintGL() override;

  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void keyReleaseEvent(QKeyEvent* event) override;
  void enterEvent(QEnterEvent* event) override;
  void leaveEvent(QEvent* event) override;

 private:
  void onRenderWindowEvent(vtkObject* caller, unsigned long event_id, void* call_data);
  void onInteractorRender(vtkObject* caller, unsigned long event_id, void* call_data);
  void releaseGraphics();
  void setEventPosition(const QPointF& pos, Qt::KeyboardModifiers modifiers, int repeat = 0);

  vtkSmartPointer<vtkGenericOpenGLRenderWindow> render_window_;
  vtkSmartPointer<vtkGenericRenderWindowInteractor> interactor_;
  vtkSmartPointer<vtkRenderer> renderer_;
  bool gl_ready_ = false;
  bool in_paint_ = false;
  QPoint press_pos_;
  Qt::MouseButton press_button_ = Qt::NoButton;
  double last_render_ms_ = 0.0;
  QString gl_renderer_;
};

}  // namespace mote::widgets
