#include "web_config.h"

#include <unistd.h>
#include <yaml.h>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "basic_auth.h"

namespace hostprobe {
namespace {

// The YAML document as a tree; libyaml does the syntax, this file the meaning.
struct Node {
  enum class Kind { kScalar, kMapping, kSequence };
  Kind kind = Kind::kScalar;
  int line = 0;                    // 1-based
  std::string value;               // kScalar
  bool plain = true;               // kScalar: unquoted (so `~`, `null`, `true` mean what YAML says)
  std::vector<Node> keys, values;  // kMapping, in order
  std::vector<Node> items;         // kSequence
};

Error LineError(int line, const std::string& what) {
  return Error{"line " + std::to_string(line) + ": " + what, EINVAL};
}

bool IsNull(const Node& n) {
  return n.kind == Node::Kind::kScalar && n.plain &&
         (n.value.empty() || n.value == "~" || n.value == "null" || n.value == "Null" || n.value == "NULL");
}

class TreeBuilder {
 public:
  explicit TreeBuilder(std::string_view text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~TreeBuilder() { yaml_parser_delete(&parser_); }
  TreeBuilder(const TreeBuilder&) = delete;
  TreeBuilder& operator=(const TreeBuilder&) = delete;

  // The single document's root; a null scalar for an empty stream.
  Result<Node> Document() {
    Node root;
    root.line = 1;
    bool have_document = false;
    for (;;) {
      auto ev = Next();
      if (!ev) return ev.error();
      switch (ev->type) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
          break;
        case YAML_DOCUMENT_START_EVENT: {
          if (have_document)
            return LineError(ev->line, "more than one YAML document; a web config is one mapping");
          have_document = true;
          auto node = Build();
          if (!node) return node.error();
          root = std::move(*node);
          break;
        }
        case YAML_STREAM_END_EVENT:
          return root;
        default:
          return LineError(ev->line, "unexpected YAML structure");
      }
    }
  }

 private:
  struct Event {
    yaml_event_type_t type;
    int line;
    std::string value;
    bool plain;
    bool anchored;
  };

  Result<Event> Next() {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser_, &ev)) {
      const int line = static_cast<int>(parser_.problem_mark.line) + 1;
      std::string what = parser_.problem ? parser_.problem : "malformed YAML";
      if (parser_.context) what = std::string(parser_.context) + ": " + what;
      return LineError(line, "bad YAML: " + what);
    }
    Event out{ev.type, static_cast<int>(ev.start_mark.line) + 1, "", true, false};
    if (ev.type == YAML_SCALAR_EVENT) {
      out.value.assign(reinterpret_cast<const char*>(ev.data.scalar.value), ev.data.scalar.length);
      out.plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      out.anchored = ev.data.scalar.anchor != nullptr || ev.data.scalar.tag != nullptr;
    } else if (ev.type == YAML_MAPPING_START_EVENT) {
      out.anchored = ev.data.mapping_start.anchor != nullptr || ev.data.mapping_start.tag != nullptr;
    } else if (ev.type == YAML_SEQUENCE_START_EVENT) {
      out.anchored = ev.data.sequence_start.anchor != nullptr || ev.data.sequence_start.tag != nullptr;
    }
    yaml_event_delete(&ev);
    return out;
  }

  // One node, from its first event.
  Result<Node> Build() {
    auto ev = Next();
    if (!ev) return ev.error();
    return BuildFrom(*ev, 0);
  }

  Result<Node> BuildFrom(const Event& ev, int depth) {
    if (depth > 8) return LineError(ev.line, "nested too deeply for a web config");
    if (ev.anchored) return LineError(ev.line, "YAML anchors, aliases and tags are not supported here");
    Node n;
    n.line = ev.line;
    switch (ev.type) {
      case YAML_SCALAR_EVENT:
        n.kind = Node::Kind::kScalar;
        n.value = ev.value;
        n.plain = ev.plain;
        return n;
      case YAML_ALIAS_EVENT:
        return LineError(ev.line, "YAML anchors, aliases and tags are not supported here");
      case YAML_SEQUENCE_START_EVENT:
        n.kind = Node::Kind::kSequence;
        for (;;) {
          auto next = Next();
          if (!next) return next.error();
          if (next->type == YAML_SEQUENCE_END_EVENT) return n;
          auto item = BuildFrom(*next, depth + 1);
          if (!item) return item.error();
          n.items.push_back(std::move(*item));
        }
      case YAML_MAPPING_START_EVENT:
        n.kind = Node::Kind::kMapping;
        for (;;) {
          auto next = Next();
          if (!next) return next.error();
          if (next->type == YAML_MAPPING_END_EVENT) return n;
          auto key = BuildFrom(*next, depth + 1);
          if (!key) return key.error();
          if (key->kind != Node::Kind::kScalar)
            return LineError(key->line, "mapping keys must be plain words");
          for (const Node& k : n.keys)
            if (k.value == key->value) return LineError(key->line, "duplicate key \"" + key->value + "\"");
          auto value = Build();
          if (!value) return value.error();
          n.keys.push_back(std::move(*key));
          n.values.push_back(std::move(*value));
        }
      default:
        return LineError(ev.line, "unexpected YAML structure");
    }
  }

  yaml_parser_t parser_;
};

Result<std::string> String(const Node& n, const std::string& key) {
  if (n.kind != Node::Kind::kScalar) return LineError(n.line, key + " must be a string");
  return n.value;
}

Result<std::vector<std::string>> StringList(const Node& n, const std::string& key) {
  if (IsNull(n)) return std::vector<std::string>{};
  if (n.kind != Node::Kind::kSequence) return LineError(n.line, key + " must be a list");
  std::vector<std::string> out;
  for (const Node& item : n.items) {
    if (item.kind != Node::Kind::kScalar || item.value.empty())
      return LineError(item.line, key + " entries must be non-empty strings");
    out.push_back(item.value);
  }
  return out;
}

std::string Resolve(const std::string& base_dir, const std::string& file) {
  if (file.empty() || file.front() == '/' || base_dir.empty()) return file;
  return base_dir + "/" + file;
}

Result<TlsVersion> Version(const Node& n, const std::string& key) {
  auto s = String(n, key);
  if (!s) return s.error();
  if (*s == "TLS12") return TlsVersion::kTls12;
  if (*s == "TLS13") return TlsVersion::kTls13;
  if (*s == "TLS10" || *s == "TLS11")
    return LineError(
        n.line,
        key + " " + *s + " is not supported: TLS 1.0 and 1.1 are deprecated (RFC 8996); use TLS12 or TLS13");
  return LineError(n.line, "unknown " + key + " \"" + *s + "\"; expected TLS12 or TLS13");
}

Status ParseTls(const Node& n, const std::string& base_dir, TlsServerConfig* tls) {
  if (IsNull(n)) return Ok{};
  if (n.kind != Node::Kind::kMapping) return LineError(n.line, "tls_server_config must be a mapping");
  bool client_auth_given = false;
  int line_of_ca = n.line, line_of_versions = n.line;
  for (size_t i = 0; i < n.keys.size(); ++i) {
    const std::string& key = n.keys[i].value;
    const Node& v = n.values[i];
    if (key == "cert_file" || key == "key_file" || key == "client_ca_file") {
      auto s = String(v, key);
      if (!s) return s.error();
      const std::string path = Resolve(base_dir, *s);
      (key == "cert_file" ? tls->cert_file : key == "key_file" ? tls->key_file : tls->client_ca_file) = path;
      if (key == "client_ca_file") line_of_ca = v.line;
    } else if (key == "client_auth_type") {
      auto s = String(v, key);
      if (!s) return s.error();
      static const std::pair<const char*, ClientAuth> kTypes[] = {
          {"NoClientCert", ClientAuth::kNoClientCert},
          {"RequestClientCert", ClientAuth::kRequestClientCert},
          {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
          {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
          {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert}};
      bool found = false;
      for (const auto& [name, type] : kTypes) {
        if (*s == name) {
          tls->client_auth = type;
          found = true;
        }
      }
      if (!found)
        return LineError(v.line, "unknown client_auth_type \"" + *s +
                                     "\"; expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
                                     "VerifyClientCertIfGiven or RequireAndVerifyClientCert");
      client_auth_given = true;
    } else if (key == "min_version" || key == "max_version") {
      auto ver = Version(v, key);
      if (!ver) return ver.error();
      (key == "min_version" ? tls->min_version : tls->max_version) = *ver;
      line_of_versions = v.line;
    } else if (key == "cipher_suites") {
      auto list = StringList(v, key);
      if (!list) return list.error();
      for (const auto& name : *list) {
        // IANA names as Go spells them; whether OpenSSL knows one is checked
        // when the TLS context is built.
        if (name.rfind("TLS_", 0) != 0 ||
            name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos)
          return LineError(v.line,
                           "cipher suite \"" + name +
                               "\" is not an IANA name such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
      }
      tls->cipher_suites = *list;
    } else if (key == "prefer_server_cipher_suites") {
      auto s = String(v, key);
      if (!s) return s.error();
      if (!v.plain || (*s != "true" && *s != "false"))
        return LineError(v.line, "prefer_server_cipher_suites must be true or false");
      tls->prefer_server_cipher_suites = *s == "true";
    } else if (key == "curve_preferences") {
      auto list = StringList(v, key);
      if (!list) return list.error();
      static const std::pair<const char*, const char*> kCurves[] = {
          {"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}};
      for (const auto& name : *list) {
        const char* group = nullptr;
        for (const auto& [go, ossl] : kCurves)
          if (name == go) group = ossl;
        if (group == nullptr)
          return LineError(
              v.line, "unknown curve \"" + name + "\"; expected CurveP256, CurveP384, CurveP521 or X25519");
        tls->curves.emplace_back(group);
      }
    } else {
      return LineError(n.keys[i].line, "unknown key \"" + key + "\" in tls_server_config");
    }
  }
  if (tls->cert_file.empty() && tls->key_file.empty() && tls->client_ca_file.empty() && !client_auth_given)
    return Ok{};  // nothing set: plain HTTP, as exporter-toolkit does
  if (tls->cert_file.empty()) return LineError(n.line, "tls_server_config needs cert_file");
  if (tls->key_file.empty()) return LineError(n.line, "tls_server_config needs key_file");
  if (tls->min_version > tls->max_version)
    return LineError(line_of_versions, "min_version is above max_version");
  const bool verifies = tls->client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                        tls->client_auth == ClientAuth::kRequireAndVerifyClientCert;
  if (verifies && tls->client_ca_file.empty())
    return LineError(n.line, std::string("client_auth_type ") + ClientAuthName(tls->client_auth) +
                                 " needs client_ca_file to verify client certificates against");
  if (!tls->client_ca_file.empty() && tls->client_auth == ClientAuth::kNoClientCert)
    return LineError(line_of_ca,
                     "client_ca_file is set but client_auth_type is NoClientCert; set client_auth_type");
  tls->enabled = true;
  return Ok{};
}

Status ParseUsers(const Node& n, std::map<std::string, std::string>* users) {
  if (IsNull(n)) return Ok{};
  if (n.kind != Node::Kind::kMapping)
    return LineError(n.line, "basic_auth_users must be a mapping of user: hash");
  for (size_t i = 0; i < n.keys.size(); ++i) {
    const std::string& user = n.keys[i].value;
    const Node& v = n.values[i];
    if (user.empty() || user.find(':') != std::string::npos)
      return LineError(n.keys[i].line, "user name \"" + user + "\" must be non-empty and without ':'");
    if (v.kind != Node::Kind::kScalar || !IsBcryptHash(v.value))
      return LineError(v.line, "the password of \"" + user +
                                   "\" is not a bcrypt hash ($2y$10$ and 53 more characters); make one with "
                                   "htpasswd -nBC 10 " +
                                   user);
    (*users)[user] = v.value;
  }
  return Ok{};
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

const char* ClientAuthName(ClientAuth auth) {
  switch (auth) {
    case ClientAuth::kNoClientCert:
      return "NoClientCert";
    case ClientAuth::kRequestClientCert:
      return "RequestClientCert";
    case ClientAuth::kRequireAnyClientCert:
      return "RequireAnyClientCert";
    case ClientAuth::kVerifyClientCertIfGiven:
      return "VerifyClientCertIfGiven";
    case ClientAuth::kRequireAndVerifyClientCert:
      return "RequireAndVerifyClientCert";
  }
  return "?";
}

Result<WebConfig> ParseWebConfig(std::string_view yaml, const std::string& base_dir) {
  TreeBuilder builder(yaml);
  auto root = builder.Document();
  if (!root) return root.error();
  WebConfig config;
  if (IsNull(*root)) return config;
  if (root->kind != Node::Kind::kMapping)
    return LineError(root->line, "a web config is a mapping with tls_server_config and basic_auth_users");
  for (size_t i = 0; i < root->keys.size(); ++i) {
    const std::string& key = root->keys[i].value;
    Status st = Ok{};
    if (key == "tls_server_config") {
      st = ParseTls(root->values[i], base_dir, &config.tls);
    } else if (key == "basic_auth_users") {
      st = ParseUsers(root->values[i], &config.basic_auth_users);
    } else if (key == "http_server_config") {
      st = LineError(root->keys[i].line, "http_server_config is not supported by hostprobe");
    } else {
      st = LineError(root->keys[i].line,
                     "unknown key \"" + key + "\"; expected tls_server_config or basic_auth_users");
    }
    if (!st) return st.error();
  }
  return config;
}

Result<WebConfig> LoadWebConfig(const std::string& path) {
  const std::string prefix = "web config " + path + ": ";
  std::ifstream in(path);
  if (!in) return Error::FromErrno(prefix + "cannot read it");
  std::stringstream ss;
  ss << in.rdbuf();
  auto config = ParseWebConfig(ss.str(), Dirname(path));
  if (!config) return Error{prefix + config.error().message, config.error().err};
  const TlsServerConfig& tls = config->tls;
  if (tls.enabled) {
    for (const auto& [what, file] : {std::pair<const char*, const std::string&>{"cert_file", tls.cert_file},
                                     {"key_file", tls.key_file},
                                     {"client_ca_file", tls.client_ca_file}}) {
      if (!file.empty() && access(file.c_str(), R_OK) != 0)
        return Error::FromErrno(prefix + std::string(what) + " " + file + " cannot be read");
    }
  }
  return config;
}

}  // namespace hostprobe
