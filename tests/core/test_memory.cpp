// The memory pool and its counters (core/memory.h), and the ops that let a
// step keep its values on the device: accumulate_sum, fill_flipped_labels,
// clip_by_global_norm and the losses' slot overloads. CPU references by hand
// or from the host-returning ops, CUDA against the CPU.
#include <cmath>
#include <vector>

#include "core/memory.h"
#include "core/ops.h"
#include "core/sampling.h"
#include "core/train_ops.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

TEST(MemoryPool, AFreedBlockIsHandedOutAgain) {
  const MemoryStats start = memory_stats(Device::cpu());
  { Tensor a = Tensor::empty({1000, 37}); }  // an odd size no other test asks for
  const MemoryStats after_first = memory_stats(Device::cpu());
  // One request, served by a new block or by a cached one.
  EXPECT_EQ(after_first.allocations + after_first.reuses, start.allocations + start.reuses + 1);
  { Tensor b = Tensor::empty({1000, 37}); }
  const MemoryStats after_second = memory_stats(Device::cpu());
  EXPECT_EQ(after_second.allocations, after_first.allocations);
  EXPECT_EQ(after_second.reuses, after_first.reuses + 1);
  // A block less than twice the request serves it; a much larger one does not.
  { Tensor c = Tensor::empty({900, 37}); }
  EXPECT_EQ(memory_stats(Device::cpu()).allocations, after_first.allocations);
}

TEST(MemoryPool, CountsBytesInUseAndTheirPeak) {
  release_cached_memory(Device::cpu());  // so that no larger cached block serves the request
  const MemoryStats start = memory_stats(Device::cpu());
  Tensor a = Tensor::empty({1 << 20});  // 4 MiB
  const MemoryStats held = memory_stats(Device::cpu());
  EXPECT_EQ(held.bytes_in_use - start.bytes_in_use, int64_t{4} << 20);
  EXPECT_GE(held.peak_bytes_in_use, held.bytes_in_use);
  a = Tensor();
  EXPECT_EQ(memory_stats(Device::cpu()).bytes_in_use, start.bytes_in_use);
}

TEST(MemoryPool, HostBlocksLargerThanTheCacheGoBackToTheSystem) {
  const MemoryStats start = memory_stats(Device::cpu());
  { Tensor big = Tensor::empty({kHostCacheBytes / 4 + 1024}); }
  const MemoryStats after = memory_stats(Device::cpu());
  EXPECT_EQ(after.allocations, start.allocations + 1);
  EXPECT_EQ(after.releases, start.releases + 1);
  EXPECT_LE(after.bytes_cached, kHostCacheBytes);
}

TEST(MemoryPool, ReleasingTheCacheGivesEveryCachedBlockBack) {
  { Tensor a = Tensor::empty({12345}); }
  EXPECT_GT(memory_stats(Device::cpu()).bytes_cached, 0);
  release_cached_memory(Device::cpu());
  EXPECT_EQ(memory_stats(Device::cpu()).bytes_cached, 0);
}

TEST(MemoryPool, ReadingValuesBackCountsAsASynchronisation) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({1, 2, 3}, {3});
  const uint64_t before = ctx.memory_stats().synchronizations;
  (void)x.to_vector();
  EXPECT_EQ(ctx.memory_stats().synchronizations, before + 1);
  (void)sum(ctx, x);
  EXPECT_EQ(ctx.memory_stats().synchronizations, before + 2);
  ctx.synchronize();
  EXPECT_EQ(ctx.memory_stats().synchronizations, before + 3);
  // An asynchronous copy, and ops that leave their result on the device, do not wait.
  Tensor y = Tensor::empty({3}), total = Tensor::zeros({1});
  y.copy_from_async(ctx, x);
  accumulate_sum(ctx, y, 1.0f, total, 0);
  EXPECT_EQ(ctx.memory_stats().synchronizations, before + 3);
  EXPECT_EQ(y.to_vector(), x.to_vector());
}

TEST(MemoryPool, AsynchronousCopiesCheckShapesAndDevices) {
  Context ctx(Device::cpu(), 0);
  Tensor a = Tensor::empty({3});
  const Tensor b = Tensor::empty({4});
  EXPECT_NE(testing::error_message_of([&] { a.copy_from_async(ctx, b); }).find("copy_from_async"), std::string::npos);
}

TEST(StepValueOps, AccumulateSumAddsAScaledSumAtAnIndex) {
  Context ctx(Device::cpu(), 0);
  Tensor out = Tensor::from_vector({1, 10, 100}, {3});
  const Tensor x = Tensor::from_vector({0.5f, 1.5f, 2.0f, 4.0f}, {2, 2});
  accumulate_sum(ctx, x, 2.0f, out, 1);   // 10 + 2·8
  accumulate_sum(ctx, x, -1.0f, out, 1);  // - 8
  accumulate_sum(ctx, Tensor::empty({0}), 3.0f, out, 2);
  EXPECT_EQ(out.to_vector(), (std::vector<float>{1, 18, 100}));
  EXPECT_NE(testing::error_message_of([&] { accumulate_sum(ctx, x, 1.0f, out, 3); }).find("outside"),
            std::string::npos);
}

TEST(StepValueOps, FlippedLabelsFollowTheSeededUniform) {
  Context ctx(Device::cpu(), 0);
  Tensor out = Tensor::empty({500});
  fill_flipped_labels(ctx, out, 1.0f, 0.0f, 0.3, 7, 42);
  const std::vector<float> got = out.to_vector();
  int flipped = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], seeded_uniform(7, 42, i) < 0.3 ? 0.0f : 1.0f) << i;
    flipped += got[i] == 0.0f;
  }
  EXPECT_GT(flipped, 100);  // about 150 of 500
  EXPECT_LT(flipped, 200);
  fill_flipped_labels(ctx, out, 0.9f, 0.1f, 0.0, 7, 42);  // no flips
  for (float v : out.to_vector()) EXPECT_EQ(v, 0.9f);
}

TEST(StepValueOps, ClipByGlobalNormByHand) {
  Context ctx(Device::cpu(), 0);
  Tensor a = Tensor::from_vector({3, 0}, {2}), b = Tensor::from_vector({4}, {1});
  Tensor norm = Tensor::zeros({2});
  clip_by_global_norm(ctx, {&a, &b}, 1.0, LossSlot{&norm, 1, 1.0f});
  EXPECT_EQ(norm.to_vector(), (std::vector<float>{0, 5}));
  const float factor = static_cast<float>(1.0 / (5.0 + 1e-6));
  EXPECT_EQ(a.to_vector(), (std::vector<float>{3 * factor, 0}));
  EXPECT_EQ(b.to_vector(), (std::vector<float>{4 * factor}));
  // Within the limit, or with clipping off, nothing is scaled; the norm is still recorded.
  clip_by_global_norm(ctx, {&a, &b}, 0.0, LossSlot{&norm, 0, 2.0f});
  EXPECT_NEAR(norm.to_vector()[0], 2.0, 1e-5);
  EXPECT_EQ(b.to_vector(), (std::vector<float>{4 * factor}));
  // A NaN gradient: the norm is NaN and nothing is scaled (the training loop stops on the norm).
  Tensor bad = Tensor::from_vector({std::nanf(""), 2}, {2});
  Tensor n2 = Tensor::zeros({1});
  clip_by_global_norm(ctx, {&bad}, 1.0, LossSlot{&n2, 0, 1.0f});
  EXPECT_TRUE(std::isnan(n2.to_vector()[0]));
  EXPECT_EQ(bad.to_vector()[1], 2.0f);
}

TEST(StepValueOps, LossSlotsHoldWhatTheLossesReturn) {
  Context ctx(Device::cpu(), 0);
  const Tensor logits = Tensor::from_vector({0.3f, -1.2f, 2.5f}, {3, 1});
  const Tensor labels = Tensor::from_vector({1, 0, 0}, {3});
  const Tensor pred = Tensor::from_vector({0.5f, 2.0f, -1.0f}, {3, 1});
  Tensor slots = Tensor::zeros({3});
  bce_with_logits(ctx, logits, labels, Tensor(), nullptr, LossSlot{&slots, 0, 1.0f});
  mean_squared_error(ctx, pred, labels.view({3, 1}), Tensor(), nullptr, LossSlot{&slots, 1, 0.5f});
  mean_absolute_error(ctx, pred, labels.view({3, 1}), Tensor(), nullptr, LossSlot{&slots, 2, 1.0f});
  const std::vector<float> got = slots.to_vector();
  EXPECT_FLOAT_EQ(got[0], float(bce_with_logits(ctx, logits, labels, Tensor(), nullptr)));
  EXPECT_FLOAT_EQ(got[1], float(0.5 * mean_squared_error(ctx, pred, labels.view({3, 1}), Tensor(), nullptr)));
  EXPECT_FLOAT_EQ(got[2], float(mean_absolute_error(ctx, pred, labels.view({3, 1}), Tensor(), nullptr)));
}

template <typename T>
class StepValueOpsDevice : public testing::DeviceTest<T> {};
TYPED_TEST_SUITE(StepValueOpsDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(StepValueOpsDevice, MatchCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 3), ctx(dev, 3);
  Tensor x = Tensor::empty({70001});
  random_normal(cpu, x, 0.0f, 1.0f);
  Tensor out_cpu = Tensor::from_vector({1, 2}, {2});
  Tensor out_dev = out_cpu.to(dev);
  accumulate_sum(cpu, x, 0.25f, out_cpu, 1);
  accumulate_sum(ctx, x.to(dev), 0.25f, out_dev, 1);
  // The device sums blocks in a tree: the same to float precision, not bit for bit.
  EXPECT_TRUE(testing::all_close(out_dev.to(Device::cpu()), out_cpu, 1e-4, 1e-6));

  Tensor labels_cpu = Tensor::empty({3000}), labels_dev = Tensor::empty({3000}, dev);
  fill_flipped_labels(cpu, labels_cpu, 0.9f, 0.0f, 0.2, 11, 5);
  fill_flipped_labels(ctx, labels_dev, 0.9f, 0.0f, 0.2, 11, 5);
  EXPECT_EQ(labels_dev.to_vector(), labels_cpu.to_vector());

  Tensor a = Tensor::empty({5000}), b = Tensor::empty({3, 7});
  random_normal(cpu, a, 0.0f, 1.0f);
  random_normal(cpu, b, 0.0f, 1.0f);
  Tensor a_dev = a.to(dev), b_dev = b.to(dev);
  Tensor norm_cpu = Tensor::zeros({1}), norm_dev = Tensor::zeros({1}, dev);
  clip_by_global_norm(cpu, {&a, &b}, 2.0, LossSlot{&norm_cpu, 0, 1.0f});
  clip_by_global_norm(ctx, {&a_dev, &b_dev}, 2.0, LossSlot{&norm_dev, 0, 1.0f});
  EXPECT_TRUE(testing::all_close(norm_dev.to(Device::cpu()), norm_cpu, 1e-4, 1e-6));
  EXPECT_TRUE(testing::all_close(a_dev.to(Device::cpu()), a, 1e-7, 1e-5));
  EXPECT_TRUE(testing::all_close(b_dev.to(Device::cpu()), b, 1e-7, 1e-5));
}

// On a GPU: freed device blocks come back from the pool, and an asynchronous
// copy through pinned memory arrives.
TYPED_TEST(StepValueOpsDevice, PoolReusesBlocksAndAsyncCopiesArrive) {
  const Device dev = this->device();
  Context ctx(dev, 0);
  { Tensor t = Tensor::empty({4321}, dev); }
  const MemoryStats before = memory_stats(dev);
  { Tensor t = Tensor::empty({4321}, dev); }
  EXPECT_EQ(memory_stats(dev).allocations, before.allocations);
  Tensor host = Tensor::empty_pinned({1000});
  for (int i = 0; i < 1000; ++i) host.data()[i] = static_cast<float>(i);
  Tensor on_device = Tensor::empty({1000}, dev), back = Tensor::empty_pinned({1000});
  on_device.copy_from_async(ctx, host);
  back.copy_from_async(ctx, on_device);
  ctx.synchronize();
  EXPECT_EQ(back.to_vector(), host.to_vector());
}

}  // namespace
}  // namespace jetimg
