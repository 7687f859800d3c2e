// A batch of no samples through every op family: nothing is launched on a
// GPU (a grid of 0 blocks is an invalid configuration), and what the op
// defines for an empty batch (weight and bias gradients summed over no
// samples are zero) is what the CPU gives.
#include <vector>

#include "core/calo_ops.h"
#include "core/conv_ops.h"
#include "core/gan_ops.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

// Appends t's elements (on the host) to out.
void keep(std::vector<float>& out, const Tensor& t) {
  const std::vector<float> v = t.to_vector();
  out.insert(out.end(), v.begin(), v.end());
}

// Every op on an empty batch on `device`; the gradients that sum over the
// batch start at 7 so that "not written" differs from "zero".
std::vector<float> run_empty_batch(Device device) {
  Context ctx(device, 5);
  std::vector<float> out;
  const auto sevens = [&](const Shape& s) {
    Tensor t = Tensor::empty(s, device);
    fill(ctx, t, 7.0f);
    return t;
  };
  // Conv2D: x (0, 2, 6, 6), weight (3, 2, 3, 3).
  const Conv2dParams conv{1, 1, Padding::Same};
  const Tensor x = Tensor::empty({0, 2, 6, 6}, device), weight = sevens({3, 2, 3, 3}), bias = sevens({3});
  Tensor y = Tensor::empty({0, 3, 6, 6}, device), dx = Tensor::empty({0, 2, 6, 6}, device);
  conv2d_forward(ctx, conv, x, weight, bias, y);
  conv2d_backward_input(ctx, conv, weight, y, dx);
  Tensor dweight = sevens({3, 2, 3, 3}), dbias = sevens({3});
  conv2d_backward_weight(ctx, conv, x, y, dweight);
  conv2d_backward_bias(ctx, y, dbias);
  keep(out, dweight), keep(out, dbias);
  // Locally connected 3x3 on 6x6: 16 positions.
  const LocallyConnected2dParams lc;
  const Tensor lc_weight = sevens(locally_connected2d_weight_shape(x.shape(), 4, lc));
  const Tensor lc_bias = sevens(locally_connected2d_bias_shape(x.shape(), 4, lc));
  Tensor lc_y = Tensor::empty(locally_connected2d_output_shape(x.shape(), 4, lc), device);
  locally_connected2d_forward(ctx, lc, x, lc_weight, lc_bias, lc_y);
  locally_connected2d_backward_input(ctx, lc, lc_weight, lc_y, dx);
  Tensor lc_dweight = sevens(lc_weight.shape()), lc_dbias = sevens(lc_bias.shape());
  locally_connected2d_backward_weight(ctx, lc, x, lc_y, lc_dweight);
  locally_connected2d_backward_bias(ctx, lc_y, lc_dbias);
  keep(out, lc_dweight), keep(out, lc_dbias);
  // Pooling, up-sampling, zero padding.
  const Pool2dParams pool;
  Tensor pooled = Tensor::empty({0, 2, 3, 3}, device);
  max_pool2d_forward(ctx, pool, x, pooled);
  max_pool2d_backward(ctx, pool, x, pooled, dx);
  avg_pool2d_forward(ctx, pool, x, pooled);
  avg_pool2d_backward(ctx, pool, pooled, dx);
  Tensor up = Tensor::empty({0, 2, 12, 12}, device);
  up_sampling2d_forward(ctx, UpSampling2dParams{}, x, up);
  up_sampling2d_backward(ctx, UpSampling2dParams{}, up, dx);
  Tensor padded = Tensor::empty({0, 2, 8, 8}, device);
  zero_padding2d_forward(ctx, ZeroPadding2dParams{}, x, padded);
  zero_padding2d_backward(ctx, ZeroPadding2dParams{}, padded, dx);
  // The GAN ops.
  const Tensor m = Tensor::empty({0, 5, 3}, device);
  Tensor md = Tensor::empty({0, 5}, device), dm = Tensor::empty({0, 5, 3}, device);
  minibatch_discrimination_forward(ctx, m, md);
  minibatch_discrimination_backward(ctx, m, md, dm);
  const Tensor pair = Tensor::empty({0, 2, 4, 4}, device);
  Tensor combined = Tensor::empty({0, 1, 4, 4}, device), dpair = Tensor::empty({0, 2, 4, 4}, device),
         dlogits = Tensor::empty({0, 2, 4, 4}, device);
  attention_combine_forward(ctx, pair, pair, combined);
  attention_combine_backward(ctx, pair, pair, combined, dpair, dlogits);
  Tensor per_sample = Tensor::empty({0, 1}, device);
  sum_per_sample(ctx, x, per_sample);
  sum_per_sample_backward(ctx, per_sample, dx);
  fraction_above(ctx, x, 0.5f, per_sample);
  // The calorimeter ops.
  const Tensor energies = Tensor::empty({0, 3}, device), incident = Tensor::empty({0, 1}, device);
  Tensor feats = Tensor::empty({0, 6}, device), total = Tensor::empty({0, 1}, device), scaled = Tensor::empty({0, 3}, device);
  scale_rows(ctx, energies, incident, 0.01f, scaled);
  energy_features_forward(ctx, energies, incident, feats, total);
  ctx.synchronize();
  return out;
}

TEST(EmptyBatch, GradientsOverNoSamplesAreZero) {
  const std::vector<float> got = run_empty_batch(Device::cpu());
  ASSERT_FALSE(got.empty());
  for (float v : got) ASSERT_EQ(v, 0.0f);
}

template <typename D>
class EmptyBatchDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(EmptyBatchDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(EmptyBatchDevice, EveryOpFamilyMatchesCpu) {
  EXPECT_EQ(run_empty_batch(this->device()), run_empty_batch(Device::cpu()));
}

}  // namespace
}  // namespace jetimg
