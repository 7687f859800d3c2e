#include "core/conv_ops.h"

#include <limits>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops.h"

namespace jetimg {
namespace {

void check_tensor(const Context& ctx, const Tensor& t, const char* op, const char* name) {
  if (!t.defined()) fail(op, ": tensor '", name, "' is empty");
  if (t.device() != ctx.device())
    fail(op, ": tensor '", name, "' is on ", t.device().str(), " but the context runs on ", ctx.device().str());
}

// An NCHW tensor whose dimensions fit the int arithmetic of the kernels.
void check_image(const Context& ctx, const Tensor& t, const char* op, const char* name) {
  check_tensor(ctx, t, op, name);
  if (t.ndim() != 4) fail(op, ": '", name, "' must be (N, C, H, W), got ", t.shape().str());
  for (int i = 1; i < 4; ++i)
    if (t.dim(i) > std::numeric_limits<int>::max() / 4) fail(op, ": '", name, "' is too large: ", t.shape().str());
}

void check_shape(const Tensor& t, const Shape& expected, const char* op, const char* name) {
  if (t.shape() != expected) fail(op, ": '", name, "' must be ", expected.str(), ", got ", t.shape().str());
}

void check_image_shape(const Shape& x, const char* op) {
  if (x.ndim() != 4) fail(op, ": input must be (N, C, H, W), got ", x.str());
}

void check_positive(int value, const char* op, const char* what) {
  if (value < 1) fail(op, ": ", what, " must be at least 1, got ", value);
}

int as_int(int64_t v) { return static_cast<int>(v); }

// Fails unless the window fits the image at least once.
void check_window(const Window2d& g, const Shape& x, const char* op) {
  if (g.out_h < 1 || g.out_w < 1)
    fail(op, ": a ", g.kernel_h, "x", g.kernel_w, " window does not fit the ", x[2], "x", x[3],
         " input with valid padding");
}

Window2d conv_window(const Shape& x, const Shape& weight, const Conv2dParams& p) {
  check_image_shape(x, "conv2d");
  if (weight.ndim() != 4) fail("conv2d: weight must be (F, C, KH, KW), got ", weight.str());
  if (weight[1] != x[1])
    fail("conv2d: weight ", weight.str(), " expects ", weight[1], " input channels, but x ", x.str(), " has ", x[1]);
  check_positive(p.stride_h, "conv2d", "stride_h");
  check_positive(p.stride_w, "conv2d", "stride_w");
  if (weight[0] < 1 || weight[2] < 1 || weight[3] < 1) fail("conv2d: weight must be non-empty, got ", weight.str());
  const Window2d g = make_window(as_int(x[2]), as_int(x[3]), as_int(weight[2]), as_int(weight[3]), p.stride_h,
                                 p.stride_w, p.padding);
  check_window(g, x, "conv2d");
  return g;
}

Window2d locally_connected_window(const Shape& x, const LocallyConnected2dParams& p) {
  check_image_shape(x, "locally_connected2d");
  check_positive(p.kernel_h, "locally_connected2d", "kernel_h");
  check_positive(p.kernel_w, "locally_connected2d", "kernel_w");
  check_positive(p.stride_h, "locally_connected2d", "stride_h");
  check_positive(p.stride_w, "locally_connected2d", "stride_w");
  const Window2d g = make_window(as_int(x[2]), as_int(x[3]), p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
                                 Padding::Valid);
  check_window(g, x, "locally_connected2d");
  return g;
}

Window2d pool_window(const Shape& x, const Pool2dParams& p) {
  check_image_shape(x, "pool2d");
  check_positive(p.pool_h, "pool2d", "pool_h");
  check_positive(p.pool_w, "pool2d", "pool_w");
  if (p.stride_h < 0 || p.stride_w < 0) fail("pool2d: strides must be >= 0 (0: the pool size)");
  const Window2d g = make_window(as_int(x[2]), as_int(x[3]), p.pool_h, p.pool_w, p.stride_h ? p.stride_h : p.pool_h,
                                 p.stride_w ? p.stride_w : p.pool_w, Padding::Valid);
  check_window(g, x, "pool2d");
  return g;
}

Shape window_output(const Shape& x, int64_t channels, const Window2d& g) {
  return Shape{x[0], channels, g.out_h, g.out_w};
}

}  // namespace

// --- Conv2D ---------------------------------------------------------------------------

Shape conv2d_output_shape(const Shape& x, const Shape& weight, const Conv2dParams& p) {
  return window_output(x, weight[0], conv_window(x, weight, p));
}

void conv2d_forward(Context& ctx, const Conv2dParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Tensor& y) {
  check_image(ctx, x, "conv2d", "x");
  check_tensor(ctx, weight, "conv2d", "weight");
  check_tensor(ctx, y, "conv2d", "y");
  const Window2d g = conv_window(x.shape(), weight.shape(), p);
  if (bias.defined()) {
    check_tensor(ctx, bias, "conv2d", "bias");
    check_shape(bias, Shape{weight.dim(0)}, "conv2d", "bias");
  }
  check_shape(y, window_output(x.shape(), weight.dim(0), g), "conv2d", "y");
  if (x.dim(0) == 0) return;
  JI_DISPATCH(ctx.device(), conv2d_forward, ctx, g, x, weight, bias, y);
}

void conv2d_backward_input(Context& ctx, const Conv2dParams& p, const Tensor& weight, const Tensor& dy, Tensor& dx) {
  check_image(ctx, dx, "conv2d_backward_input", "dx");
  check_tensor(ctx, weight, "conv2d_backward_input", "weight");
  check_tensor(ctx, dy, "conv2d_backward_input", "dy");
  const Window2d g = conv_window(dx.shape(), weight.shape(), p);
  check_shape(dy, window_output(dx.shape(), weight.dim(0), g), "conv2d_backward_input", "dy");
  if (dx.dim(0) == 0) return;
  JI_DISPATCH(ctx.device(), conv2d_backward_input, ctx, g, weight, dy, dx);
}

void conv2d_backward_weight(Context& ctx, const Conv2dParams& p, const Tensor& x, const Tensor& dy, Tensor& dweight) {
  check_image(ctx, x, "conv2d_backward_weight", "x");
  check_tensor(ctx, dy, "conv2d_backward_weight", "dy");
  check_tensor(ctx, dweight, "conv2d_backward_weight", "dweight");
  const Window2d g = conv_window(x.shape(), dweight.shape(), p);
  check_shape(dy, window_output(x.shape(), dweight.dim(0), g), "conv2d_backward_weight", "dy");
  if (x.dim(0) == 0) {
    fill(ctx, dweight, 0.0f);
    return;
  }
  JI_DISPATCH(ctx.device(), conv2d_backward_weight, ctx, g, x, dy, dweight);
}

void conv2d_backward_bias(Context& ctx, const Tensor& dy, Tensor& dbias) {
  check_image(ctx, dy, "conv2d_backward_bias", "dy");
  check_tensor(ctx, dbias, "conv2d_backward_bias", "dbias");
  check_shape(dbias, Shape{dy.dim(1)}, "conv2d_backward_bias", "dbias");
  if (dy.numel() == 0) {
    fill(ctx, dbias, 0.0f);
    return;
  }
  JI_DISPATCH(ctx.device(), conv2d_backward_bias, ctx, dy, dbias);
}

// --- LocallyConnected2D ----------------------------------------------------------------

Shape locally_connected2d_output_shape(const Shape& x, int64_t filters, const LocallyConnected2dParams& p) {
  return window_output(x, filters, locally_connected_window(x, p));
}

Shape locally_connected2d_weight_shape(const Shape& x, int64_t filters, const LocallyConnected2dParams& p) {
  const Window2d g = locally_connected_window(x, p);
  return Shape{int64_t{g.out_h} * g.out_w, int64_t{p.kernel_h} * p.kernel_w * x[1], filters};
}

Shape locally_connected2d_bias_shape(const Shape& x, int64_t filters, const LocallyConnected2dParams& p) {
  const Window2d g = locally_connected_window(x, p);
  return Shape{g.out_h, g.out_w, filters};
}

namespace {

// The filter count of a locally connected weight that fits x and p.
int64_t locally_connected_filters(const Shape& x, const Tensor& weight, const LocallyConnected2dParams& p,
                                  const char* op) {
  if (weight.ndim() != 3) fail(op, ": weight must be (OH·OW, KH·KW·C, F), got ", weight.shape().str());
  check_shape(weight, locally_connected2d_weight_shape(x, weight.dim(2), p), op, "weight");
  if (weight.dim(2) < 1) fail(op, ": weight needs at least one filter");
  return weight.dim(2);
}

}  // namespace

void locally_connected2d_forward(Context& ctx, const LocallyConnected2dParams& p, const Tensor& x,
                                 const Tensor& weight, const Tensor& bias, Tensor& y) {
  const char* op = "locally_connected2d";
  check_image(ctx, x, op, "x");
  check_tensor(ctx, weight, op, "weight");
  check_tensor(ctx, y, op, "y");
  const Window2d g = locally_connected_window(x.shape(), p);
  const int64_t filters = locally_connected_filters(x.shape(), weight, p, op);
  if (bias.defined()) {
    check_tensor(ctx, bias, op, "bias");
    check_shape(bias, locally_connected2d_bias_shape(x.shape(), filters, p), op, "bias");
  }
  check_shape(y, window_output(x.shape(), filters, g), op, "y");
  if (x.dim(0) == 0) return;
  JI_DISPATCH(ctx.device(), locally_connected2d_forward, ctx, g, x, weight, bias, y);
}

void locally_connected2d_backward_input(Context& ctx, const LocallyConnected2dParams& p, const Tensor& weight,
                                        const Tensor& dy, Tensor& dx) {
  const char* op = "locally_connected2d_backward_input";
  check_image(ctx, dx, op, "dx");
  check_tensor(ctx, weight, op, "weight");
  check_tensor(ctx, dy, op, "dy");
  const Window2d g = locally_connected_window(dx.shape(), p);
  const int64_t filters = locally_connected_filters(dx.shape(), weight, p, op);
  check_shape(dy, window_output(dx.shape(), filters, g), op, "dy");
  if (dx.dim(0) == 0) return;
  JI_DISPATCH(ctx.device(), locally_connected2d_backward_input, ctx, g, weight, dy, dx);
}

void locally_connected2d_backward_weight(Context& ctx, const LocallyConnected2dParams& p, const Tensor& x,
                                         const Tensor& dy, Tensor& dweight) {
  const char* op = "locally_connected2d_backward_weight";
  check_image(ctx, x, op, "x");
  check_tensor(ctx, dy, op, "dy");
  check_tensor(ctx, dweight, op, "dweight");
  const Window2d g = locally_connected_window(x.shape(), p);
  const int64_t filters = locally_connected_filters(x.shape(), dweight, p, op);
  check_shape(dy, window_output(x.shape(), filters, g), op, "dy");
  JI_DISPATCH(ctx.device(), locally_connected2d_backward_weight, ctx, g, x, dy, dweight);
}

void locally_connected2d_backward_bias(Context& ctx, const Tensor& dy, Tensor& dbias) {
  const char* op = "locally_connected2d_backward_bias";
  check_image(ctx, dy, op, "dy");
  check_tensor(ctx, dbias, op, "dbias");
  check_shape(dbias, Shape{dy.dim(2), dy.dim(3), dy.dim(1)}, op, "dbias");
  JI_DISPATCH(ctx.device(), locally_connected2d_backward_bias, ctx, dy, dbias);
}

// --- pooling -------------------------------------------------------------------------------

Shape pool2d_output_shape(const Shape& x, const Pool2dParams& p) { return window_output(x, x[1], pool_window(x, p)); }

void max_pool2d_forward(Context& ctx, const Pool2dParams& p, const Tensor& x, Tensor& y) {
  check_image(ctx, x, "max_pool2d", "x");
  check_tensor(ctx, y, "max_pool2d", "y");
  const Window2d g = pool_window(x.shape(), p);
  check_shape(y, window_output(x.shape(), x.dim(1), g), "max_pool2d", "y");
  if (x.numel() == 0) return;
  JI_DISPATCH(ctx.device(), max_pool2d_forward, ctx, g, x, y);
}

void max_pool2d_backward(Context& ctx, const Pool2dParams& p, const Tensor& x, const Tensor& dy, Tensor& dx) {
  check_image(ctx, x, "max_pool2d_backward", "x");
  check_tensor(ctx, dy, "max_pool2d_backward", "dy");
  check_tensor(ctx, dx, "max_pool2d_backward", "dx");
  const Window2d g = pool_window(x.shape(), p);
  check_shape(dy, window_output(x.shape(), x.dim(1), g), "max_pool2d_backward", "dy");
  check_shape(dx, x.shape(), "max_pool2d_backward", "dx");
  if (x.numel() == 0) return;
  JI_DISPATCH(ctx.device(), max_pool2d_backward, ctx, g, x, dy, dx);
}

void avg_pool2d_forward(Context& ctx, const Pool2dParams& p, const Tensor& x, Tensor& y) {
  check_image(ctx, x, "avg_pool2d", "x");
  check_tensor(ctx, y, "avg_pool2d", "y");
  const Window2d g = pool_window(x.shape(), p);
  check_shape(y, window_output(x.shape(), x.dim(1), g), "avg_pool2d", "y");
  if (x.numel() == 0) return;
  JI_DISPATCH(ctx.device(), avg_pool2d_forward, ctx, g, x, y);
}

void avg_pool2d_backward(Context& ctx, const Pool2dParams& p, const Tensor& dy, Tensor& dx) {
  check_image(ctx, dx, "avg_pool2d_backward", "dx");
  check_tensor(ctx, dy, "avg_pool2d_backward", "dy");
  const Window2d g = pool_window(dx.shape(), p);
  check_shape(dy, window_output(dx.shape(), dx.dim(1), g), "avg_pool2d_backward", "dy");
  if (dx.numel() == 0) return;
  JI_DISPATCH(ctx.device(), avg_pool2d_backward, ctx, g, dy, dx);
}

// --- UpSampling2D ---------------------------------------------------------------------------

Shape up_sampling2d_output_shape(const Shape& x, const UpSampling2dParams& p) {
  check_image_shape(x, "up_sampling2d");
  check_positive(p.factor_h, "up_sampling2d", "factor_h");
  check_positive(p.factor_w, "up_sampling2d", "factor_w");
  return Shape{x[0], x[1], x[2] * p.factor_h, x[3] * p.factor_w};
}

void up_sampling2d_forward(Context& ctx, const UpSampling2dParams& p, const Tensor& x, Tensor& y) {
  check_image(ctx, x, "up_sampling2d", "x");
  check_image(ctx, y, "up_sampling2d", "y");
  check_shape(y, up_sampling2d_output_shape(x.shape(), p), "up_sampling2d", "y");
  if (x.numel() == 0) return;
  JI_DISPATCH(ctx.device(), up_sampling2d_forward, ctx, p, x, y);
}

void up_sampling2d_backward(Context& ctx, const UpSampling2dParams& p, const Tensor& dy, Tensor& dx) {
  check_image(ctx, dx, "up_sampling2d_backward", "dx");
  check_tensor(ctx, dy, "up_sampling2d_backward", "dy");
  check_shape(dy, up_sampling2d_output_shape(dx.shape(), p), "up_sampling2d_backward", "dy");
  if (dx.numel() == 0) return;
  JI_DISPATCH(ctx.device(), up_sampling2d_backward, ctx, p, dy, dx);
}

// --- ZeroPadding2D ---------------------------------------------------------------------------

Shape zero_padding2d_output_shape(const Shape& x, const ZeroPadding2dParams& p) {
  check_image_shape(x, "zero_padding2d");
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0)
    fail("zero_padding2d: padding must be >= 0, got top ", p.top, ", bottom ", p.bottom, ", left ", p.left,
         ", right ", p.right);
  return Shape{x[0], x[1], x[2] + p.top + p.bottom, x[3] + p.left + p.right};
}

void zero_padding2d_forward(Context& ctx, const ZeroPadding2dParams& p, const Tensor& x, Tensor& y) {
  check_image(ctx, x, "zero_padding2d", "x");
  check_image(ctx, y, "zero_padding2d", "y");
  check_shape(y, zero_padding2d_output_shape(x.shape(), p), "zero_padding2d", "y");
  if (y.numel() == 0) return;
  JI_DISPATCH(ctx.device(), zero_padding2d_forward, ctx, p, x, y);
}

void zero_padding2d_backward(Context& ctx, const ZeroPadding2dParams& p, const Tensor& dy, Tensor& dx) {
  check_image(ctx, dx, "zero_padding2d_backward", "dx");
  check_tensor(ctx, dy, "zero_padding2d_backward", "dy");
  check_shape(dy, zero_padding2d_output_shape(dx.shape(), p), "zero_padding2d_backward", "dy");
  if (dx.numel() == 0) return;
  JI_DISPATCH(ctx.device(), zero_padding2d_backward, ctx, p, dy, dx);
}

// --- Concatenate -----------------------------------------------------------------------------

Shape concatenate_channels_output_shape(const std::vector<Shape>& inputs) {
  if (inputs.size() < 2) fail("concatenate: needs at least two inputs, got ", inputs.size());
  int64_t channels = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Shape& s = inputs[i];
    check_image_shape(s, "concatenate");
    if (s[0] != inputs[0][0] || s[2] != inputs[0][2] || s[3] != inputs[0][3])
      fail("concatenate: input ", i, " ", s.str(), " does not match input 0 ", inputs[0].str(),
           " outside the channel dimension");
    channels += s[1];
  }
  return Shape{inputs[0][0], channels, inputs[0][2], inputs[0][3]};
}

namespace {

std::vector<Shape> shapes_of(const Context& ctx, const std::vector<Tensor>& tensors, const char* op,
                             const char* name) {
  std::vector<Shape> shapes;
  for (const Tensor& t : tensors) {
    check_image(ctx, t, op, name);
    shapes.push_back(t.shape());
  }
  return shapes;
}

}  // namespace

void concatenate_channels_forward(Context& ctx, const std::vector<Tensor>& inputs, Tensor& y) {
  const Shape out = concatenate_channels_output_shape(shapes_of(ctx, inputs, "concatenate", "inputs[i]"));
  check_image(ctx, y, "concatenate", "y");
  check_shape(y, out, "concatenate", "y");
  if (y.numel() == 0) return;
  JI_DISPATCH(ctx.device(), concatenate_channels_forward, ctx, inputs, y);
}

void concatenate_channels_backward(Context& ctx, const Tensor& dy, std::vector<Tensor>& dxs) {
  const Shape out = concatenate_channels_output_shape(shapes_of(ctx, dxs, "concatenate_backward", "dxs[i]"));
  check_tensor(ctx, dy, "concatenate_backward", "dy");
  check_shape(dy, out, "concatenate_backward", "dy");
  if (dy.numel() == 0) return;
  JI_DISPATCH(ctx.device(), concatenate_channels_backward, ctx, dy, dxs);
}

}  // namespace jetimg
