// Preprocessing configs and images files: presets, overrides, errors that
// name the key, and a round trip through the images file.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "io/images_file.h"
#include "io/preprocess_config.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

std::string error_of(const std::string& path) {
  return testing::error_message_of([&] { load_imaging_config(path); });
}

TEST(ImagingConfig, PresetsAndOverrides) {
  const ImagingConfig w = load_imaging_config("w");
  EXPECT_EQ(w.preprocess.pixels.height, 25);
  EXPECT_EQ(w.constituents, ConstituentSet::Trimmed);
  EXPECT_TRUE(w.preprocess.frame.zoom);
  const ImagingConfig top = load_imaging_config("top");
  EXPECT_EQ(top.preprocess.pixels.width, 40);
  EXPECT_EQ(top.preprocess.normalisation, Normalisation::Sum);

  const std::string dir = testing::scratch_dir("imaging");
  const ImagingConfig c = load_imaging_config(testing::write_text_file(dir, "c.json", R"({"convention": "top", "image_size": [32, 48],
      "pixel_size": [0.05, 0.04], "channels": ["intensity", "count"], "normalisation": "l2", "rotation": "none"})"));
  EXPECT_EQ(c.preprocess.pixels.height, 32);
  EXPECT_EQ(c.preprocess.pixels.width, 48);
  EXPECT_FLOAT_EQ(c.preprocess.pixels.pixel_eta, 0.05f);
  EXPECT_EQ(c.preprocess.pixels.channels, 2);
  EXPECT_EQ(c.preprocess.normalisation, Normalisation::L2);
  EXPECT_EQ(c.preprocess.frame.rotation, Rotation::None);
  EXPECT_EQ(c.preprocess.frame.centre, Centre::Centroid);  // from the preset

  const ImagingConfig charged = load_imaging_config(
      testing::write_text_file(dir, "q.json", R"({"channels": ["charged", "neutral", "count"]})"));
  EXPECT_EQ(charged.preprocess.pixels.channels, 3);
  EXPECT_EQ(charged.preprocess.pixels.kinds[0], ChannelKind::Charged);
  EXPECT_EQ(charged.preprocess.pixels.kinds[1], ChannelKind::Neutral);
  EXPECT_EQ(charged.preprocess.pixels.kinds[2], ChannelKind::Count);
  EXPECT_TRUE(charged.preprocess.pixels.needs_charge());
  EXPECT_FALSE(c.preprocess.pixels.needs_charge());
  EXPECT_EQ(to_json(charged)["channels"], Json::array({"charged", "neutral", "count"}));

  // Written settings read back to the same configuration.
  const ImagingConfig back = load_imaging_config(testing::write_text_file(dir, "back.json", to_json(c).dump()));
  EXPECT_EQ(to_json(back), to_json(c));
}

TEST(ImagingConfig, ShippedConfigsSpellOutThePresets) {
  EXPECT_EQ(to_json(load_imaging_config(JETIMG_SOURCE_DIR "/configs/preprocess_w.json")), to_json(imaging_preset("w")));
  EXPECT_EQ(to_json(load_imaging_config(JETIMG_SOURCE_DIR "/configs/preprocess_top.json")),
            to_json(imaging_preset("top")));
}

TEST(ImagingConfig, DemoConfigScalesJetsToThreeHundredGeV) {
  const ImagingConfig c = load_imaging_config(JETIMG_SOURCE_DIR "/configs/preprocess_w_pt_scaled.json");
  EXPECT_NEAR(zoom_factor(c.preprocess.frame, 300.0), 1.0, 1e-6);
  EXPECT_NEAR(zoom_factor(c.preprocess.frame, 250.0), 250.0 / 300.0, 1e-6);
  for (const char* other : {"preprocess_w_unzoomed.json", "preprocess_top_charged.json"})
    EXPECT_NO_THROW(load_imaging_config(std::string(JETIMG_SOURCE_DIR "/configs/") + other)) << other;
}

TEST(ImagingConfig, ErrorsNameTheFileAndKey) {
  const std::string dir = testing::scratch_dir("imaging");
  EXPECT_NE(error_of(testing::write_text_file(dir, "a.json", R"({"rotatoin": "none"})")).find("unknown key 'rotatoin'"), std::string::npos);
  EXPECT_NE(error_of(testing::write_text_file(dir, "b.json", R"({"flip": "sideways"})")).find("'flip' must be one of subjet, brighter_half, quadrant, none, got 'sideways'"),
            std::string::npos);
  EXPECT_NE(error_of(testing::write_text_file(dir, "c.json", R"({"image_size": [25]})")).find("'image_size' must be a list of two numbers"),
            std::string::npos);
  EXPECT_NE(error_of(testing::write_text_file(dir, "d.json", R"({"image_size": [0, 25]})")).find("d.json: preprocessing: image size"),
            std::string::npos);
  EXPECT_NE(error_of(testing::write_text_file(dir, "e.json", R"({"convention": "z"})")).find("'convention' must be w or top"),
            std::string::npos);
  EXPECT_NE(error_of(testing::write_text_file(dir, "f.json", R"({"channels": ["charge"]})"))
                .find("'channels' entry 0 must be one of intensity, count, charged, neutral, got 'charge'"),
            std::string::npos);
  EXPECT_NE(error_of(testing::write_text_file(dir, "g.json", R"({"channels": []})")).find("'channels' must be a list of 1 to 4"),
            std::string::npos);
  EXPECT_NE(error_of(testing::write_text_file(dir, "h.json", R"({"channels": ["count", "count"]})")).find("channel 1 repeats channel 0"),
            std::string::npos);
  EXPECT_NE(error_of(dir + "/none.json").find("is neither an existing file nor a convention"), std::string::npos);
}

TEST(ImagesFile, RoundTrip) {
  const std::string path = testing::scratch_dir("images") + "/images.h5";
  std::vector<float> images(3 * 2 * 4 * 5);
  for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<float>(i) * 0.5f;
  ImageAux aux{{300, 310, 320}, {0.1, 0.2, 0.3}, {1, 2, 3},    {80, 81, 82}, {79, 80, 81},
               {0.3, 0.5, 0.7},  {0.6, 0.7, 0.8}, {1, 1, 0.5f}, {1, 0, 1}};
  {
    ImagesWriter writer(path, 2, 4, 5, Json{{"convention", "w"}}, Json::object());
    writer.write(images.data(), aux);
    writer.finish();
  }
  const ImagesReader reader(path);
  EXPECT_EQ(reader.size(), 3);
  EXPECT_EQ(reader.channels(), 2);
  EXPECT_EQ(reader.height(), 4);
  EXPECT_EQ(reader.width(), 5);
  EXPECT_EQ(reader.preprocessing()["convention"], "w");
  std::vector<float> back(2 * 40);
  reader.read_images(1, 2, back.data());
  EXPECT_EQ(back, std::vector<float>(images.begin() + 40, images.end()));
  const ImageAux aux_back = reader.read_aux(0, 3);
  EXPECT_EQ(aux_back.pt, aux.pt);
  EXPECT_EQ(aux_back.trimmed_mass, aux.trimmed_mass);
  EXPECT_EQ(aux_back.tau21, aux.tau21);
  EXPECT_EQ(aux_back.tau32, aux.tau32);
  EXPECT_EQ(aux_back.label, aux.label);
  EXPECT_EQ(aux_back.weight, aux.weight);
}

}  // namespace
}  // namespace jetimg
