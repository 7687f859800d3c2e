// Particle-cloud taggers end to end on the built-in generator's W and QCD
// jets: the jets dataset streams constituents with their identities, a PFN
// and an EFN train through the one training loop and separate W from QCD on
// fresh jets, and bad jets files are refused naming the file and the jet.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>

#include "io/batches.h"
#include "io/data_files.h"
#include "io/datasets.h"
#include "io/jets_file.h"
#include "models/metrics.h"
#include "models/model.h"
#include "models/predict.h"
#include "models/tagger_feed.h"
#include "models/trainer.h"
#include "physics/generator.h"
#include "physics/jets.h"
#include "physics/pdg.h"
#include "core/ops.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

std::vector<Jet> leading(Process process, uint64_t seed, int64_t events) {
  quiet_fastjet();
  const std::vector<Event> generated = generate_events(GeneratorConfig::defaults(process), seed, 0, events);
  std::vector<Jet> jets;
  for (const std::optional<Jet>& j : leading_jets(generated, JetConfig{}))
    if (j) jets.push_back(*j);
  return jets;
}

std::string write_jets(const std::string& path, const std::vector<Jet>& jets, int label) {
  std::vector<int64_t> rows(jets.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
  JetsWriter writer(path, 120, 4, Json::object());
  writer.write(jets, label, std::vector<float>(jets.size(), 1.0f), rows);
  writer.finish();
  return path;
}

// W (signal) and QCD (background) jets files for training and for testing,
// made once: clustering is the slow part.
struct Samples {
  std::string w_train, qcd_train, w_test, qcd_test;
};
const Samples& samples() {
  static const Samples s = [] {
    const std::string dir = testing::scratch_dir("particle_samples");
    Samples out;
    out.w_train = write_jets(dir + "/w_train.h5", leading(Process::W, 21, 1000), 1);
    out.qcd_train = write_jets(dir + "/qcd_train.h5", leading(Process::QCD, 22, 1000), 0);
    out.w_test = write_jets(dir + "/w_test.h5", leading(Process::W, 23, 300), 1);
    out.qcd_test = write_jets(dir + "/qcd_test.h5", leading(Process::QCD, 24, 300), 0);
    return out;
  }();
  return s;
}

TEST(JetsDataset, StreamsTheStoredConstituentsWithChargesFromTheirCodes) {
  const std::vector<Jet> jets = leading(Process::W, 31, 20);
  ASSERT_GT(jets.size(), 5u);
  const std::string path = write_jets(testing::scratch_dir("jets_dataset") + "/w.h5", jets, 1);
  const JetsDataset data({path}, {-1});
  EXPECT_EQ(data.size(), static_cast<int64_t>(jets.size()));
  EXPECT_TRUE(data.has_identities());
  const TensorMap rows = data.read(2, 3);
  for (int64_t i = 0; i < 3; ++i) {
    const Jet& jet = jets[static_cast<size_t>(2 + i)];
    const int64_t n = static_cast<int64_t>(std::min<size_t>(jet.constituents.size(), 120));
    EXPECT_EQ(rows.at("n_constituents").data()[i], static_cast<float>(n));
    EXPECT_EQ(rows.at("label").data()[i], 1.0f);
    EXPECT_NEAR(rows.at("jet").data()[i * 4], jet.jet.E, 1e-3 * jet.jet.E);
    for (int64_t j = 0; j < n; ++j) {
      const float* c = rows.at("constituents").data() + (i * 120 + j) * 4;
      EXPECT_NEAR(c[1], jet.constituents[static_cast<size_t>(j)].px, 1e-4 + 1e-6 * std::abs(c[0]));
      const int code = jet.pdg[static_cast<size_t>(j)];
      EXPECT_EQ(rows.at("pdg").data()[i * 120 + j], static_cast<float>(code));
      EXPECT_EQ(rows.at("charge").data()[i * 120 + j], pdg_three_charge(code) / 3.0f);
    }
  }
}

TEST(JetsDataset, BadJetsAreRefusedNamingTheFileAndTheJet) {
  const std::string dir = testing::scratch_dir("bad_jets");
  std::vector<Jet> jets = leading(Process::W, 32, 12);
  ASSERT_GT(jets.size(), 4u);
  std::vector<Jet> nan_jets = jets;
  nan_jets[3].constituents[1].px = std::numeric_limits<double>::quiet_NaN();
  const std::string nan_path = write_jets(dir + "/nan.h5", nan_jets, 1);
  const std::string message = testing::error_message_of([&] { JetsDataset({nan_path}, {1}).read(0, 5); });
  EXPECT_NE(message.find("nan.h5': jet 3 has a NaN or infinite momentum in constituent 1"), std::string::npos) << message;

  std::vector<Jet> empty_jets = jets;
  empty_jets[2].constituents.clear(), empty_jets[2].in_trimmed.clear(), empty_jets[2].pdg.clear();
  const std::string empty_path = write_jets(dir + "/empty.h5", empty_jets, 1);
  const std::string empty_message = testing::error_message_of([&] { JetsDataset({empty_path}, {1}).read(0, 5); });
  EXPECT_NE(empty_message.find("empty.h5': jet 2 has 0 constituents"), std::string::npos) << empty_message;
}

TEST(JetsDataset, ModelsAndFilesOfTheOtherKindAreRefused) {
  Context ctx(Device::cpu(), 1);
  auto pfn = load_model_config(ctx, data_file("configs/nets/pfn.json"));
  const std::string image_net_dir = testing::scratch_dir("kinds");
  auto image_net = make_model(ctx, Json::parse(R"({"input_shape": [25, 25], "layers": [{"type": "flatten"}, {"type": "dense", "units": 1}]})"), "net.json");
  const std::string message = testing::error_message_of(
      [&] { open_tagger_dataset({samples().w_train}, {1}, is_particle_model(*image_net), "'net.json'"); });
  EXPECT_NE(message.find("'net.json' takes images, but '" + samples().w_train + "' is a jets file"), std::string::npos)
      << message;
  const JetsDataset jets({samples().w_train}, {1});
  EXPECT_NE(testing::error_message_of([&] { make_tagger_feed(*image_net, jets, "'net.json'"); }).find("is a jets file"),
            std::string::npos);
  // Identity features from a file whose constituents name no particle.
  std::vector<Jet> unnamed = leading(Process::QCD, 33, 8);
  for (Jet& j : unnamed) std::fill(j.pdg.begin(), j.pdg.end(), 0);
  const std::string unnamed_path = write_jets(image_net_dir + "/unnamed.h5", unnamed, 0);
  Json config = pfn->config();
  config["features"] = 13;
  auto pid_net = make_model(ctx, config, "pid.json");
  const JetsDataset unnamed_data({unnamed_path}, {0});
  auto feed = make_tagger_feed(*pid_net, unnamed_data, "'pid.json'");
  StreamOptions o;
  o.shuffle = false;
  BatchStream stream(unnamed_data, o);
  TensorMap batch;
  std::vector<int64_t> rows;
  ASSERT_TRUE(stream.next(batch, &rows));
  const std::string pid_message = testing::error_message_of([&] { feed->stage(ctx, batch, rows); });
  EXPECT_NE(pid_message.find("jet 0 of '" + unnamed_path + "': constituent 0 has no PDG code"), std::string::npos)
      << pid_message;
}

// AUC by counting (signal, background) pairs in the right order.
double auc_of(const Predictions& signal, const Predictions& background) {
  double ordered = 0;
  for (int64_t i = 0; i < signal.images; ++i)
    for (int64_t j = 0; j < background.images; ++j)
      ordered += signal.score(i) > background.score(j) ? 1.0 : signal.score(i) == background.score(j) ? 0.5 : 0.0;
  return ordered / (static_cast<double>(signal.images) * background.images);
}

// The trimmed mass alone, scored by its closeness to the W mass, on the test jets.
double trimmed_mass_auc() {
  const auto mass_scores = [](const std::string& path) {
    const JetsTable t = read_jets(path);
    Predictions p;
    p.images = t.size, p.outputs = 1;
    for (double m : t.trimmed_mass) p.scores.push_back(static_cast<float>(-std::abs(m - 80.4)));
    return p;
  };
  return auc_of(mass_scores(samples().w_test), mass_scores(samples().qcd_test));
}

double train_and_score(const char* network, const std::string& dir) {
  Context ctx(Device::cpu(), 3);
  auto model = make_model(ctx, Json::parse(network), "net.json");
  const JetsDataset data({samples().w_train, samples().qcd_train}, {1, 0});
  TrainConfig config = TrainConfig::from_json(
      Json::parse(R"({"batch_size": 64, "lr": 0.003, "validation_fraction": 0.2, "patience": 0, "epochs": 20})"),
      "train.json");
  LoopOptions options;
  options.output_dir = dir;
  const LoopResult run = train_tagger(ctx, *model, data, config, options);
  EXPECT_EQ(run.state.history.size(), 20u);
  EXPECT_LT(run.state.best, run.state.history.front()["val_loss"].get<double>());
  const Predictions w = predict(ctx, run.best_checkpoint, samples().w_test, 100);
  const Predictions qcd = predict(ctx, run.best_checkpoint, samples().qcd_test, 100);
  EXPECT_EQ(w.images, JetsDataset({samples().w_test}, {1}).size());
  const double auc = auc_of(w, qcd);
  std::printf("%s: %lld training jets, AUC %.4f on %lld + %lld fresh jets\n", model->type().c_str(),
              static_cast<long long>(data.size()), auc, static_cast<long long>(w.images),
              static_cast<long long>(qcd.images));
  return auc;
}

TEST(ParticleTaggers, PfnLearnsToTellWFromQcd) {
  const double auc = train_and_score(R"({"type": "pfn", "features": 13,
      "phi": [{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense", "units": 32, "activation": "relu"}],
      "f": [{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense", "units": 1}]})",
                                     testing::scratch_dir("pfn_run"));
  // Physics acceptance: from the particles alone, better than the trimmed
  // mass (AUC 0.85 on these jets), with 1600 training jets.
  const double mass = trimmed_mass_auc();
  std::printf("trimmed mass alone: AUC %.4f\n", mass);
  EXPECT_GT(auc, mass);
}

TEST(ParticleTaggers, EfnLearnsToTellWFromQcd) {
  const double auc = train_and_score(R"({"type": "efn",
      "phi": [{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense", "units": 32, "activation": "relu"}],
      "f": [{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense", "units": 1}]})",
                                     testing::scratch_dir("efn_run"));
  EXPECT_GT(auc, 0.8);
}

TEST(ParticleTaggers, TopoDnnLearnsToTellWFromQcd) {
  const double auc = train_and_score(R"({"type": "topodnn", "constituents": 30,
      "layers": [{"type": "dense", "units": 64, "activation": "relu"}, {"type": "dense", "units": 16, "activation": "relu"},
                 {"type": "dense", "units": 1}]})", testing::scratch_dir("topodnn_run"));
  // The weakest of the taggers here (0.70 on these jets; the landscape paper
  // too has it last): a dense network on unrotated constituents.
  EXPECT_GT(auc, 0.65);
}

TEST(ParticleTaggers, TopoDnnGradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 8);
  auto model = make_model(ctx, Json::parse(R"({"type": "topodnn", "constituents": 4,
      "layers": [{"type": "dense", "units": 5, "activation": "tanh"}, {"type": "dense", "units": 1}]})"), "t.json");
  EXPECT_EQ(make_model(ctx, model->config(), "again.json")->config(), model->config());
  Tensor x = Tensor::empty({3, 4, 3});
  random_normal(ctx, x, 0.0f, 1.0f);
  testing::expect_model_gradients_match(*model, {{"leading", x}}, "score", "leading", 3, 2e-3);
  EXPECT_NE(testing::error_message_of([&] { model->forward(ctx, {{"leading", Tensor::zeros({3, 5, 3})}}); })
                .find("expected leading constituents (N, 4, 3)"),
            std::string::npos);
}

TEST(ParticleTaggers, ParticleTransformerLearnsToTellWFromQcd) {
  const double auc = train_and_score(R"({"type": "part", "features": 7, "embed": [16, 16], "pair_embed": [8],
      "heads": 2, "blocks": 1, "class_blocks": 1, "ffn_ratio": 2})", testing::scratch_dir("part_run"));
  EXPECT_GT(auc, 0.82);  // 0.843 on these jets, about the trimmed mass's 0.854
}

TEST(ParticleTaggers, ParticleNetLearnsToTellWFromQcd) {
  const double auc = train_and_score(R"({"type": "particlenet", "features": 7, "k": 7, "blocks": [[16, 16], [32]],
      "fc": [32], "dropout": 0})", testing::scratch_dir("particlenet_run"));
  // This small network (and 1600 jets) reaches about the trimmed mass's 0.85
  // here; it must have learned the W from the particles.
  EXPECT_GT(auc, 0.83);
}

}  // namespace
}  // namespace jetimg
