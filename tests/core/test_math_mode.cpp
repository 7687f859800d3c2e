// Math modes (core/math_mode.h): names and parsing, the context's mode, the
// CPU computing float32 bit for bit in every mode, and on CUDA TF32 and BF16
// dense and convolution results near the CPU's float32 ones (tolerances of
// the formats: TF32 keeps 10 mantissa bits, BF16 7) with fp32 unchanged.
#include <algorithm>
#include <cmath>

#include "core/conv_ops.h"
#include "core/error.h"
#include "core/gemm.h"
#include "core/math_mode.h"
#include "core/ops.h"
#include "models/dense.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

constexpr MathMode kModes[] = {MathMode::fp32, MathMode::tf32, MathMode::bf16};

Tensor random_tensor(Context& ctx, const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  random_normal(ctx, t, 0.0f, 1.0f);
  return t;
}

// |got - ref| <= tolerance · max|ref| element by element: the error of a
// reduced-precision dot product scales with the size of its terms, not with
// the (possibly cancelling) result.
::testing::AssertionResult near_in_scale(const Tensor& got, const Tensor& ref, double tolerance) {
  const std::vector<float> r = ref.to_vector();
  double scale = 0;
  for (float v : r) scale = std::max(scale, std::fabs(double(v)));
  return testing::all_close(got.to(Device::cpu()).to_vector(), r, tolerance * scale, tolerance);
}

TEST(MathMode, NamesAndParsing) {
  for (MathMode mode : kModes) EXPECT_EQ(parse_math_mode(math_mode_name(mode)), mode);
  EXPECT_STREQ(math_mode_name(MathMode::fp32), "fp32");
  EXPECT_STREQ(math_mode_name(MathMode::tf32), "tf32");
  EXPECT_STREQ(math_mode_name(MathMode::bf16), "bf16");
  const std::string message = testing::error_message_of([] { parse_math_mode("fp16", "--math"); });
  EXPECT_NE(message.find("--math"), std::string::npos) << message;
  EXPECT_NE(message.find("'fp16'"), std::string::npos) << message;
  EXPECT_NE(message.find("fp32, tf32 or bf16"), std::string::npos) << message;
  EXPECT_THROW(parse_math_mode("TF32"), Error);  // names are exact
  EXPECT_THROW(parse_math_mode(""), Error);
}

TEST(MathMode, ContextDefaultsToFp32) {
  Context ctx(Device::cpu(), 0);
  EXPECT_EQ(ctx.math_mode(), MathMode::fp32);
  ctx.set_math_mode(MathMode::tf32);
  EXPECT_EQ(ctx.math_mode(), MathMode::tf32);
  use_math_mode(ctx, MathMode::bf16);  // logs once that the CPU computes float32
  EXPECT_EQ(ctx.math_mode(), MathMode::bf16);
}

TEST(MathMode, Bf16CannotTrain) {
  EXPECT_NO_THROW(check_training_math_mode(MathMode::fp32));
  EXPECT_NO_THROW(check_training_math_mode(MathMode::tf32));
  const std::string message = testing::error_message_of([] { check_training_math_mode(MathMode::bf16); });
  EXPECT_NE(message.find("--math bf16"), std::string::npos) << message;
  EXPECT_NE(message.find("inference"), std::string::npos) << message;
}

// The CPU computes float32 whatever the mode: the same bits.
TEST(MathMode, CpuComputesFp32InEveryMode) {
  Context rng(Device::cpu(), 5);
  const Tensor a = random_tensor(rng, {37, 53}), b = random_tensor(rng, {53, 29});
  const Tensor x = random_tensor(rng, {3, 2, 9, 8}), w = random_tensor(rng, {4, 2, 4, 3}), bias = random_tensor(rng, {4});
  const Conv2dParams p{1, 1, Padding::Same};
  const Shape out = conv2d_output_shape(x.shape(), w.shape(), p);
  const Tensor dy = random_tensor(rng, out);
  std::vector<std::vector<float>> reference;
  for (MathMode mode : kModes) {
    Context ctx(Device::cpu(), 5);
    ctx.set_math_mode(mode);
    Tensor c = Tensor::empty({37, 29}), y = Tensor::empty(out), dx = Tensor::empty(x.shape()),
           dw = Tensor::empty(w.shape());
    gemm(ctx, false, false, 1.0f, a, b, 0.0f, c);
    conv2d_forward(ctx, p, x, w, bias, y);
    Tensor z = Tensor::empty({37, 29});
    EXPECT_FALSE(gemm_bias(ctx, a, b, Tensor::zeros({29}), z)) << "the CPU fuses nothing";
    std::vector<std::vector<float>> got = {c.to_vector(), y.to_vector()};
    if (mode != MathMode::bf16) {  // bf16 does not train
      conv2d_backward_input(ctx, p, w, dy, dx);
      conv2d_backward_weight(ctx, p, x, dy, dw);
      got.push_back(dx.to_vector());
      got.push_back(dw.to_vector());
    }
    if (reference.empty()) reference = got;
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], reference[i]) << math_mode_name(mode) << " result " << i;
  }
}

TEST(MathMode, CpuDenseLayerIsTheSameInEveryMode) {
  Context rng(Device::cpu(), 6);
  const Tensor x = random_tensor(rng, {17, 12}), dy = random_tensor(rng, {17, 7});
  std::vector<float> y0, dx0;
  for (MathMode mode : kModes) {
    Context ctx(Device::cpu(), 6);
    ctx.set_math_mode(mode);
    Dense layer(ctx, 12, 7, Init::GlorotUniform, {ActivationKind::ReLU, 0.0f});
    random_normal(ctx, *layer.parameters()[1].tensor, 0.0f, 1.0f);  // a bias that matters
    const std::vector<float> y = layer.forward(ctx, x).to_vector();
    if (y0.empty()) y0 = y;
    EXPECT_EQ(y, y0) << math_mode_name(mode);
    if (mode == MathMode::bf16) continue;
    const std::vector<float> dx = layer.backward(ctx, dy).to_vector();
    if (dx0.empty()) dx0 = dx;
    EXPECT_EQ(dx, dx0) << math_mode_name(mode);
  }
}

// --- CUDA against the CPU -------------------------------------------------------------------

// TF32 rounds each operand to 10 mantissa bits (relative 2^-11), BF16 to 7
// (2^-8); products are summed in float32. Measured against max|ref|.
double tolerance_of(MathMode mode) {
  switch (mode) {
    case MathMode::fp32: return 1e-5;
    case MathMode::tf32: return 1e-2;
    case MathMode::bf16: return 4e-2;
  }
  return 0;
}

TEST(MathModeCuda, GemmNearCpuInEveryMode) {
  const Device dev = Device::cuda(0);
  JI_SKIP_WITHOUT(dev);
  Context cpu(Device::cpu(), 8);
  const int64_t m = 67, n = 33, k = 129;
  for (MathMode mode : kModes) {
    Context ctx(dev, 8);
    ctx.set_math_mode(mode);
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        const Tensor a = random_tensor(cpu, ta ? Shape{k, m} : Shape{m, k});
        const Tensor b = random_tensor(cpu, tb ? Shape{n, k} : Shape{k, n});
        Tensor c_cpu = random_tensor(cpu, {m, n});
        Tensor c = c_cpu.to(dev);
        gemm(cpu, ta, tb, 1.25f, a, b, 0.5f, c_cpu);
        gemm(ctx, ta, tb, 1.25f, a.to(dev), b.to(dev), 0.5f, c);
        EXPECT_TRUE(near_in_scale(c, c_cpu, tolerance_of(mode)))
            << math_mode_name(mode) << " ta=" << ta << " tb=" << tb;
        if (mode == MathMode::fp32)  // as before the modes: the float32 tolerance of the CPU comparisons
          EXPECT_TRUE(testing::all_close(c.to(Device::cpu()), c_cpu, 1e-4, 1e-4)) << "ta=" << ta << " tb=" << tb;
      }
  }
}

// The dense forward (bias fused into cuBLASLt's epilogue in tf32 and bf16)
// and its backward (tf32) against the CPU's float32.
TEST(MathModeCuda, DenseLayerNearCpu) {
  const Device dev = Device::cuda(0);
  JI_SKIP_WITHOUT(dev);
  Context cpu(Device::cpu(), 9);
  const Tensor x = random_tensor(cpu, {300, 75}), dy = random_tensor(cpu, {300, 40});
  for (ActivationKind activation : {ActivationKind::Linear, ActivationKind::ReLU}) {
    Dense reference(cpu, 75, 40, Init::GlorotUniform, {activation, 0.0f});
    random_normal(cpu, *reference.parameters()[1].tensor, 0.0f, 1.0f);
    const Tensor y_cpu = reference.forward(cpu, x).to(Device::cpu());
    const Tensor dx_cpu = reference.backward(cpu, dy).to(Device::cpu());
    const Tensor dw_cpu = reference.gradients()[0].tensor->to(Device::cpu());
    const Tensor db_cpu = reference.gradients()[1].tensor->to(Device::cpu());
    for (MathMode mode : kModes) {
      Context ctx(dev, 9);
      ctx.set_math_mode(mode);
      Dense layer(ctx, 75, 40, Init::GlorotUniform, {activation, 0.0f});
      for (size_t i = 0; i < 2; ++i) *layer.parameters()[i].tensor = reference.parameters()[i].tensor->to(dev);
      for (int repeat = 0; repeat < 2; ++repeat) {  // the cached cuBLASLt choice is reused
        const Tensor y = layer.forward(ctx, x.to(dev));
        EXPECT_TRUE(near_in_scale(y, y_cpu, tolerance_of(mode))) << math_mode_name(mode);
        if (mode == MathMode::fp32) EXPECT_TRUE(testing::all_close(y.to(Device::cpu()), y_cpu, 1e-4, 1e-4));
      }
      if (mode == MathMode::bf16) continue;  // inference only
      const Tensor dx = layer.backward(ctx, dy.to(dev));
      EXPECT_TRUE(near_in_scale(dx, dx_cpu, tolerance_of(mode))) << math_mode_name(mode);
      EXPECT_TRUE(near_in_scale(*layer.gradients()[0].tensor, dw_cpu, tolerance_of(mode))) << math_mode_name(mode);
      EXPECT_TRUE(near_in_scale(*layer.gradients()[1].tensor, db_cpu, 1e-4)) << math_mode_name(mode);
    }
  }
}

TEST(MathModeCuda, Conv2dNearCpu) {
  const Device dev = Device::cuda(0);
  JI_SKIP_WITHOUT(dev);
  Context cpu(Device::cpu(), 31);
  struct Case {
    int64_t c, f, kh, kw;
    Conv2dParams p;
  };
  // Valid, symmetric 'same', asymmetric 'same' (padded into the workspace), strided.
  const Case cases[] = {{3, 8, 3, 3, {1, 1, Padding::Valid}},
                        {16, 32, 3, 3, {1, 1, Padding::Same}},
                        {8, 16, 4, 4, {1, 1, Padding::Same}},
                        {4, 8, 4, 2, {2, 2, Padding::Same}}};
  for (const Case& k : cases) {
    const Tensor x = random_tensor(cpu, {6, k.c, 20, 19});
    const Tensor w = random_tensor(cpu, {k.f, k.c, k.kh, k.kw});
    const Tensor b = random_tensor(cpu, {k.f});
    const Shape out = conv2d_output_shape(x.shape(), w.shape(), k.p);
    const Tensor dy = random_tensor(cpu, out);
    Tensor y = Tensor::empty(out), dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape());
    conv2d_forward(cpu, k.p, x, w, b, y);
    conv2d_backward_input(cpu, k.p, w, dy, dx);
    conv2d_backward_weight(cpu, k.p, x, dy, dw);
    const std::string name = std::to_string(k.kh) + "x" + std::to_string(k.kw) + " from " + std::to_string(k.c) +
                             " channels";
    for (MathMode mode : kModes) {
      Context ctx(dev, 31);
      ctx.set_math_mode(mode);
      for (int repeat = 0; repeat < 2; ++repeat) {  // the cached plan is reused
        Tensor yd = Tensor::empty(out, dev);
        conv2d_forward(ctx, k.p, x.to(dev), w.to(dev), b.to(dev), yd);
        EXPECT_TRUE(near_in_scale(yd, y, tolerance_of(mode))) << name << ", " << math_mode_name(mode);
        if (mode == MathMode::fp32) EXPECT_TRUE(testing::all_close(yd.to(Device::cpu()), y, 1e-3, 1e-3)) << name;
      }
      Tensor dxd = Tensor::empty(x.shape(), dev), dwd = Tensor::empty(w.shape(), dev);
      if (mode == MathMode::bf16) {  // inference only: the backward pass refuses
        EXPECT_THROW(conv2d_backward_input(ctx, k.p, w.to(dev), dy.to(dev), dxd), Error);
        EXPECT_THROW(conv2d_backward_weight(ctx, k.p, x.to(dev), dy.to(dev), dwd), Error);
        continue;
      }
      conv2d_backward_input(ctx, k.p, w.to(dev), dy.to(dev), dxd);
      conv2d_backward_weight(ctx, k.p, x.to(dev), dy.to(dev), dwd);
      EXPECT_TRUE(near_in_scale(dxd, dx, tolerance_of(mode))) << name << ", " << math_mode_name(mode);
      EXPECT_TRUE(near_in_scale(dwd, dw, tolerance_of(mode))) << name << ", " << math_mode_name(mode);
    }
  }
}

}  // namespace
}  // namespace jetimg
