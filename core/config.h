// JSON configuration files, read strictly: an unknown key, a missing required
// key or a value of the wrong type is an Error naming the file and the key
// (e.g. "configs/demo.json: 'jets.R' must be a number, got a string").
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace jetimg {

using Json = nlohmann::json;

// Deepest nesting a configuration or attribute may have: real ones nest a
// few levels; a bound keeps a crafted file from exhausting the stack.
constexpr int kMaxJsonDepth = 64;

// What kind of value v is, for messages: "a number", "a string", "a list",
// "an object", "true/false" or "null".
const char* json_type_name(const Json& v);

// Parses JSON text; Error naming `where` for a syntax error or too deep a nesting.
Json parse_json(const std::string& text, const std::string& where);
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
  // As above, and the value must lie in [lo, hi]: an Error names the key and
  // the range otherwise (sizes read from configs are bounded this way, so an
  // absurd one is refused before anything is allocated).
  template <typename T>
  void optional(const std::string& key, T& value, T lo, T hi);
  template <typename T>
  void required(const std::string& key, T& value, T lo, T hi);
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
