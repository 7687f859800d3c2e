// Particle and energy flow networks: the forward is Φ on each particle, the
// (weighted) sum over the real ones, and F, written out here with the same
// networks; padding and particle order do not matter; central differences
// for every parameter; CUDA against the CPU; configs round-trip and bad ones
// are refused by name.
#include <algorithm>

#include "core/ops.h"
#include "models/model.h"
#include "models/particle_flow.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

const char* kPfn = R"({"type": "pfn", "features": 7,
  "phi": [{"type": "dense", "units": 6, "activation": "tanh"}, {"type": "dense", "units": 5, "activation": "tanh"}],
  "f": [{"type": "dense", "units": 4, "activation": "tanh"}, {"type": "dense", "units": 1}]})";
const char* kEfn = R"({"type": "efn",
  "phi": [{"type": "dense", "units": 6, "activation": "tanh"}],
  "f": [{"type": "dense", "units": 3, "activation": "tanh"}, {"type": "dense", "units": 1}]})";

Tensor random_tensor(Context& rng, const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  random_normal(rng, t, 0.0f, 1.0f);
  return t;
}

// Three jets of 4 particles: 4, 2 and 1 real.
Tensor three_jets_mask() { return Tensor::from_vector(std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0}, {3, 4}); }

TEST(ParticleFlow, PfnIsPhiSummedOverTheRealParticlesThenF) {
  Context ctx(Device::cpu(), 4);
  auto model = make_model(ctx, Json::parse(kPfn), "pfn.json");
  auto& pfn = dynamic_cast<ParticleFlowNetwork&>(*model);
  const Tensor x = random_tensor(ctx, {3, 4, 7}), mask = three_jets_mask();
  const std::vector<float> got = model->forward(ctx, {{"features", x}, {"mask", mask}}).at("score").to_vector();
  ASSERT_EQ(got.size(), 3u);
  const std::vector<uint8_t> m = mask.to_vector_as<uint8_t>();
  for (int64_t i = 0; i < 3; ++i) {
    std::vector<float> sum(5, 0.0f);
    for (int64_t j = 0; j < 4; ++j) {
      if (!m[static_cast<size_t>(i * 4 + j)]) continue;
      const std::vector<float> phi = pfn.phi().forward(ctx, x.slice(i, i + 1).view({4, 7}).slice(j, j + 1)).to_vector();
      for (size_t k = 0; k < 5; ++k) sum[k] += phi[k];
    }
    const float expected = pfn.f().forward(ctx, Tensor::from_vector(sum, {1, 5})).to_vector()[0];
    EXPECT_NEAR(got[static_cast<size_t>(i)], expected, 1e-5) << "jet " << i;
  }
}

TEST(ParticleFlow, PaddingAndParticleOrderDoNotMatter) {
  Context ctx(Device::cpu(), 5);
  auto model = make_model(ctx, Json::parse(kPfn), "pfn.json");
  Tensor x = random_tensor(ctx, {3, 4, 7});
  const Tensor mask = three_jets_mask();
  const std::vector<float> before = model->forward(ctx, {{"features", x}, {"mask", mask}}).at("score").to_vector();
  // Garbage in the padding of jet 1 (particles 2, 3), and jet 0's particles reversed.
  Tensor changed = x.clone();
  float* v = changed.data();
  for (int64_t j = 2; j < 4; ++j)
    for (int64_t k = 0; k < 7; ++k) v[(4 + j) * 7 + k] = 1e3f;
  for (int64_t j = 0; j < 4; ++j)
    for (int64_t k = 0; k < 7; ++k) v[j * 7 + k] = x.data()[(3 - j) * 7 + k];
  const std::vector<float> after = model->forward(ctx, {{"features", changed}, {"mask", mask}}).at("score").to_vector();
  EXPECT_TRUE(testing::all_close(after, before, 1e-5, 1e-5));
  // A batch padded further gives the same scores.
  Tensor wider = Tensor::zeros({3, 6, 7});
  std::vector<uint8_t> wide_mask(18, 0);
  const std::vector<uint8_t> m = mask.to_vector_as<uint8_t>();
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      wide_mask[static_cast<size_t>(i * 6 + j)] = m[static_cast<size_t>(i * 4 + j)];
      for (int64_t k = 0; k < 7; ++k) wider.data()[(i * 6 + j) * 7 + k] = x.data()[(i * 4 + j) * 7 + k];
    }
  const std::vector<float> padded =
      model->forward(ctx, {{"features", wider}, {"mask", Tensor::from_vector(wide_mask, {3, 6})}}).at("score").to_vector();
  EXPECT_TRUE(testing::all_close(padded, before, 1e-5, 1e-5));
}

TEST(ParticleFlow, PfnGradientsMatchCentralDifferences) {
  for (const char* pooling : {"sum", "mean", "max"}) {
    Context ctx(Device::cpu(), 6);
    Json config = Json::parse(kPfn);
    config["pooling"] = pooling;
    auto model = make_model(ctx, config, "pfn.json");
    testing::expect_model_gradients_match(
        *model, {{"features", random_tensor(ctx, {3, 4, 7})}, {"mask", three_jets_mask()}}, "score", "features", 40, 2e-3);
  }
}

TEST(ParticleFlow, EfnGradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 7);
  auto model = make_model(ctx, Json::parse(kEfn), "efn.json");
  const Tensor z = Tensor::from_vector({0.4f, 0.3f, 0.2f, 0.1f, 0.7f, 0.3f, 0, 0, 1, 0, 0, 0}, {3, 4});
  testing::expect_model_gradients_match(
      *model, {{"coords", random_tensor(ctx, {3, 4, 2})}, {"pt_frac", z}, {"mask", three_jets_mask()}}, "score", "coords",
      60, 2e-3);
}

TEST(ParticleFlow, EfnIsInfraredSafe) {
  // A particle of zero energy fraction changes nothing, wherever it is.
  Context ctx(Device::cpu(), 8);
  auto model = make_model(ctx, Json::parse(kEfn), "efn.json");
  const Tensor coords = random_tensor(ctx, {1, 3, 2});
  const Tensor z = Tensor::from_vector({0.6f, 0.4f, 0.0f}, {1, 3});
  const float with = model->forward(ctx, {{"coords", coords}, {"pt_frac", z},
                                          {"mask", Tensor::from_vector(std::vector<uint8_t>{1, 1, 1}, {1, 3})}})
                         .at("score").to_vector()[0];
  const float without = model->forward(ctx, {{"coords", coords}, {"pt_frac", z},
                                             {"mask", Tensor::from_vector(std::vector<uint8_t>{1, 1, 0}, {1, 3})}})
                            .at("score").to_vector()[0];
  EXPECT_EQ(with, without);
}

TEST(ParticleFlow, ConfigsRoundTripAndBadOnesAreRefusedByName) {
  Context ctx(Device::cpu(), 9);
  for (const char* text : {kPfn, kEfn}) {
    auto model = make_model(ctx, Json::parse(text), "net.json");
    auto again = make_model(ctx, model->config(), "again.json");
    EXPECT_EQ(again->config(), model->config());
    EXPECT_EQ(parameter_count(*again), parameter_count(*model));
  }
  const auto message = [&](const std::string& edit_key, const Json& value, const char* base = kPfn) {
    Json config = Json::parse(base);
    if (value.is_null())
      config.erase(edit_key);
    else
      config[edit_key] = value;
    return testing::error_message_of([&] { make_model(ctx, config, "net.json"); });
  };
  EXPECT_NE(message("features", 5).find("'features' is 5"), std::string::npos);
  EXPECT_NE(message("pooling", "median").find("'pooling' is 'median'"), std::string::npos);
  EXPECT_NE(message("pooling", "max", kEfn).find("must be sum"), std::string::npos);
  EXPECT_NE(message("phi", Json()).find("'phi' is missing"), std::string::npos);
  EXPECT_NE(message("units", 3).find("units"), std::string::npos);  // an unknown key
  EXPECT_NE(message("features", 7, kEfn).find("features"), std::string::npos);  // EFNs read coordinates
  // Φ must leave each particle a vector.
  EXPECT_NE(message("phi", Json::parse(R"([{"type": "reshape", "shape": [1, 7]}])")).find("net.json"),
            std::string::npos);
}

template <typename DeviceT>
class ParticleFlowDevice : public testing::DeviceTest<DeviceT> {};
TYPED_TEST_SUITE(ParticleFlowDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(ParticleFlowDevice, ForwardAndBackwardMatchTheCpu) {
  const Device device = this->device();
  for (const char* pooling : {"sum", "max"}) {
    Context cpu(Device::cpu(), 12), dev(device, 12);
    Json config = Json::parse(kPfn);
    config["pooling"] = pooling;
    auto ref = make_model(cpu, config, "pfn.json");
    auto got = make_model(dev, config, "pfn.json");
    Context rng(Device::cpu(), 13);
    const Tensor x = random_tensor(rng, {65, 19, 7}), dy = random_tensor(rng, {65, 1});
    std::vector<uint8_t> mask(65 * 19);
    for (int64_t i = 0; i < 65; ++i)
      for (int64_t j = 0; j < 19; ++j) mask[static_cast<size_t>(i * 19 + j)] = j <= i % 19 ? 1 : 0;
    SCOPED_TRACE(pooling);
    testing::expect_model_matches_cpu(*ref, cpu, *got, dev,
                                      {{"features", x}, {"mask", Tensor::from_vector(mask, {65, 19})}}, "score",
                                      "features", dy, 1e-5, 1e-4, 1e-4);
  }
}

}  // namespace
}  // namespace jetimg
