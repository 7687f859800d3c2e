// Old spellings of options. The subcommands share one vocabulary (-n for
// counts, --batch, -o for a file and --output-dir for a folder, --model for a
// checkpoint read, --device and --threads); the spellings they had before
// still parse, because scripts use them, but --help lists only the current
// ones. An old spelling is an option of its own, so a bad value is reported
// under the name that was typed.
#include <algorithm>
#include <memory>
#include <sstream>

#include "app/commands.h"

namespace jetimg::app {
namespace {

const char* const kOldSpellingsGroup = "Old spellings";

bool is_old_spelling(const CLI::Option* option) { return option->get_group() == kOldSpellingsGroup; }

// CLI11's formatter without the old spellings.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_group(std::string group, bool is_positional, std::vector<const CLI::Option*> opts) const override {
    opts.erase(std::remove_if(opts.begin(), opts.end(), is_old_spelling), opts.end());
    if (group == kOldSpellingsGroup || opts.empty()) return "";
    return CLI::Formatter::make_group(group, is_positional, opts);
  }

  // A subcommand's old names (train-gan) are old spellings too.
  std::string make_subcommand(const CLI::App* sub) const override {
    std::stringstream out;
    CLI::detail::format_help(out, sub->get_display_name(), sub->get_description(), column_width_);
    return out.str();
  }

  // CLI11's help, less the blank line its list of groups leaves after the
  // (empty) group of old spellings.
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    std::string help = CLI::Formatter::make_help(app, std::move(name), mode);
    if (help.size() >= 3 && help.compare(help.size() - 3, 3, "\n\n\n") == 0) help.pop_back();
    return help;
  }

  // CLI11's usage line, whose positionals leave out the old spellings.
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::stringstream out;
    out << get_label("Usage") << ":" << (name.empty() ? "" : " ") << name;
    if (!app->get_options([](const CLI::Option* opt) { return opt->nonpositional(); }).empty())
      out << " [" << get_label("OPTIONS") << "]";
    for (const CLI::Option* opt : app->get_options([](const CLI::Option* o) {
           return o->get_positional() && !is_old_spelling(o) && !o->get_group().empty();
         }))
      out << " " << make_option_usage(opt);
    if (!app->get_subcommands([](const CLI::App* sub) { return !sub->get_disabled() && !sub->get_name().empty(); })
             .empty()) {
      const bool optional = app->get_require_subcommand_min() == 0;
      out << " " << (optional ? "[" : "")
          << get_label(app->get_require_subcommand_max() < 2 || app->get_require_subcommand_min() > 1 ? "SUBCOMMAND"
                                                                                                      : "SUBCOMMANDS")
          << (optional ? "]" : "");
    }
    out << "\n";
    return out.str();
  }
};

}  // namespace

std::shared_ptr<CLI::FormatterBase> help_formatter() { return std::make_shared<HelpFormatter>(); }

CLI::Option* hide_as_old_spelling(CLI::Option* option) { return option->group(kOldSpellingsGroup); }

CLI::Option* add_old_spelling(CLI::App& command, CLI::Option* option, const std::string& old_name) {
  const std::string current = option->get_name();
  CLI::Option* old = command.add_option_function<std::string>(
      old_name,
      [option, old_name, current](const std::string& value) {
        if (option->count() > 0) throw CLI::ExcludesError(old_name, current);
        option->add_result(value);
        option->run_callback();
      },
      "old spelling of " + current);
  // The same checks, so that a bad value is refused under the name typed.
  for (int i = 0;; ++i) {
    try {
      old->check(*option->get_validator(i));
    } catch (const CLI::OptionNotFound&) {
      break;
    }
  }
  return hide_as_old_spelling(old);
}

}  // namespace jetimg::app
