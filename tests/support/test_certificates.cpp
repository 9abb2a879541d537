#include "support/test_certificates.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>

namespace tandem::testing {
namespace {

struct openssl_free {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(X509* certificate) const { X509_free(certificate); }
  void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
  void operator()(BIO* bio) const { BIO_free(bio); }
  void operator()(BIGNUM* number) const { BN_free(number); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, openssl_free>;
using certificate_ptr = std::unique_ptr<X509, openssl_free>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificates: ") + what + " failed");
}

key_ptr make_key() {
  key_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(key != nullptr, "EC key generation");
  return key;
}

std::string to_pem(const X509& certificate) {
  std::unique_ptr<BIO, openssl_free> bio(BIO_new(BIO_s_mem()));
  check(bio != nullptr, "BIO_new");
  check(PEM_write_bio_X509(bio.get(), &certificate) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const auto size = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, &data);  // BIO_get_mem_data
  return {data, static_cast<std::size_t>(size)};
}

std::string to_pem(EVP_PKEY& key) {
  std::unique_ptr<BIO, openssl_free> bio(BIO_new(BIO_s_mem()));
  check(bio != nullptr, "BIO_new");
  check(PEM_write_bio_PrivateKey(bio.get(), &key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const auto size = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, &data);  // BIO_get_mem_data
  return {data, static_cast<std::size_t>(size)};
}

certificate_ptr certificate_from_pem(const std::string& pem) {
  std::unique_ptr<BIO, openssl_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  check(bio != nullptr, "BIO_new_mem_buf");
  certificate_ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  check(certificate != nullptr, "PEM_read_bio_X509");
  return certificate;
}

key_ptr key_from_pem(const std::string& pem) {
  std::unique_ptr<BIO, openssl_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  check(bio != nullptr, "BIO_new_mem_buf");
  key_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  check(key != nullptr, "PEM_read_bio_PrivateKey");
  return key;
}

void add_extension(X509& certificate, X509V3_CTX& context, int nid, const std::string& value) {
  std::unique_ptr<X509_EXTENSION, openssl_free> extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  check(extension != nullptr, "X509V3_EXT_conf_nid");
  check(X509_add_ext(&certificate, extension.get(), -1) == 1, "X509_add_ext");
}

// A certificate for `common_name` with `key`, signed by `issuer` with `issuer_key` (or by itself
// when `issuer` is null). `alt_names` is a subjectAltName value such as "DNS:localhost"; empty
// makes a CA.
certificate_ptr make_certificate(const std::string& common_name, EVP_PKEY& key, X509* issuer, EVP_PKEY& issuer_key,
                                 const std::string& alt_names) {
  certificate_ptr certificate(X509_new());
  check(certificate != nullptr, "X509_new");
  X509* raw = certificate.get();
  check(X509_set_version(raw, X509_VERSION_3) == 1, "X509_set_version");

  std::unique_ptr<BIGNUM, openssl_free> serial(BN_new());
  check(serial != nullptr && BN_rand(serial.get(), 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1, "BN_rand");
  check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(raw)) != nullptr, "serial number");

  check(X509_gmtime_adj(X509_getm_notBefore(raw), -60L * 60) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(raw), 2L * 24 * 60 * 60) != nullptr, "notAfter");
  check(X509_set_pubkey(raw, &key) == 1, "X509_set_pubkey");

  X509_NAME* name = X509_get_subject_name(raw);
  const std::string organization = "Tandem tests";
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(organization.c_str()), -1, -1, 0) == 1,
        "subject O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1,
        "subject CN");
  X509* signer = issuer != nullptr ? issuer : raw;
  check(X509_set_issuer_name(raw, X509_get_subject_name(signer)) == 1, "X509_set_issuer_name");

  X509V3_CTX context;
  X509V3_set_ctx(&context, signer, raw, nullptr, nullptr, 0);
  const bool is_ca = alt_names.empty();
  if (is_ca) {
    add_extension(*raw, context, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(*raw, context, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(*raw, context, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(*raw, context, NID_key_usage, "critical,digitalSignature");
    add_extension(*raw, context, NID_ext_key_usage, "serverAuth");
    add_extension(*raw, context, NID_subject_alt_name, alt_names);
  }
  add_extension(*raw, context, NID_subject_key_identifier, "hash");
  add_extension(*raw, context, NID_authority_key_identifier, "keyid:always");

  check(X509_sign(raw, &issuer_key, EVP_sha256()) > 0, "X509_sign");
  return certificate;
}

pem_identity make_ca(const std::string& common_name) {
  auto key = make_key();
  auto certificate = make_certificate(common_name, *key, nullptr, *key, {});
  return {to_pem(*certificate), to_pem(*key)};
}

pem_identity make_leaf(const pem_identity& ca, const std::vector<std::string>& dns_names, bool with_loopback_ip) {
  std::string alt_names;
  for (const auto& name : dns_names) {
    if (!alt_names.empty()) alt_names += ',';
    alt_names += "DNS:" + name;
  }
  if (with_loopback_ip) alt_names += std::string(alt_names.empty() ? "" : ",") + "IP:127.0.0.1";
  check(!alt_names.empty(), "a leaf needs a name");
  auto ca_certificate = certificate_from_pem(ca.certificate_pem);
  auto ca_key = key_from_pem(ca.private_key_pem);
  auto key = make_key();
  const auto common_name = dns_names.empty() ? std::string("127.0.0.1") : dns_names.front();
  auto certificate = make_certificate(common_name, *key, ca_certificate.get(), *ca_key, alt_names);
  return {to_pem(*certificate), to_pem(*key)};
}

std::string write_temporary_file(const std::string& content) {
  std::random_device entropy;
  const auto path = std::filesystem::temp_directory_path() /
                    ("tandem-test-ca-" + std::to_string(::getpid()) + '-' + std::to_string(entropy()) + ".pem");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw std::runtime_error("test certificates: cannot write " + path.string());
  return path.string();
}

}  // namespace

const test_certificates& test_certificates::shared() {
  static const test_certificates certificates;
  return certificates;
}

test_certificates::test_certificates()
    : ca_(make_ca("Tandem test CA")),
      untrusted_ca_(make_ca("Untrusted test CA")),
      localhost_(make_leaf(ca_, {"localhost"}, true)),
      untrusted_localhost_(make_leaf(untrusted_ca_, {"localhost"}, true)),
      wrong_host_(make_leaf(ca_, {"wrong-host.invalid"}, false)),
      ca_file_(write_temporary_file(ca_.certificate_pem)) {}

test_certificates::~test_certificates() {
  std::error_code ignored;
  std::filesystem::remove(ca_file_, ignored);
}

pem_identity test_certificates::issue(const std::vector<std::string>& dns_names, bool with_loopback_ip) const {
  return make_leaf(ca_, dns_names, with_loopback_ip);
}

}  // namespace tandem::testing
