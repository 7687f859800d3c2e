// Conv2D and LocallyConnected2D: hand-computed values on tiny inputs,
// direct loops written here from the definitions (TensorFlow's 'same'
// padding, Keras' locally connected weight layout), the locally connected
// layer against its per-output definition in core/conv_math.h and run twice
// (equal to the bit), element-wise central differences, and CUDA against the
// CPU.
#include <algorithm>
#include <string>
#include <vector>

#include "core/conv_ops.h"
#include "core/error.h"
#include "core/ops.h"
#include "tests/finite_difference.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

Tensor random_tensor(Context& ctx, const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  random_normal(ctx, t, 0.0f, 1.0f);
  return t;
}

// --- the definitions, written out independently ----------------------------------------

// TensorFlow: 'same' gives ceil(in / stride) outputs and pads
// max((out - 1)·stride + kernel - in, 0), the smaller half before.
struct Axis {
  int out, before;
};
Axis axis_of(int in, int kernel, int stride, bool same) {
  if (!same) return {(in - kernel) / stride + 1, 0};
  const int out = (in + stride - 1) / stride;
  return {out, std::max((out - 1) * stride + kernel - in, 0) / 2};
}

struct ConvCase {
  int64_t n, c, h, w, f, kh, kw;
  int sh, sw;
  bool same;
  Conv2dParams params() const { return {sh, sw, same ? Padding::Same : Padding::Valid}; }
};

// y[n, f, oh, ow] = b[f] + Σ x[n, c, oh·sh - top + kh, ow·sw - left + kw] · w[f, c, kh, kw]
// and, for a given dy, the gradients by the same sum (each product's share).
struct ConvReference {
  std::vector<float> y, dx, dw, db;
};
ConvReference direct_conv(const ConvCase& k, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& dy) {
  const Axis ah = axis_of(int(k.h), int(k.kh), k.sh, k.same), aw = axis_of(int(k.w), int(k.kw), k.sw, k.same);
  const std::vector<float> xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector(), dyv = dy.to_vector();
  std::vector<double> y(k.n * k.f * ah.out * aw.out), dx(xv.size()), dw(wv.size()), db(k.f);
  for (int64_t n = 0; n < k.n; ++n)
    for (int64_t f = 0; f < k.f; ++f)
      for (int oh = 0; oh < ah.out; ++oh)
        for (int ow = 0; ow < aw.out; ++ow) {
          const int64_t yi = ((n * k.f + f) * ah.out + oh) * aw.out + ow;
          double acc = bv[f];
          db[f] += dyv[yi];
          for (int64_t c = 0; c < k.c; ++c)
            for (int64_t i = 0; i < k.kh; ++i)
              for (int64_t j = 0; j < k.kw; ++j) {
                const int64_t ih = oh * k.sh - ah.before + i, iw = ow * k.sw - aw.before + j;
                if (ih < 0 || ih >= k.h || iw < 0 || iw >= k.w) continue;
                const int64_t xi = ((n * k.c + c) * k.h + ih) * k.w + iw, wi = ((f * k.c + c) * k.kh + i) * k.kw + j;
                acc += double(xv[xi]) * wv[wi];
                dx[xi] += double(dyv[yi]) * wv[wi];
                dw[wi] += double(dyv[yi]) * xv[xi];
              }
          y[yi] = acc;
        }
  const auto to_float = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  return {to_float(y), to_float(dx), to_float(dw), to_float(db)};
}

// --- Conv2D by hand ------------------------------------------------------------------------

const std::vector<float> kNine = {1, 2, 3, 4, 5, 6, 7, 8, 9};

TEST(Conv2d, ValidByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector(kNine, {1, 1, 3, 3});
  const Tensor w = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor b = Tensor::from_vector({0.5f}, {1});
  const Conv2dParams p;
  ASSERT_EQ(conv2d_output_shape(x.shape(), w.shape(), p), (Shape{1, 1, 2, 2}));
  Tensor y = Tensor::empty({1, 1, 2, 2});
  conv2d_forward(ctx, p, x, w, b, y);
  // 1·1 + 2·2 + 3·4 + 4·5 = 37, then 47, 67, 77.
  EXPECT_EQ(y.to_vector(), (std::vector<float>{37.5f, 47.5f, 67.5f, 77.5f}));

  const Tensor dy = Tensor::from_vector({1, 1, 1, 1}, {1, 1, 2, 2});
  Tensor dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape()), db = Tensor::empty({1});
  conv2d_backward_input(ctx, p, w, dy, dx);
  conv2d_backward_weight(ctx, p, x, dy, dw);
  conv2d_backward_bias(ctx, dy, db);
  // Each pixel collects the weights of the windows that hold it.
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{1, 3, 2, 4, 10, 6, 3, 7, 4}));
  // dw[i, j] = Σ over windows of x at offset (i, j): 1+2+4+5, 2+3+5+6, ...
  EXPECT_EQ(dw.to_vector(), (std::vector<float>{12, 16, 24, 28}));
  EXPECT_EQ(db.to_vector(), std::vector<float>{4});
}

TEST(Conv2d, SameWithEvenKernelPadsAfter) {
  // A 2x2 kernel on 3x3 'same': one column of zeros on the right and one row
  // at the bottom (TensorFlow), none before.
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector(kNine, {1, 1, 3, 3});
  const Tensor w = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2});
  const Conv2dParams p{1, 1, Padding::Same};
  Tensor y = Tensor::empty({1, 1, 3, 3});
  conv2d_forward(ctx, p, x, w, Tensor(), y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{37, 47, 3 + 3 * 6, 67, 77, 6 + 3 * 9, 7 + 2 * 8, 8 + 2 * 9, 9}));
}

TEST(Conv2d, SameWithStrideTwo) {
  // 3x3 input, 3x3 kernel of ones, stride 2: 2x2 outputs, one pixel of
  // padding on every side; each output sums a 2x2 corner block.
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector(kNine, {1, 1, 3, 3});
  const Tensor w = Tensor::from_vector(std::vector<float>(9, 1.0f), {1, 1, 3, 3});
  const Conv2dParams p{2, 2, Padding::Same};
  ASSERT_EQ(conv2d_output_shape(x.shape(), w.shape(), p), (Shape{1, 1, 2, 2}));
  Tensor y = Tensor::empty({1, 1, 2, 2});
  conv2d_forward(ctx, p, x, w, Tensor(), y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{12, 16, 24, 28}));
}

TEST(Conv2d, SamePaddingFollowsTensorFlow) {
  // (in, kernel, stride) -> (out, before, after), from TensorFlow's documentation of 'same'.
  struct Row {
    int in, kernel, stride, out, before, after;
  };
  for (const Row r : {Row{4, 2, 1, 4, 0, 1}, Row{5, 3, 2, 3, 1, 1}, Row{6, 3, 2, 3, 0, 1}, Row{4, 4, 1, 4, 1, 2},
                      Row{7, 1, 3, 3, 0, 0}, Row{40, 4, 1, 40, 1, 2}, Row{5, 2, 3, 2, 0, 0},
                      Row{5, 1, 3, 2, 0, 0}}) {
    const Window2d g = make_window(r.in, r.in, r.kernel, r.kernel, r.stride, r.stride, Padding::Same);
    EXPECT_EQ(g.out_h, r.out) << r.in << " " << r.kernel << " " << r.stride;
    EXPECT_EQ(g.pad_top, r.before) << r.in << " " << r.kernel << " " << r.stride;
    EXPECT_EQ(g.pad_bottom(), r.after) << r.in << " " << r.kernel << " " << r.stride;
  }
}

// --- Conv2D against the direct loops --------------------------------------------------------

std::vector<ConvCase> conv_cases() {
  std::vector<ConvCase> cases;
  const std::pair<int, int> kernels[] = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 3}, {2, 3}};
  const std::pair<int, int> strides[] = {{1, 1}, {2, 2}, {3, 1}, {2, 3}};
  for (auto [kh, kw] : kernels)
    for (auto [sh, sw] : strides)
      for (bool same : {false, true}) cases.push_back({2, 3, 7, 8, 4, kh, kw, sh, sw, same});
  // 'same' with kernels as large as or larger than the image (every shift reaches into the padding).
  cases.push_back({2, 3, 2, 3, 4, 4, 4, 1, 1, true});
  cases.push_back({2, 2, 1, 2, 3, 5, 3, 1, 1, true});
  cases.push_back({1, 2, 3, 1, 2, 2, 5, 1, 1, true});
  return cases;
}

TEST(Conv2d, MatchesDirectLoops) {
  Context ctx(Device::cpu(), 11);
  for (const ConvCase& k : conv_cases()) {
    const Tensor x = random_tensor(ctx, {k.n, k.c, k.h, k.w});
    const Tensor w = random_tensor(ctx, {k.f, k.c, k.kh, k.kw});
    const Tensor b = random_tensor(ctx, {k.f});
    const Shape out = conv2d_output_shape(x.shape(), w.shape(), k.params());
    const Tensor dy = random_tensor(ctx, out);
    const ConvReference ref = direct_conv(k, x, w, b, dy);
    const std::string name = "kernel " + std::to_string(k.kh) + "x" + std::to_string(k.kw) + " stride " +
                             std::to_string(k.sh) + "x" + std::to_string(k.sw) + (k.same ? " same" : " valid");
    Tensor y = Tensor::empty(out), dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape()), db = Tensor::empty(b.shape());
    conv2d_forward(ctx, k.params(), x, w, b, y);
    conv2d_backward_input(ctx, k.params(), w, dy, dx);
    conv2d_backward_weight(ctx, k.params(), x, dy, dw);
    conv2d_backward_bias(ctx, dy, db);
    EXPECT_TRUE(testing::all_close(y.to_vector(), ref.y, 1e-4, 1e-4)) << name;
    EXPECT_TRUE(testing::all_close(dx.to_vector(), ref.dx, 1e-4, 1e-4)) << name;
    EXPECT_TRUE(testing::all_close(dw.to_vector(), ref.dw, 1e-4, 1e-4)) << name;
    EXPECT_TRUE(testing::all_close(db.to_vector(), ref.db, 1e-4, 1e-4)) << name;
  }
}

TEST(Conv2d, CentralDifferences) {
  Context ctx(Device::cpu(), 5);
  for (const ConvCase& k : {ConvCase{2, 2, 5, 6, 3, 3, 3, 1, 1, false}, ConvCase{2, 2, 6, 5, 3, 4, 2, 2, 2, true}}) {
    Tensor x = random_tensor(ctx, {k.n, k.c, k.h, k.w});
    Tensor w = random_tensor(ctx, {k.f, k.c, k.kh, k.kw});
    Tensor b = random_tensor(ctx, {k.f});
    const Shape out = conv2d_output_shape(x.shape(), w.shape(), k.params());
    const Tensor r = random_tensor(ctx, out);
    const auto forward = [&] {
      Tensor y = Tensor::empty(out);
      conv2d_forward(ctx, k.params(), x, w, b, y);
      return y;
    };
    Tensor dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape()), db = Tensor::empty(b.shape());
    conv2d_backward_input(ctx, k.params(), w, r, dx);
    conv2d_backward_weight(ctx, k.params(), x, r, dw);
    conv2d_backward_bias(ctx, r, db);
    EXPECT_TRUE(testing::gradient_matches(forward, x, r, dx)) << "x, same=" << k.same;
    EXPECT_TRUE(testing::gradient_matches(forward, w, r, dw)) << "weight, same=" << k.same;
    EXPECT_TRUE(testing::gradient_matches(forward, b, r, db)) << "bias, same=" << k.same;
  }
}

TEST(Conv2d, BadShapesNameTheProblem) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::zeros({1, 2, 4, 4});
  Tensor y = Tensor::empty({1, 3, 2, 2});
  try {
    conv2d_forward(ctx, {}, x, Tensor::zeros({3, 1, 3, 3}), Tensor(), y);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input channels"), std::string::npos) << e.what();
  }
  try {
    conv2d_forward(ctx, {}, x, Tensor::zeros({3, 2, 5, 5}), Tensor(), y);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit"), std::string::npos) << e.what();
  }
  EXPECT_THROW(conv2d_forward(ctx, {}, x, Tensor::zeros({3, 2, 3, 3}), Tensor::zeros({2}), y), Error);
  Tensor wrong_y = Tensor::empty({1, 3, 4, 4});
  EXPECT_THROW(conv2d_forward(ctx, {}, x, Tensor::zeros({3, 2, 3, 3}), Tensor(), wrong_y), Error);
  EXPECT_THROW(conv2d_forward(ctx, {0, 1, Padding::Valid}, x, Tensor::zeros({3, 2, 3, 3}), Tensor(), y), Error);
}

// --- LocallyConnected2D ---------------------------------------------------------------------

TEST(LocallyConnected2d, ByHand) {
  // 3x3 input, 2x2 kernel: four positions p, each with its own weights
  // (p + 1 on the top-left pixel, 1 on the bottom-right) and bias.
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector(kNine, {1, 1, 3, 3});
  const LocallyConnected2dParams p{2, 2, 1, 1};
  ASSERT_EQ(locally_connected2d_weight_shape(x.shape(), 1, p), (Shape{4, 4, 1}));
  ASSERT_EQ(locally_connected2d_bias_shape(x.shape(), 1, p), (Shape{2, 2, 1}));
  const Tensor w = Tensor::from_vector({1, 0, 0, 1, 2, 0, 0, 1, 3, 0, 0, 1, 4, 0, 0, 1}, {4, 4, 1});
  const Tensor b = Tensor::from_vector({0.25f, 0.5f, 0.75f, 1.0f}, {2, 2, 1});
  Tensor y = Tensor::empty({1, 1, 2, 2});
  locally_connected2d_forward(ctx, p, x, w, b, y);
  // 1·1 + 5, 2·2 + 6, 3·4 + 8, 4·5 + 9, plus the bias.
  EXPECT_EQ(y.to_vector(), (std::vector<float>{6.25f, 10.5f, 20.75f, 30}));

  const Tensor dy = Tensor::from_vector({1, 10, 100, 1000}, {1, 1, 2, 2});
  Tensor dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape()), db = Tensor::empty(b.shape());
  locally_connected2d_backward_input(ctx, p, w, dy, dx);
  locally_connected2d_backward_weight(ctx, p, x, dy, dw);
  locally_connected2d_backward_bias(ctx, dy, db);
  // Top-left pixels get (p+1)·dy, bottom-right ones dy: x[0,0] ← 1, x[0,1] ← 2·10,
  // x[1,0] ← 3·100, x[1,1] ← 4·1000 + 1, x[1,2] ← 10, x[2,1] ← 100, x[2,2] ← 1000.
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{1, 20, 0, 300, 4001, 10, 0, 100, 1000}));
  // dw[p, k] = dy_p · x at offset k of window p.
  EXPECT_EQ(dw.to_vector(), (std::vector<float>{1, 2, 4, 5, 20, 30, 50, 60, 400, 500, 700, 800, 5000, 6000, 8000,
                                                9000}));
  EXPECT_EQ(db.to_vector(), (std::vector<float>{1, 10, 100, 1000}));
}

TEST(LocallyConnected2d, WeightRowsAreKerasOrder) {
  // Two channels, a 1x2 kernel: the middle index is (kh·KW + kw)·C + c, so
  // the four weights pair with x0[., 0], x1[., 0], x0[., 1], x1[., 1].
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 10, 20, 30, 40}, {1, 2, 2, 2});
  const LocallyConnected2dParams p{1, 2, 1, 1};
  const Tensor w = Tensor::from_vector({1, 2, 3, 4, 1, 2, 3, 4}, {2, 4, 1});
  Tensor y = Tensor::empty({1, 1, 2, 1});
  locally_connected2d_forward(ctx, p, x, w, Tensor(), y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1 * 1 + 2 * 10 + 3 * 2 + 4 * 20, 1 * 3 + 2 * 30 + 3 * 4 + 4 * 40}));
}

// The definition with Keras' layout, and the gradients of one dy.
ConvReference direct_locally_connected(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& dy,
                                       const LocallyConnected2dParams& p) {
  const int64_t n_ = x.dim(0), c_ = x.dim(1), h = x.dim(2), wd = x.dim(3), f_ = w.dim(2);
  const int64_t oh_ = (h - p.kernel_h) / p.stride_h + 1, ow_ = (wd - p.kernel_w) / p.stride_w + 1;
  const std::vector<float> xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector(), dyv = dy.to_vector();
  std::vector<double> y(n_ * f_ * oh_ * ow_), dx(xv.size()), dw(wv.size()), db(bv.size());
  for (int64_t n = 0; n < n_; ++n)
    for (int64_t f = 0; f < f_; ++f)
      for (int64_t oh = 0; oh < oh_; ++oh)
        for (int64_t ow = 0; ow < ow_; ++ow) {
          const int64_t pos = oh * ow_ + ow, yi = ((n * f_ + f) * oh_ + oh) * ow_ + ow;
          double acc = bv[pos * f_ + f];
          db[pos * f_ + f] += dyv[yi];
          for (int64_t i = 0; i < p.kernel_h; ++i)
            for (int64_t j = 0; j < p.kernel_w; ++j)
              for (int64_t c = 0; c < c_; ++c) {
                const int64_t xi = ((n * c_ + c) * h + oh * p.stride_h + i) * wd + ow * p.stride_w + j;
                const int64_t wi = (pos * p.kernel_h * p.kernel_w * c_ + (i * p.kernel_w + j) * c_ + c) * f_ + f;
                acc += double(xv[xi]) * wv[wi];
                dx[xi] += double(dyv[yi]) * wv[wi];
                dw[wi] += double(dyv[yi]) * xv[xi];
              }
          y[yi] = acc;
        }
  const auto to_float = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  return {to_float(y), to_float(dx), to_float(dw), to_float(db)};
}

TEST(LocallyConnected2d, MatchesDirectLoops) {
  Context ctx(Device::cpu(), 21);
  for (const LocallyConnected2dParams p : {LocallyConnected2dParams{3, 3, 1, 1}, LocallyConnected2dParams{2, 3, 2, 1},
                                           LocallyConnected2dParams{3, 2, 2, 3}}) {
    const Tensor x = random_tensor(ctx, {3, 2, 7, 8});
    const Tensor w = random_tensor(ctx, locally_connected2d_weight_shape(x.shape(), 4, p));
    const Tensor b = random_tensor(ctx, locally_connected2d_bias_shape(x.shape(), 4, p));
    const Shape out = locally_connected2d_output_shape(x.shape(), 4, p);
    const Tensor dy = random_tensor(ctx, out);
    const ConvReference ref = direct_locally_connected(x, w, b, dy, p);
    Tensor y = Tensor::empty(out), dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape()), db = Tensor::empty(b.shape());
    locally_connected2d_forward(ctx, p, x, w, b, y);
    locally_connected2d_backward_input(ctx, p, w, dy, dx);
    locally_connected2d_backward_weight(ctx, p, x, dy, dw);
    locally_connected2d_backward_bias(ctx, dy, db);
    const std::string name = "kernel " + std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w) + " stride " +
                             std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w);
    EXPECT_TRUE(testing::all_close(y.to_vector(), ref.y, 1e-4, 1e-4)) << name;
    EXPECT_TRUE(testing::all_close(dx.to_vector(), ref.dx, 1e-4, 1e-4)) << name;
    EXPECT_TRUE(testing::all_close(dw.to_vector(), ref.dw, 1e-4, 1e-4)) << name;
    EXPECT_TRUE(testing::all_close(db.to_vector(), ref.db, 1e-4, 1e-4)) << name;
  }
}

// The per-output functions of core/conv_math.h (the element-wise
// definition the ops were once computed by, one output at a time) over a
// whole batch.
struct LcResults {
  std::vector<float> y, dx, dw, db;
};
LcResults per_output_locally_connected(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& dy,
                                       const LocallyConnected2dParams& p) {
  const int64_t batch = x.dim(0);
  const int channels = int(x.dim(1)), filters = int(w.dim(2));
  const Window2d g = make_window(int(x.dim(2)), int(x.dim(3)), p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
                                 Padding::Valid);
  const int64_t positions = int64_t{g.out_h} * g.out_w, patch = w.dim(1);
  const int64_t sample = int64_t{channels} * g.in_h * g.in_w;
  const std::vector<float> xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector(), dyv = dy.to_vector();
  LcResults r{std::vector<float>(dyv.size()), std::vector<float>(xv.size()), std::vector<float>(wv.size()),
              std::vector<float>(bv.size())};
  for (int64_t n = 0; n < batch; ++n)
    for (int f = 0; f < filters; ++f)
      for (int oh = 0; oh < g.out_h; ++oh)
        for (int ow = 0; ow < g.out_w; ++ow)
          r.y[(n * filters + f) * positions + oh * g.out_w + ow] =
              locally_connected_output(xv.data() + n * sample, wv.data(), bv.data(), g, channels, filters, f, oh, ow);
  for (int64_t n = 0; n < batch; ++n)
    for (int c = 0; c < channels; ++c)
      for (int ih = 0; ih < g.in_h; ++ih)
        for (int iw = 0; iw < g.in_w; ++iw)
          r.dx[n * sample + (int64_t{c} * g.in_h + ih) * g.in_w + iw] = locally_connected_input_grad(
              dyv.data() + n * filters * positions, wv.data(), g, channels, filters, c, ih, iw);
  for (int64_t q = 0; q < positions; ++q)
    for (int64_t k = 0; k < patch; ++k)
      for (int f = 0; f < filters; ++f)
        r.dw[(q * patch + k) * filters + f] =
            locally_connected_weight_grad(xv.data(), dyv.data(), batch, g, channels, filters, q, k, f);
  for (int64_t q = 0; q < positions; ++q)
    for (int f = 0; f < filters; ++f)
      r.db[q * filters + f] = locally_connected_bias_grad(dyv.data(), batch, g, filters, q, f);
  return r;
}

LcResults run_locally_connected(Context& ctx, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& dy,
                                const LocallyConnected2dParams& p) {
  const Device dev = ctx.device();
  Tensor y = Tensor::empty(dy.shape(), dev), dx = Tensor::empty(x.shape(), dev), dw = Tensor::empty(w.shape(), dev),
         db = Tensor::empty(b.shape(), dev);
  const Tensor xd = x.to(dev), wd = w.to(dev), bd = b.to(dev), dyd = dy.to(dev);
  locally_connected2d_forward(ctx, p, xd, wd, bd, y);
  locally_connected2d_backward_input(ctx, p, wd, dyd, dx);
  locally_connected2d_backward_weight(ctx, p, xd, dyd, dw);
  locally_connected2d_backward_bias(ctx, dyd, db);
  return {y.to_vector(), dx.to_vector(), dw.to_vector(), db.to_vector()};
}

struct LcCase {
  int64_t n, c, h, w, f;
  LocallyConnected2dParams p;
  std::string name() const {
    return "batch " + std::to_string(n) + ", " + std::to_string(c) + "x" + std::to_string(h) + "x" +
           std::to_string(w) + ", kernel " + std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w) +
           " stride " + std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w);
  }
};

// Batch 1, small batches, and batches of more than one block of samples
// (host/conv_ops.cpp cuts at 256 for the forward pass and the weight
// gradient, at 64 per thread for the input gradient); the tagger's and
// CaloGAN's shapes among them.
const LcCase kLcCases[] = {{1, 1, 25, 25, 8, {5, 5, 1, 1}},  {7, 8, 10, 10, 8, {3, 3, 1, 1}},
                           {5, 3, 13, 12, 6, {4, 3, 2, 3}},  {300, 2, 9, 10, 3, {3, 3, 1, 1}},
                           {531, 16, 5, 7, 6, {2, 2, 1, 1}}, {129, 2, 6, 14, 2, {3, 3, 1, 2}}};

TEST(LocallyConnected2d, MatchesPerOutputFunctions) {
  Context ctx(Device::cpu(), 23);
  for (const LcCase& k : kLcCases) {
    const Tensor x = random_tensor(ctx, {k.n, k.c, k.h, k.w});
    const Tensor w = random_tensor(ctx, locally_connected2d_weight_shape(x.shape(), k.f, k.p));
    const Tensor b = random_tensor(ctx, locally_connected2d_bias_shape(x.shape(), k.f, k.p));
    const Tensor dy = random_tensor(ctx, locally_connected2d_output_shape(x.shape(), k.f, k.p));
    const LcResults ref = per_output_locally_connected(x, w, b, dy, k.p);
    const LcResults got = run_locally_connected(ctx, x, w, b, dy, k.p);
    EXPECT_TRUE(testing::all_close(got.y, ref.y, 1e-4, 1e-4)) << k.name();
    EXPECT_TRUE(testing::all_close(got.dx, ref.dx, 1e-4, 1e-4)) << k.name();
    EXPECT_TRUE(testing::all_close(got.dw, ref.dw, 1e-4, 1e-4)) << k.name();
    // The bias gradient adds the samples in the same order: equal to the bit.
    EXPECT_EQ(got.db, ref.db) << k.name();
  }
}

TEST(LocallyConnected2d, RunsAreBitIdentical) {
  Context ctx(Device::cpu(), 29);
  for (const LcCase& k : kLcCases) {
    const Tensor x = random_tensor(ctx, {k.n, k.c, k.h, k.w});
    const Tensor w = random_tensor(ctx, locally_connected2d_weight_shape(x.shape(), k.f, k.p));
    const Tensor b = random_tensor(ctx, locally_connected2d_bias_shape(x.shape(), k.f, k.p));
    const Tensor dy = random_tensor(ctx, locally_connected2d_output_shape(x.shape(), k.f, k.p));
    const LcResults first = run_locally_connected(ctx, x, w, b, dy, k.p);
    const LcResults second = run_locally_connected(ctx, x, w, b, dy, k.p);
    EXPECT_EQ(first.y, second.y) << k.name();
    EXPECT_EQ(first.dx, second.dx) << k.name();
    EXPECT_EQ(first.dw, second.dw) << k.name();
    EXPECT_EQ(first.db, second.db) << k.name();
  }
}

TEST(LocallyConnected2d, CentralDifferences) {
  Context ctx(Device::cpu(), 7);
  const LocallyConnected2dParams p{2, 3, 2, 1};
  Tensor x = random_tensor(ctx, {2, 2, 5, 5});
  Tensor w = random_tensor(ctx, locally_connected2d_weight_shape(x.shape(), 3, p));
  Tensor b = random_tensor(ctx, locally_connected2d_bias_shape(x.shape(), 3, p));
  const Shape out = locally_connected2d_output_shape(x.shape(), 3, p);
  const Tensor r = random_tensor(ctx, out);
  const auto forward = [&] {
    Tensor y = Tensor::empty(out);
    locally_connected2d_forward(ctx, p, x, w, b, y);
    return y;
  };
  Tensor dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape()), db = Tensor::empty(b.shape());
  locally_connected2d_backward_input(ctx, p, w, r, dx);
  locally_connected2d_backward_weight(ctx, p, x, r, dw);
  locally_connected2d_backward_bias(ctx, r, db);
  EXPECT_TRUE(testing::gradient_matches(forward, x, r, dx)) << "x";
  EXPECT_TRUE(testing::gradient_matches(forward, w, r, dw)) << "weight";
  EXPECT_TRUE(testing::gradient_matches(forward, b, r, db)) << "bias";
}

TEST(LocallyConnected2d, BadShapesNameTheProblem) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::zeros({1, 2, 4, 4});
  const LocallyConnected2dParams p{3, 3, 1, 1};
  Tensor y = Tensor::empty({1, 5, 2, 2});
  try {
    locally_connected2d_forward(ctx, p, x, Tensor::zeros({4, 9, 5}), Tensor(), y);  // K should be 3·3·2
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(4, 18, 5)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(locally_connected2d_forward(ctx, p, x, Tensor::zeros({4, 18, 5}), Tensor::zeros({5}), y), Error);
  EXPECT_THROW(locally_connected2d_forward(ctx, {5, 5, 1, 1}, x, Tensor::zeros({1, 50, 5}), Tensor(), y), Error);
}

// --- CUDA against the CPU -------------------------------------------------------------------

template <typename D>
class ConvOpsDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(ConvOpsDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(ConvOpsDevice, Conv2dMatchesCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 31), ctx(dev, 31);
  // Valid, symmetric 'same', and asymmetric 'same' (even kernels, strides), twice
  // each so that the cached cuDNN plan is reused.
  const ConvCase cases[] = {{4, 3, 12, 11, 8, 3, 3, 1, 1, false}, {4, 3, 12, 11, 8, 3, 3, 1, 1, true},
                            {4, 3, 12, 11, 8, 4, 4, 1, 1, true},  {4, 3, 12, 11, 8, 4, 2, 2, 2, true},
                            {4, 3, 12, 11, 8, 5, 5, 2, 1, false}, {4, 3, 12, 11, 8, 4, 4, 1, 1, true}};
  for (const ConvCase& k : cases) {
    const Tensor x = random_tensor(cpu, {k.n, k.c, k.h, k.w});
    const Tensor w = random_tensor(cpu, {k.f, k.c, k.kh, k.kw});
    const Tensor b = random_tensor(cpu, {k.f});
    const Shape out = conv2d_output_shape(x.shape(), w.shape(), k.params());
    const Tensor dy = random_tensor(cpu, out);
    Tensor y = Tensor::empty(out), dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape()), db = Tensor::empty(b.shape());
    conv2d_forward(cpu, k.params(), x, w, b, y);
    conv2d_backward_input(cpu, k.params(), w, dy, dx);
    conv2d_backward_weight(cpu, k.params(), x, dy, dw);
    conv2d_backward_bias(cpu, dy, db);
    Tensor yd = Tensor::empty(out, dev), dxd = Tensor::empty(x.shape(), dev), dwd = Tensor::empty(w.shape(), dev),
           dbd = Tensor::empty(b.shape(), dev);
    conv2d_forward(ctx, k.params(), x.to(dev), w.to(dev), b.to(dev), yd);
    conv2d_backward_input(ctx, k.params(), w.to(dev), dy.to(dev), dxd);
    conv2d_backward_weight(ctx, k.params(), x.to(dev), dy.to(dev), dwd);
    conv2d_backward_bias(ctx, dy.to(dev), dbd);
    const std::string name = std::to_string(k.kh) + "x" + std::to_string(k.kw) + " stride " + std::to_string(k.sh) +
                             (k.same ? " same" : " valid");
    EXPECT_TRUE(testing::all_close(yd.to(Device::cpu()), y, 1e-3, 1e-3)) << name;
    EXPECT_TRUE(testing::all_close(dxd.to(Device::cpu()), dx, 1e-3, 1e-3)) << name;
    EXPECT_TRUE(testing::all_close(dwd.to(Device::cpu()), dw, 1e-3, 1e-3)) << name;
    EXPECT_TRUE(testing::all_close(dbd.to(Device::cpu()), db, 1e-4, 1e-4)) << name;
  }
}

TYPED_TEST(ConvOpsDevice, LocallyConnectedMatchesCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 41), ctx(dev, 41);
  for (const LocallyConnected2dParams p : {LocallyConnected2dParams{5, 5, 1, 1}, LocallyConnected2dParams{4, 3, 2, 3}}) {
    const Tensor x = random_tensor(cpu, {5, 3, 13, 12});
    const Tensor w = random_tensor(cpu, locally_connected2d_weight_shape(x.shape(), 6, p));
    const Tensor b = random_tensor(cpu, locally_connected2d_bias_shape(x.shape(), 6, p));
    const Shape out = locally_connected2d_output_shape(x.shape(), 6, p);
    const Tensor dy = random_tensor(cpu, out);
    Tensor y = Tensor::empty(out), dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape()), db = Tensor::empty(b.shape());
    locally_connected2d_forward(cpu, p, x, w, b, y);
    locally_connected2d_backward_input(cpu, p, w, dy, dx);
    locally_connected2d_backward_weight(cpu, p, x, dy, dw);
    locally_connected2d_backward_bias(cpu, dy, db);
    Tensor yd = Tensor::empty(out, dev), dxd = Tensor::empty(x.shape(), dev), dwd = Tensor::empty(w.shape(), dev),
           dbd = Tensor::empty(b.shape(), dev);
    locally_connected2d_forward(ctx, p, x.to(dev), w.to(dev), b.to(dev), yd);
    locally_connected2d_backward_input(ctx, p, w.to(dev), dy.to(dev), dxd);
    locally_connected2d_backward_weight(ctx, p, x.to(dev), dy.to(dev), dwd);
    locally_connected2d_backward_bias(ctx, dy.to(dev), dbd);
    EXPECT_TRUE(testing::all_close(yd.to(Device::cpu()), y, 1e-4, 1e-4));
    EXPECT_TRUE(testing::all_close(dxd.to(Device::cpu()), dx, 1e-4, 1e-4));
    EXPECT_TRUE(testing::all_close(dwd.to(Device::cpu()), dw, 1e-4, 1e-4));
    EXPECT_TRUE(testing::all_close(dbd.to(Device::cpu()), db, 1e-4, 1e-4));
  }
}

// The tagger's and CaloGAN's shapes and batches of several blocks: against
// the per-output definition, and two runs equal to the bit.
TYPED_TEST(ConvOpsDevice, LocallyConnectedMatchesPerOutputFunctionsAndRepeats) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 43), ctx(dev, 43);
  for (const LcCase& k : kLcCases) {
    const Tensor x = random_tensor(cpu, {k.n, k.c, k.h, k.w});
    const Tensor w = random_tensor(cpu, locally_connected2d_weight_shape(x.shape(), k.f, k.p));
    const Tensor b = random_tensor(cpu, locally_connected2d_bias_shape(x.shape(), k.f, k.p));
    const Tensor dy = random_tensor(cpu, locally_connected2d_output_shape(x.shape(), k.f, k.p));
    const LcResults ref = per_output_locally_connected(x, w, b, dy, k.p);
    const LcResults first = run_locally_connected(ctx, x, w, b, dy, k.p);
    const LcResults second = run_locally_connected(ctx, x, w, b, dy, k.p);
    EXPECT_TRUE(testing::all_close(first.y, ref.y, 1e-4, 1e-4)) << k.name();
    EXPECT_TRUE(testing::all_close(first.dx, ref.dx, 1e-4, 1e-4)) << k.name();
    EXPECT_TRUE(testing::all_close(first.dw, ref.dw, 1e-4, 1e-4)) << k.name();
    EXPECT_EQ(first.db, ref.db) << k.name();
    EXPECT_EQ(first.y, second.y) << k.name();
    EXPECT_EQ(first.dx, second.dx) << k.name();
    EXPECT_EQ(first.dw, second.dw) << k.name();
    EXPECT_EQ(first.db, second.db) << k.name();
  }
}

}  // namespace
}  // namespace jetimg
