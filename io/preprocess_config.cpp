#include "io/preprocess_config.h"

#include <cmath>
#include <filesystem>
#include <utility>
#include <vector>

#include "core/error.h"

namespace jetimg {
namespace {

// Each enum's names, in one table used to read and to write.
template <typename E>
using Names = std::vector<std::pair<E, const char*>>;
const Names<Centre> kCentres = {{Centre::LeadingSubjet, "leading_subjet"}, {Centre::Centroid, "centroid"}, {Centre::JetAxis, "jet_axis"}};
const Names<Rotation> kRotations = {{Rotation::Subjet, "subjet"}, {Rotation::PrincipalAxis, "principal_axis"}, {Rotation::None, "none"}};
const Names<Flip> kFlips = {{Flip::Subjet, "subjet"}, {Flip::BrighterHalf, "brighter_half"}, {Flip::Quadrant, "quadrant"}, {Flip::None, "none"}};
const Names<RotationSpace> kSpaces = {{RotationSpace::Image, "image"}, {RotationSpace::Constituents, "constituents"}};
const Names<Intensity> kIntensities = {{Intensity::Pt, "pt"}, {Intensity::Et, "et"}};
const Names<Normalisation> kNormalisations = {{Normalisation::Sum, "sum"}, {Normalisation::L2, "l2"}, {Normalisation::None, "none"}};
const Names<ChannelKind> kChannelKinds = {{ChannelKind::Intensity, "intensity"}, {ChannelKind::Count, "count"},
                                          {ChannelKind::Charged, "charged"}, {ChannelKind::Neutral, "neutral"}};
const Names<ConstituentSet> kSets = {{ConstituentSet::Trimmed, "trimmed"}, {ConstituentSet::All, "all"}};

template <typename E>
const char* name_of(const Names<E>& names, E value) {
  for (const auto& [v, n] : names)
    if (v == value) return n;
  return "?";
}

template <typename E>
std::string choices_of(const Names<E>& names) {
  std::string choices;
  for (const auto& [v, n] : names) choices += (choices.empty() ? "" : ", ") + std::string(n);
  return choices;
}

template <typename E>
void read_enum(ConfigSection& section, const std::string& file, const std::string& key, const Names<E>& names, E& value) {
  std::string text = name_of(names, value);
  section.optional(key, text);
  for (const auto& [v, n] : names)
    if (text == n) {
      value = v;
      return;
    }
  fail(file, ": '", key, "' must be one of ", choices_of(names), ", got '", text, "'");
}

void read_pair(ConfigSection& section, const Json& json, const std::string& file, const std::string& key, float& a, float& b) {
  section.accept(key);
  if (!json.is_object() || !json.contains(key)) return;
  const Json& v = json[key];
  if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number())
    fail(file, ": '", key, "' must be a list of two numbers, got ", v.dump());
  a = v[0].get<float>();
  b = v[1].get<float>();
}

}  // namespace

ImagingConfig imaging_preset(const std::string& convention) {
  ImagingConfig c;
  c.convention = convention;
  if (convention == "w") {
    c.preprocess = PreprocessConfig::w_tagging();
    c.constituents = ConstituentSet::Trimmed;
  } else if (convention == "top") {
    c.preprocess = PreprocessConfig::top_tagging();
    c.constituents = ConstituentSet::All;
  } else {
    fail("unknown image convention '", convention, "' (expected w or top)");
  }
  return c;
}

ImagingConfig imaging_config_from(const Json& json, const std::string& file) {
  ConfigSection section(json, file, "");
  std::string convention = "w";
  section.optional("convention", convention);
  if (convention != "w" && convention != "top") fail(file, ": 'convention' must be w or top, got '", convention, "'");
  ImagingConfig c = imaging_preset(convention);
  PreprocessConfig& p = c.preprocess;
  read_enum(section, file, "constituents", kSets, c.constituents);
  read_enum(section, file, "centre", kCentres, p.frame.centre);
  read_enum(section, file, "rotation", kRotations, p.frame.rotation);
  read_enum(section, file, "flip", kFlips, p.frame.flip);
  read_enum(section, file, "rotation_space", kSpaces, p.rotation_space);
  read_enum(section, file, "intensity", kIntensities, p.pixels.intensity);
  read_enum(section, file, "normalisation", kNormalisations, p.normalisation);
  section.optional("zoom", p.frame.zoom);
  section.optional("zoom_R", p.frame.zoom_R);
  section.optional("zoom_mass", p.frame.zoom_mass);
  section.optional("zoom_min", p.frame.zoom_min);
  section.optional("threshold", p.pixels.threshold);
  section.optional("canvas_size", p.canvas_size);
  float h = static_cast<float>(p.pixels.height), w = static_cast<float>(p.pixels.width);
  read_pair(section, json, file, "image_size", h, w);
  if (h != std::floor(h) || w != std::floor(w)) fail(file, ": 'image_size' must be whole numbers");
  p.pixels.height = static_cast<int>(h), p.pixels.width = static_cast<int>(w);
  read_pair(section, json, file, "pixel_size", p.pixels.pixel_eta, p.pixels.pixel_phi);
  if (json.is_object() && json.contains("channels")) {
    const Json& v = json["channels"];
    const std::string choices = choices_of(kChannelKinds);
    if (!v.is_array() || v.empty() || v.size() > static_cast<size_t>(kMaxChannels))
      fail(file, ": 'channels' must be a list of 1 to ", kMaxChannels, " of ", choices, ", got ", v.dump());
    p.pixels.channels = static_cast<int>(v.size());
    for (size_t c = 0; c < v.size(); ++c) {
      const std::string name = v[c].is_string() ? v[c].get<std::string>() : v[c].dump();
      bool known = false;
      for (const auto& [kind, kind_name] : kChannelKinds)
        if (name == kind_name) p.pixels.kinds[c] = kind, known = true;
      if (!known) fail(file, ": 'channels' entry ", c, " must be one of ", choices, ", got '", name, "'");
    }
  }
  section.accept("channels");
  section.finish();
  try {
    p.validate();
  } catch (const Error& e) {
    fail(file, ": ", e.what());
  }
  return c;
}

ImagingConfig load_imaging_config(const std::string& path_or_convention) {
  if (path_or_convention.empty()) return imaging_preset("w");
  if (path_or_convention == "w" || path_or_convention == "top") return imaging_preset(path_or_convention);
  std::error_code ec;
  if (!std::filesystem::exists(path_or_convention, ec))
    fail("preprocessing config '", path_or_convention, "' is neither an existing file nor a convention (w or top)");
  return imaging_config_from(load_json_file(path_or_convention), path_or_convention);
}

Json to_json(const ImagingConfig& c) {
  const PreprocessConfig& p = c.preprocess;
  Json channels = Json::array();
  for (int c = 0; c < p.pixels.channels; ++c) channels.push_back(name_of(kChannelKinds, p.pixels.kinds[c]));
  return {{"convention", c.convention},
          {"constituents", name_of(kSets, c.constituents)},
          {"centre", name_of(kCentres, p.frame.centre)},
          {"rotation", name_of(kRotations, p.frame.rotation)},
          {"flip", name_of(kFlips, p.frame.flip)},
          {"rotation_space", name_of(kSpaces, p.rotation_space)},
          {"zoom", p.frame.zoom},
          {"zoom_R", p.frame.zoom_R},
          {"zoom_mass", p.frame.zoom_mass},
          {"zoom_min", p.frame.zoom_min},
          {"image_size", {p.pixels.height, p.pixels.width}},
          {"pixel_size", {p.pixels.pixel_eta, p.pixels.pixel_phi}},
          {"threshold", p.pixels.threshold},
          {"intensity", name_of(kIntensities, p.pixels.intensity)},
          {"channels", channels},
          {"normalisation", name_of(kNormalisations, p.normalisation)},
          {"canvas_size", p.canvas_size}};
}

}  // namespace jetimg
