// Pooling, up-sampling, zero padding and channel concatenation: values by
// hand, element-wise central differences, and CUDA against the CPU.
#include <algorithm>
#include <numeric>

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

std::vector<float> iota(int64_t n, float start = 1.0f) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

// Distinct values at least 0.1 apart, shuffled: no pooling window has a tie,
// and a ±1e-2 step cannot change a window's maximum.
Tensor separated_values(const Shape& shape, uint32_t seed) {
  std::vector<float> v(shape.numel());
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.1f * static_cast<float>(i) - 1.0f;
  uint32_t state = seed;
  for (size_t i = v.size(); i > 1; --i) {
    state = state * 1664525u + 1013904223u;
    std::swap(v[i - 1], v[state % i]);
  }
  return Tensor::from_vector(v, shape);
}

// --- pooling ---------------------------------------------------------------------------------

TEST(Pool2d, ByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector(iota(16), {1, 1, 4, 4});
  const Pool2dParams p;  // 2x2, stride = pool size
  ASSERT_EQ(pool2d_output_shape(x.shape(), p), (Shape{1, 1, 2, 2}));
  Tensor y = Tensor::empty({1, 1, 2, 2});
  max_pool2d_forward(ctx, p, x, y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{6, 8, 14, 16}));
  avg_pool2d_forward(ctx, p, x, y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{3.5f, 5.5f, 11.5f, 13.5f}));

  const Tensor dy = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2});
  Tensor dx = Tensor::empty(x.shape());
  max_pool2d_backward(ctx, p, x, dy, dx);
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4}));
  avg_pool2d_backward(ctx, p, dy, dx);
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{.25f, .25f, .5f, .5f, .25f, .25f, .5f, .5f, .75f, .75f, 1, 1, .75f,
                                                .75f, 1, 1}));
}

TEST(Pool2d, OverlappingWindowsAndLeftoverRows) {
  Context ctx(Device::cpu(), 0);
  // 3x3 with the largest value in the middle, 2x2 windows at stride 1: all
  // four windows pick the middle, which collects all four dy.
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 9, 5, 6, 7, 8}, {1, 1, 3, 3});
  const Pool2dParams p{2, 2, 1, 1};
  Tensor y = Tensor::empty({1, 1, 2, 2});
  max_pool2d_forward(ctx, p, x, y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{9, 9, 9, 9}));
  Tensor dx = Tensor::empty(x.shape());
  max_pool2d_backward(ctx, p, x, Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2}), dx);
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{0, 0, 0, 0, 10, 0, 0, 0, 0}));
  avg_pool2d_backward(ctx, p, Tensor::from_vector({4, 8, 12, 16}, {1, 1, 2, 2}), dx);
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{1, 3, 2, 4, 10, 6, 3, 7, 4}));

  // 5x5 pooled 2x2: the last row and column are in no window and get no gradient.
  const Tensor x5 = Tensor::from_vector(iota(25), {1, 1, 5, 5});
  ASSERT_EQ(pool2d_output_shape(x5.shape(), Pool2dParams{}), (Shape{1, 1, 2, 2}));
  Tensor y5 = Tensor::empty({1, 1, 2, 2}), dx5 = Tensor::empty(x5.shape());
  max_pool2d_forward(ctx, {}, x5, y5);
  EXPECT_EQ(y5.to_vector(), (std::vector<float>{7, 9, 17, 19}));
  max_pool2d_backward(ctx, {}, x5, Tensor::from_vector({1, 1, 1, 1}, {1, 1, 2, 2}), dx5);
  const std::vector<float> g = dx5.to_vector();
  EXPECT_EQ(std::accumulate(g.begin(), g.end(), 0.0f), 4.0f);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(g[4 * 5 + i] + g[i * 5 + 4], 0.0f);
}

TEST(Pool2d, MaxTiesGoToTheFirst) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({3, 3, 1, 3, 2, 7, 7, 7}, {1, 2, 2, 2});
  Tensor dx = Tensor::empty(x.shape());
  max_pool2d_backward(ctx, {}, x, Tensor::from_vector({5, 6}, {1, 2, 1, 1}), dx);
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{5, 0, 0, 0, 0, 6, 0, 0}));
}

TEST(Pool2d, RectangularPoolAndStride) {
  // 1x3 pools at stride (2, 1) on a 3x4 image.
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({1, 5, 2, 0, 9, 9, 9, 9, 4, 3, 8, 6}, {1, 1, 3, 4});
  const Pool2dParams p{1, 3, 2, 1};
  ASSERT_EQ(pool2d_output_shape(x.shape(), p), (Shape{1, 1, 2, 2}));
  Tensor y = Tensor::empty({1, 1, 2, 2});
  max_pool2d_forward(ctx, p, x, y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{5, 5, 8, 8}));
  avg_pool2d_forward(ctx, p, x, y);
  EXPECT_TRUE(testing::all_close(y.to_vector(), {8.0f / 3, 7.0f / 3, 5, 17.0f / 3}, 1e-6, 1e-6));
}

TEST(Pool2d, CentralDifferences) {
  Context ctx(Device::cpu(), 3);
  for (const Pool2dParams p : {Pool2dParams{2, 2, 0, 0}, Pool2dParams{3, 2, 1, 2}}) {
    Tensor x = separated_values({2, 2, 6, 5}, 17);
    const Shape out = pool2d_output_shape(x.shape(), p);
    const Tensor r = random_tensor(ctx, out);
    Tensor dx = Tensor::empty(x.shape());
    max_pool2d_backward(ctx, p, x, r, dx);
    const auto max_forward = [&] {
      Tensor y = Tensor::empty(out);
      max_pool2d_forward(ctx, p, x, y);
      return y;
    };
    EXPECT_TRUE(testing::gradient_matches(max_forward, x, r, dx)) << "max pool " << p.pool_h << "x" << p.pool_w;
    avg_pool2d_backward(ctx, p, r, dx);
    const auto avg_forward = [&] {
      Tensor y = Tensor::empty(out);
      avg_pool2d_forward(ctx, p, x, y);
      return y;
    };
    EXPECT_TRUE(testing::gradient_matches(avg_forward, x, r, dx)) << "avg pool " << p.pool_h << "x" << p.pool_w;
  }
}

TEST(Pool2d, BadShapes) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::zeros({1, 1, 3, 3});
  Tensor y = Tensor::empty({1, 1, 1, 1});
  EXPECT_THROW(max_pool2d_forward(ctx, {4, 4, 0, 0}, x, y), Error);
  EXPECT_THROW(max_pool2d_forward(ctx, {0, 2, 0, 0}, x, y), Error);
  Tensor wrong = Tensor::empty({1, 1, 2, 2});
  EXPECT_THROW(avg_pool2d_forward(ctx, {}, x, wrong), Error);
  EXPECT_THROW(max_pool2d_forward(ctx, {}, Tensor::zeros({3, 3}), y), Error);
}

// --- up-sampling and zero padding ----------------------------------------------------------

TEST(UpSampling2d, ByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2});
  const UpSampling2dParams p{2, 3};
  ASSERT_EQ(up_sampling2d_output_shape(x.shape(), p), (Shape{1, 1, 4, 6}));
  Tensor y = Tensor::empty({1, 1, 4, 6});
  up_sampling2d_forward(ctx, p, x, y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,  //
                                               3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}));
  Tensor dx = Tensor::empty(x.shape());
  up_sampling2d_backward(ctx, p, Tensor::from_vector(iota(24, 0.0f), {1, 1, 4, 6}), dx);
  // Top-left block: 0+1+2+6+7+8; top-right: 3+4+5+9+10+11; and +36 each below.
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{24, 42, 96, 114}));
}

TEST(ZeroPadding2d, ByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2});
  const ZeroPadding2dParams p{1, 0, 2, 1};  // top, bottom, left, right
  ASSERT_EQ(zero_padding2d_output_shape(x.shape(), p), (Shape{1, 1, 3, 5}));
  Tensor y = Tensor::empty({1, 1, 3, 5});
  zero_padding2d_forward(ctx, p, x, y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3, 4, 0}));
  Tensor dx = Tensor::empty(x.shape());
  zero_padding2d_backward(ctx, p, Tensor::from_vector(iota(15, 0.0f), {1, 1, 3, 5}), dx);
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{7, 8, 12, 13}));
  EXPECT_THROW(zero_padding2d_output_shape(x.shape(), {-1, 0, 0, 0}), Error);
}

TEST(UpSamplingAndPadding, CentralDifferences) {
  Context ctx(Device::cpu(), 9);
  Tensor x = random_tensor(ctx, {2, 2, 3, 4});
  {
    const UpSampling2dParams p{3, 2};
    const Shape out = up_sampling2d_output_shape(x.shape(), p);
    const Tensor r = random_tensor(ctx, out);
    Tensor dx = Tensor::empty(x.shape());
    up_sampling2d_backward(ctx, p, r, dx);
    const auto forward = [&] {
      Tensor y = Tensor::empty(out);
      up_sampling2d_forward(ctx, p, x, y);
      return y;
    };
    EXPECT_TRUE(testing::gradient_matches(forward, x, r, dx)) << "up-sampling";
  }
  {
    const ZeroPadding2dParams p{2, 1, 0, 3};
    const Shape out = zero_padding2d_output_shape(x.shape(), p);
    const Tensor r = random_tensor(ctx, out);
    Tensor dx = Tensor::empty(x.shape());
    zero_padding2d_backward(ctx, p, r, dx);
    const auto forward = [&] {
      Tensor y = Tensor::empty(out);
      zero_padding2d_forward(ctx, p, x, y);
      return y;
    };
    EXPECT_TRUE(testing::gradient_matches(forward, x, r, dx)) << "zero padding";
  }
}

// --- concatenation -------------------------------------------------------------------------

TEST(Concatenate, ByHand) {
  Context ctx(Device::cpu(), 0);
  // Two samples; a has one channel, b two, of 1x2 pixels.
  const Tensor a = Tensor::from_vector({1, 2, 3, 4}, {2, 1, 1, 2});
  const Tensor b = Tensor::from_vector({10, 20, 30, 40, 50, 60, 70, 80}, {2, 2, 1, 2});
  const Tensor c = Tensor::from_vector({-1, -2}, {2, 1, 1, 1});
  EXPECT_THROW(concatenate_channels_output_shape({a.shape(), c.shape()}), Error);
  EXPECT_THROW(concatenate_channels_output_shape({a.shape()}), Error);
  ASSERT_EQ(concatenate_channels_output_shape({a.shape(), b.shape(), a.shape()}), (Shape{2, 4, 1, 2}));
  Tensor y = Tensor::empty({2, 4, 1, 2});
  concatenate_channels_forward(ctx, {a, b, a}, y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1, 2, 10, 20, 30, 40, 1, 2, 3, 4, 50, 60, 70, 80, 3, 4}));

  std::vector<Tensor> dxs = {Tensor::empty(a.shape()), Tensor::empty(b.shape()), Tensor::empty(a.shape())};
  concatenate_channels_backward(ctx, Tensor::from_vector(iota(16), {2, 4, 1, 2}), dxs);
  EXPECT_EQ(dxs[0].to_vector(), (std::vector<float>{1, 2, 9, 10}));
  EXPECT_EQ(dxs[1].to_vector(), (std::vector<float>{3, 4, 5, 6, 11, 12, 13, 14}));
  EXPECT_EQ(dxs[2].to_vector(), (std::vector<float>{7, 8, 15, 16}));
}

TEST(Concatenate, CentralDifferences) {
  Context ctx(Device::cpu(), 13);
  Tensor a = random_tensor(ctx, {2, 1, 3, 2}), b = random_tensor(ctx, {2, 3, 3, 2});
  const Shape out = concatenate_channels_output_shape({a.shape(), b.shape()});
  const Tensor r = random_tensor(ctx, out);
  std::vector<Tensor> dxs = {Tensor::empty(a.shape()), Tensor::empty(b.shape())};
  concatenate_channels_backward(ctx, r, dxs);
  const auto forward = [&] {
    Tensor y = Tensor::empty(out);
    concatenate_channels_forward(ctx, {a, b}, y);
    return y;
  };
  EXPECT_TRUE(testing::gradient_matches(forward, a, r, dxs[0])) << "first input";
  EXPECT_TRUE(testing::gradient_matches(forward, b, r, dxs[1])) << "second input";
}

// --- CUDA against the CPU -------------------------------------------------------------------

template <typename D>
class ImageOpsDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(ImageOpsDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(ImageOpsDevice, PoolingMatchesCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 51), ctx(dev, 51);
  for (const Pool2dParams p : {Pool2dParams{2, 2, 0, 0}, Pool2dParams{3, 3, 1, 1}, Pool2dParams{3, 2, 2, 1}}) {
    const Tensor x = random_tensor(cpu, {3, 4, 17, 14});
    const Shape out = pool2d_output_shape(x.shape(), p);
    const Tensor dy = random_tensor(cpu, out);
    Tensor y = Tensor::empty(out), dx = Tensor::empty(x.shape());
    Tensor yd = Tensor::empty(out, dev), dxd = Tensor::empty(x.shape(), dev);
    max_pool2d_forward(cpu, p, x, y);
    max_pool2d_forward(ctx, p, x.to(dev), yd);
    EXPECT_TRUE(testing::all_close(yd.to(Device::cpu()), y, 0, 0)) << "max " << p.pool_h << "x" << p.pool_w;
    max_pool2d_backward(cpu, p, x, dy, dx);
    max_pool2d_backward(ctx, p, x.to(dev), dy.to(dev), dxd);
    EXPECT_TRUE(testing::all_close(dxd.to(Device::cpu()), dx, 1e-6, 1e-6)) << "max " << p.pool_h << "x" << p.pool_w;
    avg_pool2d_forward(cpu, p, x, y);
    avg_pool2d_forward(ctx, p, x.to(dev), yd);
    EXPECT_TRUE(testing::all_close(yd.to(Device::cpu()), y, 1e-6, 1e-6)) << "avg " << p.pool_h << "x" << p.pool_w;
    avg_pool2d_backward(cpu, p, dy, dx);
    avg_pool2d_backward(ctx, p, dy.to(dev), dxd);
    EXPECT_TRUE(testing::all_close(dxd.to(Device::cpu()), dx, 1e-6, 1e-6)) << "avg " << p.pool_h << "x" << p.pool_w;
  }
}

TYPED_TEST(ImageOpsDevice, UpSamplingPaddingConcatenateMatchCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 61), ctx(dev, 61);
  const Tensor x = random_tensor(cpu, {3, 2, 5, 7});
  const UpSampling2dParams up{2, 3};
  const ZeroPadding2dParams pad{1, 2, 0, 3};
  const Shape up_shape = up_sampling2d_output_shape(x.shape(), up), pad_shape = zero_padding2d_output_shape(x.shape(), pad);
  const Tensor dy_up = random_tensor(cpu, up_shape), dy_pad = random_tensor(cpu, pad_shape);
  Tensor y = Tensor::empty(up_shape), yd = Tensor::empty(up_shape, dev);
  Tensor dx = Tensor::empty(x.shape()), dxd = Tensor::empty(x.shape(), dev);
  up_sampling2d_forward(cpu, up, x, y);
  up_sampling2d_forward(ctx, up, x.to(dev), yd);
  EXPECT_TRUE(testing::all_close(yd.to(Device::cpu()), y, 0, 0));
  up_sampling2d_backward(cpu, up, dy_up, dx);
  up_sampling2d_backward(ctx, up, dy_up.to(dev), dxd);
  EXPECT_TRUE(testing::all_close(dxd.to(Device::cpu()), dx, 1e-6, 1e-6));

  Tensor p = Tensor::empty(pad_shape), pd = Tensor::empty(pad_shape, dev);
  zero_padding2d_forward(cpu, pad, x, p);
  zero_padding2d_forward(ctx, pad, x.to(dev), pd);
  EXPECT_TRUE(testing::all_close(pd.to(Device::cpu()), p, 0, 0));
  zero_padding2d_backward(cpu, pad, dy_pad, dx);
  zero_padding2d_backward(ctx, pad, dy_pad.to(dev), dxd);
  EXPECT_TRUE(testing::all_close(dxd.to(Device::cpu()), dx, 0, 0));

  const Tensor other = random_tensor(cpu, {3, 5, 5, 7});
  const Shape cat_shape = concatenate_channels_output_shape({x.shape(), other.shape(), x.shape()});
  Tensor c = Tensor::empty(cat_shape), cd = Tensor::empty(cat_shape, dev);
  concatenate_channels_forward(cpu, {x, other, x}, c);
  concatenate_channels_forward(ctx, {x.to(dev), other.to(dev), x.to(dev)}, cd);
  EXPECT_TRUE(testing::all_close(cd.to(Device::cpu()), c, 0, 0));
  const Tensor dy_cat = random_tensor(cpu, cat_shape);
  std::vector<Tensor> parts = {Tensor::empty(x.shape()), Tensor::empty(other.shape()), Tensor::empty(x.shape())};
  std::vector<Tensor> parts_d = {Tensor::empty(x.shape(), dev), Tensor::empty(other.shape(), dev),
                                 Tensor::empty(x.shape(), dev)};
  concatenate_channels_backward(cpu, dy_cat, parts);
  concatenate_channels_backward(ctx, dy_cat.to(dev), parts_d);
  for (size_t i = 0; i < parts.size(); ++i)
    EXPECT_TRUE(testing::all_close(parts_d[i].to(Device::cpu()), parts[i], 0, 0)) << "part " << i;
}

}  // namespace
}  // namespace jetimg
