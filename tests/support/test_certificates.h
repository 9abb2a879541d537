#pragma once
// Throwaway certificates for tests over TLS, generated at run time (nothing secret is
// committed, nothing expires in the repository).

#include <string>
#include <vector>

namespace tandem::testing {

/// A certificate and its private key, both PEM.
struct pem_identity {
  std::string certificate_pem;
  std::string private_key_pem;
};

/// A trusted test CA with leaves for servers on this machine, and leaves that a client must
/// refuse. Generated once per process with OpenSSL 3 (EC P-256, SHA-256, valid from an hour ago
/// for two days); the CA file is removed when the process exits.
class test_certificates {
 public:
  /// The process-wide set, generated on first use. Thread-safe.
  static const test_certificates& shared();

  /// Generates a new set and writes its CA to a new temporary file. Throws std::runtime_error
  /// when OpenSSL or the file system fails.
  test_certificates();
  /// Removes the CA file.
  ~test_certificates();
  test_certificates(const test_certificates&) = delete;
  test_certificates& operator=(const test_certificates&) = delete;

  /// The CA's certificate, PEM: the one a client must trust.
  [[nodiscard]] const std::string& ca_pem() const { return ca_.certificate_pem; }
  /// A file holding ca_pem(), for http_client_options::extra_ca_file.
  [[nodiscard]] const std::string& ca_file() const { return ca_file_; }

  /// For "localhost" and 127.0.0.1 (subjectAltName), signed by the trusted CA.
  [[nodiscard]] const pem_identity& localhost() const { return localhost_; }
  /// For "localhost" and 127.0.0.1, signed by another CA that nobody trusts.
  [[nodiscard]] const pem_identity& untrusted_localhost() const { return untrusted_localhost_; }
  /// For "wrong-host.invalid" only, signed by the trusted CA: refused for "localhost".
  [[nodiscard]] const pem_identity& wrong_host() const { return wrong_host_; }

  /// A further leaf signed by the trusted CA for `dns_names` (and 127.0.0.1 when
  /// `with_loopback_ip`), e.g. for a test that needs a particular host name.
  [[nodiscard]] pem_identity issue(const std::vector<std::string>& dns_names, bool with_loopback_ip) const;

 private:
  pem_identity ca_;
  pem_identity untrusted_ca_;
  pem_identity localhost_;
  pem_identity untrusted_localhost_;
  pem_identity wrong_host_;
  std::string ca_file_;
};

}  // namespace tandem::testing
