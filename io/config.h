// JSON configuration files, read strictly: an unknown key, a missing required
// key or a value of the wrong type is an Error naming the file and the key
// (e.g. "configs/demo.json: 'jets.R' must be a number, got a string").
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace jetimg {

using Json = nlohmann::json;

// Parses a JSON file; Error with the file (and line, for syntax errors).
Json load_json_file(const std::string& path);

class ConfigSection {
 public:
  ConfigSection(const Json& node, std::string file, std::string path);

  // Reads `key` into `value` if present (otherwise `value` keeps its default).
  template <typename T>
  void optional(const std::string& key, T& value);
  template <typename T>
  void required(const std::string& key, T& value);
  // Declares `key` as known when the caller reads its value itself.
  void accept(const std::string& key) { known_.insert(key); }
  // A nested object (an empty one if absent).
  ConfigSection section(const std::string& key);
  // Fails on any key that was not asked for, listing the known ones.
  void finish() const;

 private:
  std::string where(const std::string& key) const;
  const Json* lookup(const std::string& key);
  Json node_;
  std::string file_, path_;
  std::set<std::string> known_;
};

}  // namespace jetimg
