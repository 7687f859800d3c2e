// The CaloGAN glue ops: latent scaling and the discriminator's energy
// features, by hand on the CPU, by central differences, CUDA against the CPU.
#include "core/calo_ops.h"
#include "core/ops.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

TEST(CaloOps, ScaleRowsByHand) {
  Context ctx;
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor s = Tensor::from_vector({50, 200}, {2, 1});
  Tensor y = Tensor::empty({2, 3});
  scale_rows(ctx, x, s, 0.01f, y);
  EXPECT_TRUE(testing::all_close(y.to_vector(), {0.5f, 1, 1.5f, 8, 10, 12}, 1e-6, 1e-6));
}

TEST(CaloOps, EnergyFeaturesByHand) {
  Context ctx;
  // Shower 0: layers 10 + 20 + 30 = 60 GeV against 50 incident (well 10 > 5);
  // shower 1: 1 + 2 + 0.5 = 3.5 against 4 (well 0.5).
  const Tensor e = Tensor::from_vector({10, 20, 30, 1, 2, 0.5f}, {2, 3});
  const Tensor incident = Tensor::from_vector({50, 4}, {2, 1});
  Tensor feats = Tensor::empty({2, 6}), total = Tensor::empty({2, 1});
  energy_features_forward(ctx, e, incident, feats, total);
  EXPECT_TRUE(testing::all_close(feats.to_vector(), {1, 2, 3, 0.6f, 10, 10, 0.1f, 0.2f, 0.05f, 0.035f, 0.5f, 0},
                                 1e-6, 1e-6));
  EXPECT_TRUE(testing::all_close(total.to_vector(), {60, 3.5f}, 1e-6, 1e-6));

  // dL/de_l = df_l/10 + df_3/100 + sign(total - incident)·df_4 + dtotal.
  const Tensor dfeats = Tensor::from_vector({1, 2, 3, 4, 5, 6, 1, 1, 1, 1, 1, 1}, {2, 6});
  const Tensor dtotal = Tensor::from_vector({0.5f, -1}, {2, 1});
  Tensor de = Tensor::empty({2, 3});
  energy_features_backward(ctx, e, incident, dfeats, dtotal, de);
  const float shared0 = 0.04f + 5 + 0.5f, shared1 = 0.01f - 1 - 1;
  EXPECT_TRUE(testing::all_close(de.to_vector(),
                                 {0.1f + shared0, 0.2f + shared0, 0.3f + shared0, 0.1f + shared1, 0.1f + shared1,
                                  0.1f + shared1},
                                 1e-6, 1e-6));
}

TEST(CaloOps, EnergyFeaturesRejectWrongShapes) {
  Context ctx;
  const Tensor e = Tensor::zeros({4, 3});
  Tensor incident = Tensor::zeros({3, 1}), feats = Tensor::empty({4, 6}), total = Tensor::empty({4, 1});
  EXPECT_NE(testing::error_message_of([&] { energy_features_forward(ctx, e, incident, feats, total); })
                .find("'incident' must be (4, 1)"),
            std::string::npos);
  incident = Tensor::zeros({4, 1});
  feats = Tensor::empty({4, 5});
  EXPECT_NE(testing::error_message_of([&] { energy_features_forward(ctx, e, incident, feats, total); })
                .find("'feats' must be (4, 6)"),
            std::string::npos);
}

// The energy features as a function of e, for the central-difference check.
class EnergyFeaturesLayer : public Layer {
 public:
  explicit EnergyFeaturesLayer(Tensor incident) : incident_(std::move(incident)) {}
  std::string type() const override { return "energy_features"; }
  Tensor forward(Context& ctx, const Tensor& x) override {
    e_ = x;
    feats_ = Tensor::empty({x.dim(0), x.dim(1) + 3});
    total_ = Tensor::empty({x.dim(0), 1});
    energy_features_forward(ctx, x, incident_, feats_, total_);
    // Both outputs, side by side, so one projection checks both gradients.
    Tensor out = Tensor::empty({x.dim(0), x.dim(1) + 4});
    for (int64_t r = 0; r < x.dim(0); ++r) {
      for (int64_t c = 0; c < x.dim(1) + 3; ++c) out.data()[r * (x.dim(1) + 4) + c] = feats_.data()[r * (x.dim(1) + 3) + c];
      out.data()[r * (x.dim(1) + 4) + x.dim(1) + 3] = total_.data()[r];
    }
    return out;
  }
  Tensor backward(Context& ctx, const Tensor& dy) override {
    const int64_t n = e_.dim(0), l = e_.dim(1);
    Tensor df = Tensor::empty({n, l + 3}), dt = Tensor::empty({n, 1});
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t c = 0; c < l + 3; ++c) df.data()[r * (l + 3) + c] = dy.data()[r * (l + 4) + c];
      dt.data()[r] = dy.data()[r * (l + 4) + l + 3];
    }
    Tensor de = Tensor::empty(e_.shape());
    energy_features_backward(ctx, e_, incident_, df, dt, de);
    return de;
  }
  Json config() const override { return {}; }

 private:
  Tensor incident_, e_, feats_, total_;
};

TEST(CaloOps, EnergyFeaturesGradientCheck) {
  // Totals 6 and 60 against incident 20 and 30: away from the kink of
  // |total - incident| and the step at 5.
  const Tensor e = Tensor::from_vector({1, 2, 3, 10, 20, 30}, {2, 3});
  EnergyFeaturesLayer layer(Tensor::from_vector({20, 30}, {2, 1}));
  testing::expect_gradients_match(layer, e, 11);
}

template <typename T>
using CaloOpsDevice = testing::DeviceTest<T>;
TYPED_TEST_SUITE(CaloOpsDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(CaloOpsDevice, MatchesCpu) {
  const Device device = this->device();
  Context cpu(Device::cpu(), 3), dev(device, 3);
  const int64_t n = 300, layers = 3, k = 64;
  Tensor x = Tensor::empty({n, k}), s = Tensor::empty({n, 1}), e = Tensor::empty({n, layers});
  Tensor incident = Tensor::empty({n, 1}), dfeats = Tensor::empty({n, layers + 3}), dtotal = Tensor::empty({n, 1});
  random_normal(cpu, x, 0, 1);
  random_uniform(cpu, s, 1, 100);
  random_uniform(cpu, e, 0, 40);
  random_uniform(cpu, incident, 1, 100);
  random_normal(cpu, dfeats, 0, 1);
  random_normal(cpu, dtotal, 0, 1);

  Tensor y = Tensor::empty({n, k}), feats = Tensor::empty({n, layers + 3}), total = Tensor::empty({n, 1});
  Tensor de = Tensor::empty({n, layers});
  scale_rows(cpu, x, s, 0.01f, y);
  energy_features_forward(cpu, e, incident, feats, total);
  energy_features_backward(cpu, e, incident, dfeats, dtotal, de);

  Tensor yd = Tensor::empty({n, k}, device), featsd = Tensor::empty({n, layers + 3}, device);
  Tensor totald = Tensor::empty({n, 1}, device), ded = Tensor::empty({n, layers}, device);
  scale_rows(dev, x.to(device), s.to(device), 0.01f, yd);
  energy_features_forward(dev, e.to(device), incident.to(device), featsd, totald);
  energy_features_backward(dev, e.to(device), incident.to(device), dfeats.to(device), dtotal.to(device), ded);
  EXPECT_TRUE(testing::all_close(yd.to(Device::cpu()), y, 1e-6, 1e-6));
  EXPECT_TRUE(testing::all_close(featsd.to(Device::cpu()), feats, 1e-5, 1e-6));
  EXPECT_TRUE(testing::all_close(totald.to(Device::cpu()), total, 1e-5, 1e-6));
  EXPECT_TRUE(testing::all_close(ded.to(Device::cpu()), de, 1e-5, 1e-6));
}

}  // namespace
}  // namespace jetimg
