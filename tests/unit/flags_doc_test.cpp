// The README's flag table and --help name the same flags, with the same
// values and the same defaults. --help is generated from the flag table in
// core/options.cpp; the README is written by hand and read here from the
// source tree (HOSTPROBE_README).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/options.h"

namespace hostprobe {
namespace {

struct Documented {
  std::string value;         // "HOST:PORT", "[=LIST]", "" for none
  std::string default_text;  // "" for none
  bool operator==(const Documented&) const = default;
};

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(' ');
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(' ') - b + 1));
}

std::string WithoutBackticks(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '`') out += c;
  }
  return out;
}

// "--listen HOST:PORT" -> {"--listen", "HOST:PORT"}; "--keep-capabilities[=LIST]" ->
// {"--keep-capabilities", "[=LIST]"}.
std::pair<std::string, std::string> SplitHead(std::string_view head) {
  const size_t end = head.find_first_of(" [");
  if (end == std::string_view::npos) return {std::string(head), ""};
  return {std::string(head.substr(0, end)), Trim(head.substr(end))};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The table under "## Flags": rows "| `--flag VALUE` | meaning | default |",
// where a row may name several flags ("`--version`, `--help`").
std::map<std::string, Documented> ReadmeFlags(const std::string& readme) {
  std::map<std::string, Documented> flags;
  const size_t section = readme.find("\n## Flags\n");
  if (section == std::string::npos) return flags;
  std::istringstream lines(readme.substr(section + 1));
  std::string line;
  std::getline(lines, line);  // the heading
  while (std::getline(lines, line) && line.rfind("## ", 0) != 0) {
    if (line.rfind("| `-", 0) != 0) continue;
    std::vector<std::string> cells;
    std::string_view rest = std::string_view(line).substr(1);
    for (size_t bar; (bar = rest.find(" |")) != std::string_view::npos; rest = rest.substr(bar + 2))
      cells.push_back(Trim(rest.substr(0, bar)));
    if (cells.size() != 3) {
      ADD_FAILURE() << "README flag row without three cells: " << line;
      continue;
    }
    // Every `...` in the first cell is one flag.
    std::string_view first = cells[0];
    for (size_t open; (open = first.find('`')) != std::string_view::npos;) {
      const size_t close = first.find('`', open + 1);
      if (close == std::string_view::npos) break;
      auto [name, value] = SplitHead(first.substr(open + 1, close - open - 1));
      EXPECT_EQ(flags.count(name), 0u) << name << " twice in the README";
      flags[name] = {value, Trim(WithoutBackticks(cells[2]))};
      first = first.substr(close + 1);
    }
  }
  return flags;
}

// Entries of --help: "  --flag VALUE   help ... (default: X)", continued on
// lines indented further; "  -h, --help" names two flags of which the long
// one counts.
std::map<std::string, Documented> HelpFlags(const std::string& usage) {
  std::map<std::string, Documented> flags;
  std::vector<std::pair<std::string, std::string>> entries;  // head, text
  std::istringstream lines(usage);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  -", 0) == 0) {
      const size_t gap = line.find("  ", 2);
      entries.emplace_back(line.substr(2, gap == std::string::npos ? std::string::npos : gap - 2),
                           gap == std::string::npos ? "" : Trim(line.substr(gap)));
    } else if (!entries.empty() && line.rfind("   ", 0) == 0) {
      std::string& text = entries.back().second;
      if (!text.empty()) text += ' ';
      text += Trim(line);
    } else {
      entries.emplace_back();  // a line of something else ends the entry
    }
  }
  for (const auto& [head, text] : entries) {
    if (head.empty()) continue;
    std::string default_text;
    const size_t at = text.rfind("(default: ");
    if (at != std::string::npos && text.back() == ')')
      default_text = text.substr(at + 10, text.size() - at - 11);
    std::string_view names = head;
    for (size_t start = 0; start < names.size();) {
      size_t comma = names.find(", ", start);
      if (comma == std::string_view::npos) comma = names.size();
      auto [name, value] = SplitHead(names.substr(start, comma - start));
      if (name.rfind("--", 0) == 0) flags[name] = {value, default_text};
      start = comma + 2;
    }
  }
  return flags;
}

TEST(FlagsDocTest, ReadmeIsReadable) {
  const std::string readme = ReadFile(HOSTPROBE_README);
  ASSERT_FALSE(readme.empty()) << HOSTPROBE_README;
  auto flags = ReadmeFlags(readme);
  ASSERT_GE(flags.size(), 20u) << "no flag table under \"## Flags\" in " << HOSTPROBE_README;
  EXPECT_EQ(flags["--listen"], (Documented{"HOST:PORT", "0.0.0.0:9640"}));
  EXPECT_EQ(flags["--help"], (Documented{"", ""}));
}

TEST(FlagsDocTest, HelpIsReadable) {
  auto flags = HelpFlags(Usage("hostprobe"));
  EXPECT_EQ(flags.size(), FlagDocs().size());
  EXPECT_EQ(flags["--listen"], (Documented{"HOST:PORT", "0.0.0.0:9640"}));
  EXPECT_EQ(flags["--keep-capabilities"].value, "[=LIST]");
  EXPECT_EQ(flags["--help"], (Documented{"", ""}));
}

TEST(FlagsDocTest, ReadmeAndHelpAgree) {
  const auto readme = ReadmeFlags(ReadFile(HOSTPROBE_README));
  const auto help = HelpFlags(Usage("hostprobe"));
  for (const auto& [name, doc] : help) {
    auto it = readme.find(name);
    if (it == readme.end()) {
      ADD_FAILURE() << name << " is in --help but not in the README's flag table";
      continue;
    }
    EXPECT_EQ(it->second.value, doc.value) << name << ": the README's value differs from --help's";
    EXPECT_EQ(it->second.default_text, doc.default_text)
        << name << ": the README's default differs from --help's";
  }
  for (const auto& [name, doc] : readme) {
    EXPECT_TRUE(help.count(name)) << name << " is in the README's flag table but not in --help";
  }
}

}  // namespace
}  // namespace hostprobe
